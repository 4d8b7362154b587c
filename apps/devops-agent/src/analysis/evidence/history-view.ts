import type { AnalysisContext, HistoryEvidence } from '@atb/contracts';

/**
 * The incident's history as evidence: how often it re-opened, and what restarts achieved before
 * (similar past incidents and the learning statistics for this alert).
 */
export function historyView(context: {
  flap_count: number;
  history: AnalysisContext['history'];
  learning: { action: string; attempts: number; successes: number; effective_rate: number }[];
}): HistoryEvidence {
  const restarts = context.history.filter((past) => past.action === 'restart' && past.effective !== undefined);
  const stat = context.learning.find((entry) => entry.action === 'restart' && entry.attempts > 0);
  const learnedIneffective = stat ? stat.attempts - stat.successes : 0;
  const pastIneffective = restarts.filter((past) => past.effective === false).length;
  const pastEffective = restarts.filter((past) => past.effective === true).length;
  return {
    flap_count: context.flap_count,
    ineffective_restarts: Math.max(pastIneffective, learnedIneffective),
    effective_restarts: Math.max(pastEffective, stat?.successes ?? 0),
    ...(stat ? { restart_effective_rate: Math.round(stat.effective_rate * 1000) / 1000 } : {}),
  };
}
