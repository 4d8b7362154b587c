import type { CommandPlan, Operation } from '@atb/contracts';
import { ACCEPTED_EXAMPLES } from '../policy/rejection.js';
import type { Interpretation, InterpretRequest, IntentInterpreter } from './intent-interpreter.js';

/** Phrasings of each operation; an intent must match exactly one operation. */
const OPERATION_PATTERNS: Record<Operation, RegExp> = {
  restart: /\b(restart|reboot|bounce|recycle|relaunch)\b/,
  start: /\b(start|boot|bring (it |the service |the container )?(back )?up|power on)\b/,
  stop: /\b(stop|halt|shut ?down|power off|bring (it |the service |the container )?down)\b/,
  logs: /\b(logs?|log lines|lines|tail)\b/,
  inspect: /\b(inspect|describe|details|status|state|health)\b/,
  stats: /\b(stats|statistics|resource usage|resources|usage|cpu|memory)\b/,
  list: /\b(list|ps|all containers|which containers|show containers|containers)\b/,
  rollback: /\b(roll ?back|revert|downgrade|previous image)\b/,
};

const LOG_LINES = /\b(\d{1,9})\s*(?:log\s+)?(?:lines?|entries|rows)\b|\b(?:last|tail|recent)\s+(\d{1,9})\b/;
const TIMEOUT = /\b(?:within|timeout(?:\s+of)?|in under)\s+(\d{1,6})\s*(?:s|secs?|seconds?)\b|\b(\d{1,6})\s*(?:s|secs?|seconds?)\s+timeout\b/;
const MINUTES_TIMEOUT = /\b(?:within|timeout(?:\s+of)?|in under)\s+(\d{1,4})\s*(?:m|mins?|minutes?)\b/;

/**
 * The rule-based interpreter: reads the common phrasings ("restart the service", "show the last
 * 200 log lines", "stats", "list containers") without any model. `target_resource.name` names
 * the target; the intent may narrow the log lines and the timeout. Anything it cannot read with
 * certainty (no operation, or several) is refused with what would be accepted.
 */
export class RuleInterpreter implements IntentInterpreter {
  readonly name = 'rules';

  interpret({ request, policy }: InterpretRequest): Interpretation {
    const intent = request.action_request.intent.toLowerCase().replace(/\s+/g, ' ').trim();
    const target = request.target_resource.name;
    let matched = (Object.keys(OPERATION_PATTERNS) as Operation[]).filter((operation) =>
      OPERATION_PATTERNS[operation].test(intent),
    );
    // "show the logs of all containers" is logs, not list; "restart and report status" stays ambiguous.
    if (matched.includes('list') && matched.length > 1 && /\bcontainers?\b/.test(intent) && !/\blist\b|\bps\b/.test(intent)) {
      matched = matched.filter((operation) => operation !== 'list');
    }
    // A mutating verb with "status"/"health" as the reason ("restart because health fails") is that verb.
    const mutating: Operation[] = matched.filter((operation) => ['restart', 'start', 'stop', 'rollback'].includes(operation));
    if (mutating.length === 1 && matched.length > 1 && matched.every((operation) => mutating.includes(operation) || operation === 'inspect' || operation === 'stats')) {
      matched = mutating;
    }
    if (matched.length === 0) {
      return {
        ok: false,
        kind: 'unrecognised',
        reason: `could not read an operation in the intent; accepted operations are restart, start, stop, logs, inspect, stats, list and rollback`,
        accepted_examples: ACCEPTED_EXAMPLES,
      };
    }
    if (matched.length > 1) {
      return {
        ok: false,
        kind: 'ambiguous',
        reason: `the intent names more than one operation (${matched.join(', ')}); send one request per operation`,
        accepted_examples: ACCEPTED_EXAMPLES,
      };
    }
    const operation = matched[0] as Operation;
    const otherTarget = policy.targets.names.find(
      (name) => name.toLowerCase() !== target.toLowerCase() && new RegExp(`(^|[^a-z0-9_.-])${escapePattern(name.toLowerCase())}($|[^a-z0-9_.-])`).test(intent),
    );
    if (otherTarget) {
      return {
        ok: false,
        kind: 'ambiguous',
        reason: `the intent names "${otherTarget}" but target_resource.name is "${target}"; name one target`,
        accepted_examples: ACCEPTED_EXAMPLES,
      };
    }
    const params: CommandPlan['params'] = {};
    if (operation === 'logs') {
      const lines = LOG_LINES.exec(intent);
      const count = lines ? Number(lines[1] ?? lines[2]) : policy.limits.default_log_lines;
      params.tail = count;
    }
    const seconds = TIMEOUT.exec(intent);
    const minutes = MINUTES_TIMEOUT.exec(intent);
    if (seconds) params.timeout_seconds = Number(seconds[1] ?? seconds[2]);
    else if (minutes) params.timeout_seconds = Number(minutes[1]) * 60;
    return { ok: true, interpreter: this.name, plan: { operation, target, params } };
  }
}

function escapePattern(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
