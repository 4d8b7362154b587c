import {
  type AnalysisContext,
  type AnalysisOutcome,
  type AnalysisResult,
  type Analyzer,
  analysisResultSchema,
} from '@atb/contracts';
import { generateText, type ModelMessage, stepCountIs } from 'ai';
import { keepCatalogActions, type ModelRecommendation, modelAnalysisSchema } from './catalog-actions.js';
import { describeError, InvalidModelOutputError, LlmError } from './errors.js';
import { createInvestigationTools, type InvestigationPorts, type ToolCallRecord } from './investigation-tools.js';
import type { ModelRouter } from './model-router.js';
import { describeSchema, renderPrompt } from './prompts.js';
import { redactSecrets } from './redaction.js';
import { parseModelOutput } from './structured-output.js';
import { fitToBudget } from './tool-output-budget.js';

/** Issue types suggested to the model (the runbooks' own types come first when given). */
export const DEFAULT_ISSUE_TYPES = [
  'service_down',
  'service_hung',
  'memory_leak',
  'error_rate_regression',
  'performance',
  'dependency_outage',
  'resource_exhaustion',
  'flapping',
  'unknown',
  'none',
];

/** Settings of an {@link LlmAnalyzer}. */
export interface LlmAnalyzerOptions {
  router: ModelRouter;
  /** Answers when the model cannot (the rule analyzer). */
  fallback: Analyzer;
  /** Read-only tool ports the agent supplies. */
  ports: InvestigationPorts;
  /** Maximum model steps (`LLM_MAX_STEPS`). */
  maxSteps: number;
  /** Characters per tool output (`LLM_TOOL_OUTPUT_CHARS`); undefined = no budget. */
  toolOutputChars: number | undefined;
  temperature?: number;
  maxOutputTokens?: number;
  /** Issue types to suggest (e.g. the runbooks' `issue_type`s). */
  issueTypes?: string[];
  /** Prompt versions; default `investigate.v1` and `incident.v2` (the gathered evidence first). */
  prompts?: { system: string; incident: string; repair: string };
}

/** What the last investigation did (for incident records, tests and the benchmark). */
export interface InvestigationTrace {
  tool_calls: ToolCallRecord[];
  steps: number;
  repaired: boolean;
  dropped_actions: ModelRecommendation[];
}

/** Serialised, cut to `limit` characters, then redacted once (the bound applies first). */
const json = (value: unknown, limit: number) => redactSecrets(fitToBudget(JSON.stringify(value ?? null, null, 1), limit).text);

/**
 * The LLM analyzer: a bounded, read-only tool loop ending in a validated analysis.
 *
 * 1. Renders the versioned prompts with the incident (redacted and size-bounded).
 * 2. Lets the model call the read-only tools for at most `maxSteps` steps.
 * 3. Validates the JSON answer with `modelAnalysisSchema` (recommendations without risk); an
 *    invalid answer gets one repair attempt with the validation errors; a second failure
 *    answers with the fallback analyzer.
 * 4. Keeps only catalog actions (see {@link keepCatalogActions}); dropped ones are noted in
 *    `risk_assessment`.
 * Any provider failure (timeouts, 429/5xx after retries, open circuits, budgets) also answers
 * with the fallback, with `fallback_reason` saying why.
 */
export class LlmAnalyzer implements Analyzer {
  readonly name = 'llm';
  /** The trace of the most recent investigation. */
  lastTrace: InvestigationTrace | undefined;

  constructor(private readonly options: LlmAnalyzerOptions) {}

  async analyze(context: AnalysisContext, options: { signal?: AbortSignal } = {}): Promise<AnalysisOutcome> {
    const scoped = this.options.router.scoped({ incident_id: context.incident_id, purpose: 'investigation' });
    const trace: InvestigationTrace = { tool_calls: [], steps: 0, repaired: false, dropped_actions: [] };
    this.lastTrace = trace;
    try {
      const analysis = await this.investigate(context, scoped.model, trace, options.signal);
      return { analysis, analyzer: this.name, usage: { ...usageOf(scoped.totals()) } };
    } catch (error) {
      if (options.signal?.aborted) throw error;
      const outcome = await this.options.fallback.analyze(context, options);
      return {
        ...outcome,
        fallback_reason: `llm: ${describeError(error)}`.slice(0, 1000),
        usage: usageOf(scoped.totals()),
      };
    }
  }

