import type { GatewayClient } from '../remediation/gateway-client.js';

/** What the gateway's policy says about rolling back a target: granted, or why not. */
export type RollbackGrant = { granted: true } | { granted: false; reason: string };

/**
 * Asks the gateway whether it would roll `target` back, with a dry run (validated against the
 * gateway's policy and its image history, never executed): the agent proposes a rollback only
 * when the gateway grants it for that target and knows an earlier image.
 */
export async function rollbackGrant(gateway: Pick<GatewayClient, 'execute'>, target: string, incidentId: string): Promise<RollbackGrant> {
  const result = await gateway.execute(
    {
      target,
      intent: `roll back the ${target} container to its previous image`,
      context: { incident_id: incidentId, reason: 'may the agent propose a rollback (dry run)' },
      priority: 'LOW',
      idempotencyKey: `devops-agent:rollback-check:${incidentId}:${Date.now()}`,
      dryRun: true,
    },
    AbortSignal.timeout(15_000),
  );
  if (!result.ok) return { granted: false, reason: `the gateway did not answer: ${result.error}` };
  if (result.response.overall_status === 'success') return { granted: true };
  return { granted: false, reason: result.response.reason ?? `gateway ${result.response.overall_status}` };
}
