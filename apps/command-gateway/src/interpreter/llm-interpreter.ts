import { commandPlanSchema, OPERATIONS } from '@atb/contracts';
import {
  createLlmMetrics,
  createModelRouter,
  describeError,
  describeSchema,
  generateValidated,
  InMemoryUsageStore,
  type LlmConfig,
  type ModelRouter,
  registerLlmRoutes,
  renderPrompt,
} from '@atb/llm';
import type { Service } from '@atb/service-kit';
import { z } from 'zod';
import { ACCEPTED_EXAMPLES } from '../policy/rejection.js';
import type { Interpretation, InterpretRequest, IntentInterpreter } from './intent-interpreter.js';

/**
 * What the model is asked to answer. Deliberately loose, so that a bad proposal is reported
 * precisely instead of failing as "invalid JSON": the plan is then checked against the wire
 * contract (`commandPlanSchema`) and, like every rule plan, by `validatePlan`, the one gate.
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
      // Only the wire shape is checked here (a plan outside it could not even be echoed in a
      // rejection); everything else — source rights, allowlist, parameters and their bounds — is
      // validatePlan's job, exactly as for rule plans.
      const typed = commandPlanSchema.safeParse({
        operation: answer.operation,
        target: answer.target ?? request.target_resource.name,
        params: answer.params ?? {},
      });
      if (!typed.success) {
        const issue = typed.error.issues[0];
        return refusal(
          `the language model proposed a plan outside the command contract (${issue?.path.join('.') ?? 'plan'}: ${issue?.message ?? 'invalid'}); nothing runs`,
        );
      }
      const plan = typed.data;
      return { ok: true, plan, interpreter: this.name };
    } catch (error) {
      return refusal(`the language model is unavailable (${describeError(error).slice(0, 300)})`);
    }
  }
}

function refusal(reason: string): Interpretation {
  return { ok: false, kind: 'unrecognised', reason, accepted_examples: ACCEPTED_EXAMPLES };
}

/**
 * The gateway's LLM interpreter for a config, or `undefined` with `LLM_PROVIDER=none`. With a
 * `service`, registers `GET /llm/usage` (behind the bearer token) and the `llm_*` metrics.
 */
export function createLlmInterpreter(config: LlmConfig, service?: Service): LlmInterpreter | undefined {
  const usage = new InMemoryUsageStore();
  const router = createModelRouter(config, {
    usage,
    ...(service ? { onCall: createLlmMetrics(service.metrics.registry) } : {}),
  });
  if (service) {
    registerLlmRoutes(service.app, { usage, ...(router ? { router } : {}), dailyTokenBudget: config.LLM_DAILY_TOKEN_BUDGET });
  }
  if (!router) return undefined;
  // A plan is a few dozen tokens: cap the answer well below LLM_MAX_TOKENS.
  return new LlmInterpreter({ router, temperature: config.LLM_TEMPERATURE, maxOutputTokens: Math.min(config.LLM_MAX_TOKENS, 500) });
}