  private async investigate(
    context: AnalysisContext,
    model: Parameters<typeof generateText>[0]['model'],
    trace: InvestigationTrace,
    signal: AbortSignal | undefined,
  ): Promise<AnalysisResult> {
    const prompts = this.options.prompts ?? { system: 'investigate.v1', incident: 'incident.v2', repair: 'repair.v1' };
    const tools = createInvestigationTools(this.options.ports, {
      outputChars: this.options.toolOutputChars,
      alertname: context.alertname,
      service: context.service,
      onCall: (record) => trace.tool_calls.push(record),
    });
    const outputSchema = describeSchema(modelAnalysisSchema);
    const issueTypes = [...new Set([...(this.options.issueTypes ?? []), ...DEFAULT_ISSUE_TYPES])];
    const system = renderPrompt(prompts.system, {
      service: context.service,
      max_steps: this.options.maxSteps,
      tools: Object.keys(tools).join(', ') || '(none)',
      candidate_actions: context.candidate_actions.length > 0 ? context.candidate_actions.map((candidate) => candidate.action).join(', ') : '(none: recommend nothing)',
      output_schema: outputSchema,
      issue_types: issueTypes.join(', '),
    });
    const alerts = context.alerts.map((alert) => ({
      status: alert.status,
      labels: alert.labels,
      annotations: alert.annotations,
      startsAt: alert.startsAt,
      endsAt: alert.endsAt,
    }));
    const incident = renderPrompt(prompts.incident, {
      incident_id: context.incident_id,
      alertname: redactSecrets(context.alertname.slice(0, 200)),
      severity: redactSecrets(context.severity.slice(0, 50)),
      service: context.service,
      flap_count: context.flap_count,
      alerts: json(alerts, 6_000),
      health: json(context.health ?? 'not checked', 2_000),
      metrics: json(context.metrics ?? 'no Prometheus configured', 2_000),
      history: json(context.history.slice(0, 10), 2_000),
      learning: json(context.learning, 2_000),
      // incident.v1 predates gathered evidence and has no place for it.
      ...(prompts.incident === 'incident.v1' ? {} : { evidence: json(context.evidence ?? 'not gathered', 6_000) }),
    });
    const settings = {
      model,
      system,
      maxRetries: 0,
      ...(this.options.temperature !== undefined ? { temperature: this.options.temperature } : {}),
      ...(this.options.maxOutputTokens !== undefined ? { maxOutputTokens: this.options.maxOutputTokens } : {}),
      ...(signal ? { abortSignal: signal } : {}),
    };
    const maxSteps = this.options.maxSteps;
    const result = await generateText({
      ...settings,
      messages: [{ role: 'user', content: incident }],
      tools,
      stopWhen: stepCountIs(maxSteps),
      // The last step may not call tools: it must answer.
      prepareStep: ({ stepNumber }) => (stepNumber >= maxSteps - 1 ? { toolChoice: 'none' as const } : undefined),
    });
    trace.steps = result.steps.length;
    let parsed = parseModelOutput(result.text, modelAnalysisSchema);
    if (!parsed.ok) {
      trace.repaired = true;
      const messages: ModelMessage[] = [
        { role: 'user', content: incident },
        ...result.response.messages,
        { role: 'user', content: renderPrompt(prompts.repair, { problems: parsed.problems, output_schema: outputSchema }) },
      ];
      const repair = await generateText({ ...settings, messages, tools, toolChoice: 'none', stopWhen: stepCountIs(1) });
      trace.steps += repair.steps.length;
      parsed = parseModelOutput(repair.text, modelAnalysisSchema);
      if (!parsed.ok) throw new InvalidModelOutputError(parsed.problems);
    }
    const { kept, dropped } = keepCatalogActions(parsed.value.recommended_actions, context.candidate_actions, context.service);
    trace.dropped_actions = dropped;
    const analysis: AnalysisResult = { ...parsed.value, recommended_actions: kept };
    if (dropped.length > 0) {
      const note = ` [Dropped ${dropped.length} recommendation(s) outside the runbook catalog: ${dropped
        .map((entry) => JSON.stringify(`${entry.action} ${entry.target ?? ''}`.trim().slice(0, 80)))
        .join(', ')}]`;
      analysis.risk_assessment = (analysis.risk_assessment.slice(0, 4000 - Math.min(note.length, 1000)) + note).slice(0, 4000);
    }
    return analysisResultSchema.parse(analysis);
  }
}

function usageOf(totals: { prompt_tokens: number; completion_tokens: number; estimated_cost_usd: number; calls: number }) {
  return {
    prompt_tokens: totals.prompt_tokens,
    completion_tokens: totals.completion_tokens,
    estimated_cost_usd: totals.estimated_cost_usd,
    calls: totals.calls,
  };
}

/** True when `error` came from the LLM layer (budgets, circuits, providers, invalid output). */
export function isLlmLayerError(error: unknown): error is LlmError {
  return error instanceof LlmError;
}
