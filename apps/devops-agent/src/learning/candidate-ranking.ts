import type { RunbookCandidate } from '../analysis/runbooks.js';
import type { LearningStat } from '../store/agent-store.js';

/** Prior effectiveness of an action never tried for this alert. */
const PRIOR = 0.5;

/**
 * Ranks runbook candidates by learning statistics: the effective rate of each action for this
 * (alertname, service), with untried actions at a neutral prior. Ties keep runbook order, and
 * `escalate` always stays last — it is what happens when nothing else is left.
 */
export function rankCandidates(candidates: RunbookCandidate[], stats: LearningStat[]): RunbookCandidate[] {
  const score = (candidate: RunbookCandidate): number => {
    const stat = stats.find((entry) => entry.action === candidate.action);
    return stat && stat.attempts > 0 ? stat.effective_rate : PRIOR;
  };
  const actions = candidates.filter((candidate) => candidate.action !== 'escalate');
  const escalations = candidates.filter((candidate) => candidate.action === 'escalate');
  const ranked = actions
    .map((candidate, index) => ({ candidate, index, score: score(candidate) }))
    .sort((left, right) => right.score - left.score || left.index - right.index)
    .map((entry) => entry.candidate);
  return [...ranked, ...escalations];
}
