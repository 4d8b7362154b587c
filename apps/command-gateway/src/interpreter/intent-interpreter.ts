import type { CommandPlan, ParsedExecuteCommandRequest } from '@atb/contracts';
import type { Policy } from '../policy/policy.js';

/** What an interpreter is given: the validated request and the policy in force. */
export interface InterpretRequest {
  /** The request as received (already screened: no shell syntax, no forbidden verbs). */
  request: ParsedExecuteCommandRequest;
  /** For reading defaults (log lines) and the allowlisted names; the validator enforces it. */
  policy: Policy;
  signal?: AbortSignal;
}

export type Interpretation =
  | {
      ok: true;
      plan: CommandPlan;
      /** Which interpreter read the intent (`rules`, `llm`); recorded in the audit log. */
      interpreter?: string;
    }
  | {
      ok: false;
      reason: string;
      accepted_examples: string[];
      /** `ambiguous` when the intent named several things, `unrecognised` when nothing. */
      kind?: 'ambiguous' | 'unrecognised';
    };

/**
 * Turns an intent into a proposed {@link CommandPlan}. A plan is only a proposal: every plan,
 * from any interpreter, goes through `validatePlan` before anything runs.
 *
 * @example
 * const interpreter: IntentInterpreter = {
 *   name: 'llm',
 *   async interpret({ request }) { … return { ok: true, plan: { operation: 'restart', target: request.target_resource.name, params: {} } }; },
 * };
 * await buildCommandGateway(config, { interpreter });
 */
export interface IntentInterpreter {
  readonly name: string;
  interpret(input: InterpretRequest): Interpretation | Promise<Interpretation>;
}
