import type { Incident } from '../store/agent-store.js';

/** How stale an incident's `last_fired_at` may get while its alerts keep arriving. */
export const LAST_FIRED_RESOLUTION_MS = 2_000;
/** At most one `alerts-attached` timeline event per incident in this interval. */
export const ATTACH_EVENT_INTERVAL_MS = 60_000;

/**
 * Storm throttling: what a new alert of an unresolved incident changes. `last_fired_at` is kept
 * to the second or so, so under a storm it is not rewritten per notification; and at most one
 * `alerts-attached` event follows each quiet minute, so a storm does not bury the timeline (the
 * alerts themselves are all kept and listed on the incident).
 */
export function attachDecision(lastFiredAt: string, nowMs: number): { touch: boolean; event: boolean } {
  const quietFor = nowMs - Date.parse(lastFiredAt);
  // NaN (an unreadable time) counts as quiet for long.
  return { touch: !(quietFor < LAST_FIRED_RESOLUTION_MS), event: !(quietFor < ATTACH_EVENT_INTERVAL_MS) };
}

/** The earliest resolution time after which a new firing re-opens the incident instead of opening one; undefined when re-opening is off. */
export function reopenSince(reopenWindowSeconds: number, nowMs: number): string | undefined {
  return reopenWindowSeconds > 0 ? new Date(nowMs - reopenWindowSeconds * 1000).toISOString() : undefined;
}

/**
 * Re-opening a recently resolved incident counts a flap and starts a new episode: state `open`,
 * a fresh cycle (actions tried before are tried again), no escalation reason.
 */
export function reopenPatch(previousFlapCount: number, now: string): Partial<Incident> & { flap_count: number } {
  return { state: 'open', resolved_at: null, last_fired_at: now, updated_at: now, cycle_started_at: now, flap_count: previousFlapCount + 1, escalation_reason: null };
}
