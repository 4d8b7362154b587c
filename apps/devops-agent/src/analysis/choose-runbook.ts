import type { AnalysisAlert, Evidence } from '@atb/contracts';
import { rankCandidates } from '../learning/candidate-ranking.js';
import type { LearningStat } from '../store/agent-store.js';
import { usableCandidates } from './evidence/usable-candidates.js';
import { bestRunbook, type Runbook, type RunbookCandidate, type RunbookMatch, type RunbookSubject } from './runbooks.js';

type AlertLike = Pick<AnalysisAlert, 'status' | 'labels' | 'annotations'>;

/** What runbooks are matched on for an incident: the first firing alert's labels, every alert's summary and description, the evidence facts. */
export function runbookSubject(alerts: AlertLike[], fallbackLabels: Record<string, string>, evidence: Pick<Evidence, 'facts'> | undefined): RunbookSubject {
  const firing = alerts.filter((alert) => alert.status === 'firing');
  const labels = (firing[0] ?? alerts[0])?.labels ?? fallbackLabels;
  const text = alerts
    .flatMap((alert) => [alert.annotations.summary, alert.annotations.description])
    .filter((value): value is string => typeof value === 'string')
    .join('\n')
    .slice(0, 8000);
  return { labels, text, facts: evidence?.facts ?? [] };
}

/**
 * The runbook the alerts and the evidence fit best, and the actions to try: its candidates
 * minus those the evidence rules out (no restart after ineffective restarts or while
 * flapping), ranked by learning statistics. With no runbook at all: escalate.
 */
export function chooseRunbook(
  runbooks: Runbook[],
  subject: RunbookSubject,
  learning: LearningStat[],
): { match: RunbookMatch | undefined; candidates: RunbookCandidate[] } {
  const match = bestRunbook(runbooks, subject);
  const base: RunbookCandidate[] = match?.runbook.candidates ?? [{ action: 'escalate', risk: 'low' }];
  return { match, candidates: rankCandidates(usableCandidates(base, subject.facts ?? []), learning) };
}
