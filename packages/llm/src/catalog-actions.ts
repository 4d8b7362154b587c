import { analysisResultSchema, type RecommendableAction, type Recommendation, type Risk } from '@atb/contracts';
import { z } from 'zod';

/** A recommendation as a model writes it: the risk is not the model's to say (it comes from the runbook). */
export const modelRecommendationSchema = z.object({
  action: z.string().min(1).max(200),
  target: z.string().max(200).optional(),
  reason: z.string().max(500).optional(),
});
export type ModelRecommendation = z.infer<typeof modelRecommendationSchema>;

/** The analysis a model answers with; {@link keepCatalogActions} turns its recommendations into catalog ones. */
export const modelAnalysisSchema = analysisResultSchema.extend({
  recommended_actions: z.array(modelRecommendationSchema).max(10),
});

const HUMANS = /^(to )?(a |the )?(human|on-?call|operator)s?$/;

/**
 * Keeps a model's recommended actions inside the runbook catalog. A recommendation is kept when
 * its action is a candidate and its target is empty or the incident's service (for `escalate`
 * also "a human", "on-call", "operator"); it is rewritten with the service as target and the
 * runbook's risk for that action. Everything else — other actions, other targets, shell text,
 * prompt-injected requests — is dropped and reported. Duplicates are kept once.
 */
export function keepCatalogActions(
  recommended: ModelRecommendation[],
  candidates: { action: RecommendableAction; risk: Risk }[],
  service: string,
): { kept: Recommendation[]; dropped: ModelRecommendation[] } {
  const kept: Recommendation[] = [];
  const dropped: ModelRecommendation[] = [];
  for (const entry of recommended) {
    const action = entry.action.trim().toLowerCase();
    const target = (entry.target ?? '').trim().toLowerCase();
    const candidate = candidates.find((known) => known.action === action);
    const targetAllowed = target === '' || target === service.toLowerCase() || target === `the ${service.toLowerCase()}` || (action === 'escalate' && HUMANS.test(target));
    if (!candidate || !targetAllowed) {
      dropped.push(entry);
      continue;
    }
    if (kept.some((recommendation) => recommendation.action === candidate.action)) continue;
    kept.push({ action: candidate.action, target: service, risk: candidate.risk, ...(entry.reason ? { reason: entry.reason } : {}) });
  }
  return { kept, dropped };
}
