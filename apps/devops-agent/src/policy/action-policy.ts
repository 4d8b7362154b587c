import { READ_ONLY_OPERATIONS } from '../analysis/runbooks.js';
import type { Config } from '../config.js';
import type { ActionStore } from '../store/action-store.js';

export type PolicyConfig = Pick<
  Config,
  | 'SAFETY_MODE'
  | 'AUTO_ACTION_MIN_CONFIDENCE'
  | 'AUTO_ACTION_RISK_CLASSES'
  | 'ACTION_COOLDOWN'
  | 'ACTION_RATE_LIMIT_PER_HOUR'
  | 'CIRCUIT_FAILURE_THRESHOLD'
  | 'CIRCUIT_WINDOW'
>;

/** Whether an action may run on its own, and why (or why not). */
export interface PolicyDecision {
  automatic: boolean;
  reason: string;
}

const ago = (seconds: number) => new Date(Date.now() - seconds * 1000).toISOString();

/** True when the target's circuit is open: too many failed or ineffective actions in the window. */
export async function circuitOpen(actions: Pick<ActionStore, 'failuresSince'>, config: PolicyConfig, target: string): Promise<boolean> {
  return (await actions.failuresSince(target, ago(config.CIRCUIT_WINDOW))) >= config.CIRCUIT_FAILURE_THRESHOLD;
}

/** Targets whose circuit is open now. */
export function openCircuits(actions: Pick<ActionStore, 'targetsWithFailures'>, config: PolicyConfig): Promise<string[]> {
  return actions.targetsWithFailures(ago(config.CIRCUIT_WINDOW), config.CIRCUIT_FAILURE_THRESHOLD);
}

/**
 * The policy. For a service whose catalog entry says `autonomous: false`, and in safety mode,
 * every action waits for a human. Otherwise an action
 * runs on its own only when its confidence reaches the threshold, its risk class is allowed,
 * the target's cooldown has passed and the hourly rate limit allows; else it waits for a human.
 * (An open circuit is checked before: it escalates instead.)
 */
export async function evaluatePolicy(
  actions: Pick<ActionStore, 'startedSince'>,
  config: PolicyConfig,
  proposal: { operation: string; risk: string; confidence: number; target: string; autonomous?: boolean },
): Promise<PolicyDecision> {
  if (proposal.autonomous === false) return { automatic: false, reason: `the service catalog allows no autonomous action on ${proposal.target}: every action waits for a human` };
  if (config.SAFETY_MODE) return { automatic: false, reason: 'safety mode: every action waits for a human' };
  if (proposal.confidence < config.AUTO_ACTION_MIN_CONFIDENCE) {
    return { automatic: false, reason: `confidence ${proposal.confidence} is below ${config.AUTO_ACTION_MIN_CONFIDENCE}` };
  }
  if (!config.AUTO_ACTION_RISK_CLASSES.includes(proposal.risk)) {
    return { automatic: false, reason: `risk class ${proposal.risk} is not allowed to run on its own (${config.AUTO_ACTION_RISK_CLASSES.join(', ') || 'none'})` };
  }
  if (!READ_ONLY_OPERATIONS.has(proposal.operation)) {
    if (config.ACTION_COOLDOWN > 0) {
      const recent = await actions.startedSince(ago(config.ACTION_COOLDOWN), proposal.target);
      if (recent.some((action) => !READ_ONLY_OPERATIONS.has(action.operation))) {
        return { automatic: false, reason: `cooldown: ${proposal.target} was acted on less than ${config.ACTION_COOLDOWN}s ago` };
      }
    }
    const lastHour = await actions.startedSince(ago(3600));
    const automatic = lastHour.filter((action) => action.decided_by === 'policy' && !READ_ONLY_OPERATIONS.has(action.operation));
    if (automatic.length >= config.ACTION_RATE_LIMIT_PER_HOUR) {
      return { automatic: false, reason: `rate limit: ${automatic.length} automatic actions in the last hour (limit ${config.ACTION_RATE_LIMIT_PER_HOUR})` };
    }
  }
  return {
    automatic: true,
    reason: `confidence ${proposal.confidence} ≥ ${config.AUTO_ACTION_MIN_CONFIDENCE}, risk ${proposal.risk} allowed, cooldown passed, within rate limit`,
  };
}
