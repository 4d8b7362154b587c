import type { RunbookCandidate } from '../runbooks.js';

/** Actions that bring a process back; pointless once they proved ineffective. */
const RESTARTING = new Set(['restart', 'start']);

/**
 * A runbook's candidates given the evidence: once restarts proved ineffective, or the incident
 * keeps flapping, restarting again is never proposed — what is left is escalation, with a
 * coding task (the real fix is in the code).
 */
export function usableCandidates(candidates: RunbookCandidate[], facts: readonly string[]): RunbookCandidate[] {
  if (!facts.includes('restarts-ineffective') && !facts.includes('flapping')) return candidates;
  const kept = candidates.filter((candidate) => !RESTARTING.has(candidate.action) && candidate.action !== 'escalate');
  return [...kept, { action: 'escalate', risk: 'low', code_level: true }];
}
