import type { LearningStat } from '../store/agent-store.js';
import type { LearningStore } from '../store/learning-store.js';

/**
 * Learning statistics per (alertname, service, action) from verified outcomes: how often the
 * action was effective, and its mean time to recovery (to the millisecond). Most-tried first,
 * then by action name.
 */
export async function learningStats(store: Pick<LearningStore, 'outcomeTotals'>, filter: { alertname?: string; service?: string } = {}): Promise<LearningStat[]> {
  const totals = await store.outcomeTotals(filter);
  return totals
    .map((total) => ({
      alertname: total.alertname,
      service: total.service,
      action: total.action,
      attempts: total.verified,
      successes: total.effective,
      effective_rate: total.verified === 0 ? 0 : total.effective / total.verified,
      mean_time_to_recovery_s: total.recoveries === 0 ? null : Math.round((total.recovery_seconds_sum / total.recoveries) * 1000) / 1000,
    }))
    .sort((left, right) => right.attempts - left.attempts || left.action.localeCompare(right.action));
}
