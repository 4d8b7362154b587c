import { type DrillFault, type DrillResult, type DrillStage, type FaultParameters, runDrill } from '@atb/cli';
import { tokenPrincipal } from '@atb/service-kit';
import { waitFor } from '@atb/testing';
import { expect } from 'vitest';
import { E2E_AGENT_TOKEN, formatRecovery, http, type PredictorContainer, type RunningGateway, waitForHealthy } from './e2e-stack.js';

/**
 * One recovery loop of the end-to-end tests: inject `fault` into the predictor container
 * through its chaos route (with `runDrill`, as `atb drill` does), follow the agent until the
 * incident is closed, approving over HTTP in safety mode, then check everything that must
 * hold afterwards.
 */

export interface RecoveryOptions {
  fault: Extract<DrillFault, 'crash' | 'hang' | 'memory-leak'>;
  /** Fault parameters passed to the drill (e.g. a faster leak). */
  parameters?: FaultParameters;
  predictor: PredictorContainer;
  gateway: RunningGateway;
  agentUrl: string;
  /** The `service` on the agent's incidents. */
  service: string;
  safetyMode: boolean;
  /** The alert name expected on the incident (undefined: any). */
  alertname?: string;
  title: string;
  timeoutMs?: number;
}

interface IncidentDetail {
  id: string;
  state: string;
  alertname: string;
  service: string;
  alerts: Array<{ alertname: string }>;
  actions: Array<{
    id: string;
    operation: string;
    status: string;
    effective: boolean | null;
    decided_by: string;
    approved_by: string | null;
    target: string;
    created_at: string;
  }>;
}

const MUTATING = new Set(['restart', 'start', 'stop']);

