import { policyAllows } from '@atb/contracts';
import { READ_ONLY_OPERATIONS } from '../analysis/runbooks.js';
import type { ServiceEntry } from '../catalog/catalog-schema.js';
import type { KnownPolicy } from '../remediation/gateway-policy.js';
import { matchService, targetOfService } from '../catalog/service-catalog.js';
import { targetOf } from '../incidents/incident-target.js';
import type { Config } from '../config.js';
import type { PolicyDecision } from './action-policy.js';
import type { Incident, StoredAlert } from '../store/agent-store.js';

/** Whether an incident's alert may lead to an action at all, and on which catalog entry and container. */
export type ServiceAdmission = { ok: true; entry: ServiceEntry; target: string } | { ok: false; reason: string };

const labelText = (labels: Record<string, string>) =>
  Object.entries(labels)
    .filter(([label]) => ['alertname', 'service', 'job', 'container', 'instance'].includes(label))
    .map(([label, value]) => `${label}=${value}`)
    .join(', ');

/**
 * An alert is acted on only when it belongs to a catalog entry and a container can be named for
 * it; an alert that maps to no entry is recorded and escalated, never acted on.
 */
export function admitService(
  services: readonly ServiceEntry[],
  incident: Incident,
  alerts: StoredAlert[],
  config: Pick<Config, 'MONITORED_SERVICE'>,
): ServiceAdmission {
  const labels = (alerts.find((alert) => alert.status === 'firing') ?? alerts[0])?.labels ?? {};
  const entry = matchService(services, labels);
  if (!entry) return { ok: false, reason: `no catalog entry matches the alert (${labelText(labels) || 'no labels'}): recorded, not acted on` };
  const target = entry.target.fromAlert ? targetOf(incident, alerts, config) : targetOfService(entry, labels);
  if (!target) return { ok: false, reason: `catalog entry ${entry.name} is known by its containers' labels and the alert has no container label: no container to act on` };
  return { ok: true, entry, target };
}

/** The reason an action the gateway would refuse escalates with. */
export const NOT_ALLOWLISTED = 'not allowlisted at the gateway';

/** The reason an action waits for a human while the gateway's policy cannot be read. */
export const POLICY_UNAVAILABLE = 'gateway policy unavailable';

/** The gateway's verdict on one action: allowed, refused (with the reason), or unknown (the policy could not be read, and why). */
export type GatewayAdmission = { ok: true; unavailable?: string } | { ok: false; reason: string };

/**
 * Whether the gateway would run `operation` on `target` for this agent: an action it would
 * refuse is never proposed (no approval waits for what cannot run); the incident escalates with
 * "not allowlisted at the gateway". When the gateway's policy could not be read, the verdict is
 * unknown: the action is proposed but never runs on its own ({@link decideWithGatewayPolicy}).
 */
export function gatewayAdmits(known: KnownPolicy, operation: string, target: string, entry: ServiceEntry): GatewayAdmission {
  if (!known.ok) return { ok: true, unavailable: known.error };
  const verdict = policyAllows(known.policy, operation, { name: target, labels: entry.target.labels });
  if (verdict.ok) return { ok: true };
  return { ok: false, reason: `${NOT_ALLOWLISTED}: ${operation} ${target} for source ${known.policy.source_id} — ${verdict.reason}` };
}

/**
 * The policy's decision, given what is known of the gateway's: when its policy could not be
 * read, an action that changes something waits for a human — nothing runs on its own that the
 * gateway may not allow — and the reason says so ("gateway policy unavailable (…)"); the gateway
 * still checks it when it runs. Read-only operations change nothing and keep the decision.
 */
export function decideWithGatewayPolicy(decision: PolicyDecision, admission: GatewayAdmission, operation: string): PolicyDecision {
  if (!admission.ok || admission.unavailable === undefined) return decision;
  const unknown = `${POLICY_UNAVAILABLE} (${admission.unavailable.slice(0, 200)})`;
  if (decision.automatic && !READ_ONLY_OPERATIONS.has(operation)) {
    return { automatic: false, reason: `${unknown}: the action waits for a human; the gateway still decides when it runs` };
  }
  return { ...decision, reason: `${decision.reason}; ${unknown}: the gateway decides when it runs` };
}
