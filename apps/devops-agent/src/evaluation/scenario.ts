import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { alertmanagerWebhookSchema, evidenceSchema } from '@atb/contracts';
import { z } from 'zod';

/**
 * One offline evaluation scenario (`apps/devops-agent/evals/scenarios/*.json`), in the style of
 * HolmesGPT's evals: the Alertmanager payload that opened the incident, what the agent had
 * gathered (health, PromQL, history, learning, flapping), the recorded answers of every
 * read-only tool an LLM may call, and what a good analysis says.
 */
export const scenarioSchema = z.object({
  id: z.string().min(1),
  category: z.enum(['crash', 'hang', 'leak', 'latency', 'errors', 'flapping', 'dependency', 'do-nothing', 'escalate']),
  description: z.string().min(1),
  alertmanager: alertmanagerWebhookSchema,
  health: z
    .object({
      reachable: z.boolean(),
      status: z.string().optional(),
      response_time_ms: z.number().optional(),
      body: z.unknown().optional(),
      error: z.string().optional(),
    })
    .optional(),
  metrics: z.record(z.string(), z.number().nullable()).optional(),
  history: z
    .array(
      z.object({
        incident_id: z.string(),
        issue_type: z.string().optional(),
        action: z.string().optional(),
        effective: z.boolean().optional(),
        resolved_at: z.string().optional(),
      }),
    )
    .default([]),
  learning: z
    .array(
      z.object({
        action: z.string(),
        attempts: z.number().int(),
        successes: z.number().int(),
        effective_rate: z.number(),
        mean_time_to_recovery_s: z.number().optional(),
      }),
    )
    .default([]),
  flap_count: z.number().int().min(0).default(0),
  /** The targets the gateway allowlists for this incident; default: the alerts' `service` and `container` labels. */
  allowed_targets: z.array(z.string().min(1)).min(1).optional(),
  /**
   * The evidence the agent gathered (health detail, runtime view, PromQL readings, log
   * signatures, sources' status), as recorded; facts are derived again by the code under test.
   */
  evidence: evidenceSchema.extend({ facts: z.array(z.string()).optional() }).optional(),
  /** Where the scenario came from: written by hand, or captured from a real drill (and how to capture it again). */
  origin: z
    .object({ kind: z.enum(['written', 'drill']), command: z.string().optional(), captured_at: z.string().optional() })
    .default({ kind: 'written' }),
  /** Recorded tool outputs: tool name → output; `prometheus_query` maps a query (or `*`) to its result. */
  tools: z.record(z.string(), z.unknown()).default({}),
  expected: z.object({
    /** Issue types counted as right (the first is the preferred label). */
    issue_types: z.array(z.string().min(1)).min(1),
    /** First recommended action counted as acceptable; `none` = recommend nothing / no issue. */
    acceptable_actions: z.array(z.string().min(1)).min(1),
    /** Actions that must not appear anywhere in the recommendations. */
    forbidden_actions: z.array(z.string().min(1)).default([]),
  }),
});
export type Scenario = z.output<typeof scenarioSchema>;

/** The shipped scenario directory (from src/ or dist/src/). */
export function defaultScenarioDirectory(): string {
  return fileURLToPath(new URL('../../evals/scenarios/', import.meta.url)).replace(/dist\/evals/, 'evals');
}

/** Loads and validates every `*.json` scenario in `directory`, in file-name order; errors name the file and field. */
export function loadScenarios(directory = defaultScenarioDirectory()): Scenario[] {
  return readdirSync(directory)
    .filter((file) => file.endsWith('.json'))
    .sort()
    .map((file) => {
      const parsed = scenarioSchema.safeParse(JSON.parse(readFileSync(`${directory}/${file}`, 'utf8')));
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        throw new Error(`invalid scenario ${file}: ${issue?.path.join('.') ?? '?'}: ${issue?.message ?? 'invalid'}`);
      }
      return parsed.data;
    });
}
