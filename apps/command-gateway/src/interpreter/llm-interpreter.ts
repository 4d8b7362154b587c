import { type CommandPlan, OPERATIONS } from '@atb/contracts';
import { describeError, describeSchema, generateValidated, type ModelRouter, renderPrompt } from '@atb/llm';
import { z } from 'zod';
import { ACCEPTED_EXAMPLES } from '../policy/rejection.js';
import type { Interpretation, InterpretRequest, IntentInterpreter } from './intent-interpreter.js';

/**
 * What the model is asked to answer. Deliberately loose: the operation is any string and the
 * parameters any values, because refusing the model's proposal is not this module's job —
 * every plan goes through `validatePlan`, the gateway's one gate, exactly like a rule plan.
 */
const modelPlanSchema = z.looseObject({
  operation: z.string().min(1).max(100).describe(`one of ${OPERATIONS.join(', ')}, or "none"`),
  target: z.string().max(253).optional().describe('container name'),
  params: z
    .record(z.string(), z.unknown())
    .optional()
    .describe('optional: tail (log lines, logs only), timeout_seconds'),
  reason: z.string().max(500).optional().describe('why, especially when operation is "none"'),
});

/** Settings of an {@link LlmInterpreter}. */
export interface LlmInterpreterOptions {
  router: ModelRouter;
  temperature?: number;
  maxOutputTokens?: number;
}

/**
 * Reads free-form intents the rule interpreter could not read, by asking the model for a
 * `CommandPlan` (prompt `command-plan.v1`). Invalid JSON gets one repair attempt. The plan is a
 * proposal only: the command service validates it with the same `validatePlan` as rule plans,
 * so a model talked into "run a privileged container" or `rm -rf` proposes something the
 * validator rejects. Provider failures (timeouts, open circuit, budgets) become refusals.
 */
export class LlmInterpreter implements IntentInterpreter {
  readonly name = 'llm';

  constructor(private readonly options: LlmInterpreterOptions) {}

  async interpret({ request, policy, signal }: InterpretRequest): Promise<Interpretation> {
    const source = Object.hasOwn(policy.sources, request.source_id) ? policy.sources[request.source_id] : undefined;
    const outputSchema = describeSchema(modelPlanSchema);
    const context = request.action_request.context;
    const prompt = renderPrompt('command-plan.v1', {
      operations: (source?.operations ?? OPERATIONS).join(', '),
      targets: policy.targets.names.join(', ') || '(none by name)',
      output_schema: outputSchema,
      target: request.target_resource.name,
      intent: request.action_request.intent,
      context: typeof context === 'string' ? context : JSON.stringify(context ?? {}),
      priority: request.action_request.priority,
    });
    const { model } = this.options.router.scoped({ purpose: 'command-plan' });
    try {
      const parsed = await generateValidated({
        model,
        prompt,
        schema: modelPlanSchema,
        ...(this.options.temperature !== undefined ? { temperature: this.options.temperature } : {}),
        ...(this.options.maxOutputTokens !== undefined ? { maxOutputTokens: this.options.maxOutputTokens } : {}),
        ...(signal ? { signal } : {}),
      });
      if (!parsed.ok) return refusal(`the language model gave no usable plan: ${parsed.problems}`);
      const answer = parsed.value;
      if (answer.operation === 'none') {
        return refusal(`the language model could not map the intent to one operation${answer.reason ? `: ${answer.reason}` : ''}`);
      }
      // Passed on unfiltered (typed as a plan, checked by validatePlan, which accepts unknown input).
      const plan = {
        operation: answer.operation,
        target: answer.target ?? request.target_resource.name,
        params: answer.params ?? {},
      } as unknown as CommandPlan;
      return { ok: true, plan, interpreter: this.name };
    } catch (error) {
      return refusal(`the language model is unavailable (${describeError(error).slice(0, 300)})`);
    }
  }
}

function refusal(reason: string): Interpretation {
  return { ok: false, kind: 'unrecognised', reason, accepted_examples: ACCEPTED_EXAMPLES };
}