export async function runRecovery(options: RecoveryOptions): Promise<DrillResult> {
  const { predictor, agentUrl } = options;
  const before = await options.predictor.state();
  expect(before.Running).toBe(true);
  let approvalChecked = false;

  const onStage = async (stage: DrillStage) => {
    if (stage.name !== 'approval-requested') return;
    const actionId = stage.action_id ?? '';
    if (!options.safetyMode) {
      // Say why the policy held the action back (its recorded decision reason) and on which incident.
      const held = await http<{ decision_reason?: string; risk?: string; confidence?: number }>(`${agentUrl}/actions/${actionId}`);
      const of = await http<{ alertname?: string; opened_at?: string; flap_count?: number }>(`${agentUrl}/incidents/${stage.incident_id}`);
      expect.fail(
        `an action waited for approval with SAFETY_MODE=false: ${stage.detail} ` +
          `(decision: ${held.body.decision_reason ?? 'unknown'}; risk ${held.body.risk ?? '?'}, confidence ${held.body.confidence ?? '?'}; ` +
          `incident ${stage.incident_id} ${of.body.alertname ?? '?'} opened ${of.body.opened_at ?? '?'}, flap count ${of.body.flap_count ?? '?'})`,
      );
    }
    // Nothing happens until a human approves: the action stays pending, the container untouched.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const action = await http<{ status: string }>(`${agentUrl}/actions/${actionId}`);
    expect(action.body.status).toBe('pending');
    const incident = await http<{ state: string }>(`${agentUrl}/incidents/${stage.incident_id}`);
    expect(incident.body.state).toBe('awaiting_approval');
    const waiting = await predictor.state();
    expect(waiting.StartedAt).toBe(before.StartedAt);
    if (options.fault === 'crash') expect(waiting.Running).toBe(false);
    const pending = await http<{ actions: Array<{ id: string }> }>(`${agentUrl}/actions?status=pending`);
    expect(pending.body.actions.map((candidate) => candidate.id)).toContain(actionId);
    // …and the gateway has received nothing about the container since the fault.
    const since = new Date(stage.at - stage.elapsed_ms).toISOString();
    const gatewayRecords = await http<{ records: unknown[] }>(
      `${options.gateway.url}/audit?since=${encodeURIComponent(since)}&limit=1000`,
      { token: options.gateway.token },
    );
    expect(JSON.stringify(gatewayRecords.body.records)).not.toContain(predictor.name);

    const approved = await http(`${agentUrl}/actions/${actionId}/approve`, {
      method: 'POST',
      body: { reason: `approved by the ${options.title} test` },
      token: E2E_AGENT_TOKEN,
    });
    expect(approved.status, JSON.stringify(approved.body)).toBeLessThan(300);
    approvalChecked = true;
  };

  const result = await runDrill({
    fault: options.fault,
    ...(options.parameters ? { parameters: options.parameters } : {}),
    predictorUrl: predictor.url,
    agentUrl,
    service: options.service,
    timeoutMs: options.timeoutMs ?? 90_000,
    pollIntervalMs: 200,
    onStage,
  });
  process.stdout.write(formatRecovery(options.title, result));

  expect(result.outcome, formatRecovery(options.title, result)).toBe('resolved');
  expect(approvalChecked).toBe(options.safetyMode);
  const names = result.stages.map((stage) => stage.name);
  for (const expected of ['incident-opened', 'analysis-completed', 'action-started', 'action-finished', 'action-verified', 'incident-resolved']) {
    expect(names, formatRecovery(options.title, result)).toContain(expected);
  }

  // The incident: resolved, one mutating action that ran once, succeeded and was verified effective.
  expect(result.incident_ids.length).toBeGreaterThanOrEqual(1);
  const incidentId = result.incident_ids[0] ?? '';
  const incident = (await http<IncidentDetail>(`${agentUrl}/incidents/${incidentId}`)).body;
  expect(incident.state).toBe('resolved');
  // One failure of a service is one incident: a hang soon after a crash re-opens the crash's
  // incident, so the fault's alert is among the incident's alerts, not necessarily its first.
  if (options.alertname) expect(incident.alerts.map((alert) => alert.alertname)).toContain(options.alertname);
  // A re-opened incident keeps the actions of its earlier episodes: count this fault's only.
  const faultAt = result.stages[0]?.at ?? 0;
  const remediations = incident.actions.filter(
    (action) => MUTATING.has(action.operation) && Date.parse(action.created_at) >= faultAt,
  );
  expect(remediations, JSON.stringify(incident.actions)).toHaveLength(1);
  const [remediation] = remediations;
  expect(['restart', 'start']).toContain(remediation?.operation);
  expect(remediation?.target).toBe(predictor.name);
  expect(remediation?.status).toBe('succeeded');
  expect(remediation?.effective).toBe(true);
  if (options.safetyMode) expect(remediation?.approved_by).toBe(tokenPrincipal(E2E_AGENT_TOKEN)); // the approving token's principal
  else expect(remediation?.decided_by).toBe('policy');

  // The container really was restarted, and the predictor is healthy again.
  const after = await predictor.state();
  expect(after.Running).toBe(true);
  expect(after.StartedAt).not.toBe(before.StartedAt);
  await waitForHealthy(predictor.url, 10_000);

  // Both audit chains verify, and the gateway's log holds the restart of this container.
  const agentAudit = await http<{ valid: boolean }>(`${agentUrl}/audit/verify`);
  expect(agentAudit.body.valid, JSON.stringify(agentAudit.body)).toBe(true);
  const gatewayAudit = await http<{ valid: boolean }>(`${options.gateway.url}/audit/verify`, { token: options.gateway.token });
  expect(gatewayAudit.body.valid, JSON.stringify(gatewayAudit.body)).toBe(true);
  const gatewayRecords = await http(`${options.gateway.url}/audit?limit=1000`, { token: options.gateway.token });
  expect(JSON.stringify(gatewayRecords.body)).toContain(predictor.name);

  // Learning recorded the outcome.
  const learning = await waitFor(
    async () => {
      const answer = await http<{ stats?: Array<{ action: string; attempts: number }> }>(`${agentUrl}/learning/stats`);
      return answer.body.stats?.find((stat) => stat.action === remediation?.operation && stat.attempts > 0);
    },
    { timeoutMs: 5000, description: 'learning statistics for the action' },
  );
  expect(learning.attempts).toBeGreaterThan(0);
  return result;
}
