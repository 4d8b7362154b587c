import { z } from 'zod';
import type { Evidence } from './evidence.js';
import { OPERATIONS } from './gateway.js';

/** Severity levels of an analysis. */
export const SEVERITIES = ['low', 'medium', 'high', 'critical'] as const;
export const severitySchema = z.enum(SEVERITIES);
export type Severity = z.infer<typeof severitySchema>;

/** What an analysis may recommend: a gateway operation, or `escalate` (hand the incident to humans). */
export const RECOMMENDABLE_ACTIONS = [...OPERATIONS, 'escalate'] as const;
export type RecommendableAction = (typeof RECOMMENDABLE_ACTIONS)[number];

/** Risk classes of an action, from the runbook: the policy lets only allowed classes run on their own. */
export const RISKS = ['low', 'medium', 'high'] as const;
export const riskSchema = z.enum(RISKS);
export type Risk = z.infer<typeof riskSchema>;

/** One recommended action: what to do, to which target, at what risk, and why. */
export const recommendationSchema = z.object({
  action: z.enum(RECOMMENDABLE_ACTIONS),
  /** The service (or container) acted on; for `escalate`, the service handed to humans. */
  target: z.string().min(1).max(200),
  risk: riskSchema,
  reason: z.string().max(500).optional(),
});
export type Recommendation = z.infer<typeof recommendationSchema>;

/**
 * The result of analysing an incident, with the field names kept from the original design
 * (`recommended_actions` is a list of structured recommendations, best first). Produced by the
 * rule-based analyzer and by any LLM analyzer, validated by this one schema.
 */
export const analysisResultSchema = z.object({
  issue_detected: z.boolean(),
  severity: severitySchema,
  issue_type: z.string().min(1).max(100),
  description: z.string().max(4000),
  root_cause: z.string().max(4000),
  recommended_actions: z.array(recommendationSchema).max(10),
  confidence: z.number().min(0).max(1),
  requires_immediate_action: z.boolean(),
  risk_assessment: z.string().max(4000),
});
export type AnalysisResult = z.infer<typeof analysisResultSchema>;

/** One alert of an incident, as an analyzer sees it. */
export interface AnalysisAlert {
  fingerprint: string;
  status: 'firing' | 'resolved';
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt: string;
}

/** Everything an analyzer is given about one incident. */
export interface AnalysisContext {
  incident_id: string;
  alertname: string;
  service: string;
  severity: string;
  alerts: AnalysisAlert[];
  /** The target's `/health` (and `/status`) when it could be read, or why not. */
  health?: { reachable: boolean; status?: string; response_time_ms?: number; body?: unknown; error?: string };
  /** Results of PromQL queries, when PROMETHEUS_URL is set: query → value. */
  metrics?: Record<string, number | null>;
  /** Similar past incidents, newest first. */
  history: { incident_id: string; issue_type?: string; action?: string; effective?: boolean; resolved_at?: string }[];
  /** Effectiveness per candidate action for this alert (learning statistics). */
  learning: { action: string; attempts: number; successes: number; effective_rate: number; mean_time_to_recovery_s?: number }[];
  /** The runbook's candidate actions for this alert with their risk, in rank order: the only actions an analyzer may recommend. */
  candidate_actions: { action: RecommendableAction; risk: Risk }[];
  /** How many times this alert re-opened recently (flapping). */
  flap_count: number;
  /** What was gathered before deciding (evidence.ts): every analyzer starts from it. */
  evidence?: Evidence;
  /** The runbook the evidence and the alert fit best; `candidate_actions` are its actions. */
  runbook?: string;
}

export interface AnalysisUsage {
  prompt_tokens: number;
  completion_tokens: number;
  estimated_cost_usd: number;
  calls: number;
}

/** What an analyzer answers: a validated analysis, who produced it, and why a fallback happened. */
export interface AnalysisOutcome {
  analysis: AnalysisResult;
  analyzer: string;
  /** Set when the preferred analyzer failed and another answered instead. */
  fallback_reason?: string;
  usage?: AnalysisUsage;
  /** The evidence the analysis was made on, recorded with it on the incident. */
  evidence?: Evidence;
  /** The runbook the decision follows (the context's). */
  runbook?: string;
}

/**
 * Diagnoses an incident. The rule-based analyzer is always available; LLM analyzers implement
 * the same interface and fall back to it.
 */
export interface Analyzer {
  readonly name: string;
  analyze(context: AnalysisContext, options?: { signal?: AbortSignal }): Promise<AnalysisOutcome>;
}
