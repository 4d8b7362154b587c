import { z } from 'zod';

/** Severity levels of an analysis (seed 003). */
export const SEVERITIES = ['low', 'medium', 'high', 'critical'] as const;
export const severitySchema = z.enum(SEVERITIES);
export type Severity = z.infer<typeof severitySchema>;

/**
 * The result of analysing an incident, with the field names of seed 003. Produced by the
 * rule-based analyzer and by any LLM analyzer, validated by this one schema.
 */
export const analysisResultSchema = z.object({
  issue_detected: z.boolean(),
  severity: severitySchema,
  issue_type: z.string().min(1).max(100),
  description: z.string().max(4000),
  root_cause: z.string().max(4000),
  recommended_actions: z.array(z.string().min(1).max(200)).max(10),
  confidence: z.number().min(0).max(1),
  requires_immediate_action: z.boolean(),
  risk_assessment: z.string().max(4000),
});
export type AnalysisResult = z.infer<typeof analysisResultSchema>;
