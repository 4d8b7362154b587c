import { html, type SafeHtml } from './html.js';

/** "42s", "5m", "3h 10m", "2d 4h": how long ago `iso` was, relative to `now`. */
export function age(iso: string | null | undefined, now: number = Date.now()): string {
  if (!iso) return '';
  const at = Date.parse(iso);
  if (Number.isNaN(at)) return '';
  const seconds = Math.max(0, Math.round((now - at) / 1000));
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return `${hours}h ${minutes % 60}m`;
  return `${Math.floor(hours / 24)}d ${hours % 24}h`;
}

/** "in 59m": how long until `iso`, or "due" once it has passed. */
export function timeUntil(iso: string | null | undefined, now: number = Date.now()): SafeHtml {
  if (!iso) return html`<span class="muted">—</span>`;
  const at = Date.parse(iso);
  if (Number.isNaN(at)) return html`${iso}`;
  const remaining = at > now ? `in ${age(new Date(now).toISOString(), at)}` : 'due';
  return html`<time datetime="${iso}" title="${iso}">${remaining}</time>`;
}

/** A `<time>` element showing the age, with the exact time as its tooltip. */
export function timeAgo(iso: string | null | undefined, now: number = Date.now()): SafeHtml {
  if (!iso) return html`<span class="muted">—</span>`;
  return html`<time datetime="${iso}" title="${iso}">${age(iso, now)} ago</time>`;
}

/** 0.734 → "73%". */
export function percent(value: number | null | undefined): string {
  return typeof value === 'number' && Number.isFinite(value) ? `${Math.round(value * 100)}%` : '—';
}

/** Compact JSON of `value`, cut to `limit` characters (the result is escaped when rendered). */
export function jsonPreview(value: unknown, limit = 400): string {
  let text: string;
  try {
    text = JSON.stringify(value) ?? '';
  } catch {
    text = String(value);
  }
  return text.length > limit ? `${text.slice(0, limit)}…` : text;
}

/** A badge whose CSS class is picked from a closed set (never from the value itself). */
export function badge(text: string, tone: 'good' | 'bad' | 'warn' | 'info' | 'muted'): SafeHtml {
  return html`<span class="badge ${tone}">${text}</span>`;
}

const STATE_TONES: Record<string, 'good' | 'bad' | 'warn' | 'info' | 'muted'> = {
  open: 'bad',
  investigating: 'warn',
  awaiting_approval: 'warn',
  remediating: 'info',
  verifying: 'info',
  resolved: 'good',
  escalated: 'bad',
  failed: 'bad',
  pending: 'warn',
  approved: 'info',
  running: 'info',
  succeeded: 'good',
  rejected: 'muted',
  expired: 'muted',
  cancelled: 'muted',
};

/** A badge for an incident state or an action status. */
export function stateBadge(state: string): SafeHtml {
  return badge(state, STATE_TONES[state] ?? 'muted');
}
