import type { AuditRecord, AuditVerification } from '@atb/storage';
import type { LearningStat } from '../store/agent-store.js';
import { badge, jsonPreview, percent } from './format.js';
import { html, type SafeHtml } from './html.js';

/** Learning statistics: per (alertname, service, action) attempts, successes, effective rate, MTTR. */
export function renderLearning(stats: LearningStat[]): SafeHtml {
  if (stats.length === 0) return html`<h2>Learning</h2><p class="muted">No verified actions yet.</p>`;
  return html`<h2>Learning</h2>
<table class="learning">
  <thead><tr><th>alertname</th><th>service</th><th>action</th><th>attempts</th><th>successes</th><th>effective rate</th><th>mean time to recovery</th></tr></thead>
  <tbody>${stats.map(
    (stat) => html`<tr>
    <td>${stat.alertname}</td><td>${stat.service}</td><td>${stat.action}</td>
    <td class="number">${stat.attempts}</td><td class="number">${stat.successes}</td>
    <td class="number">${percent(stat.effective_rate)}</td>
    <td class="number">${stat.mean_time_to_recovery_s === null ? '—' : `${stat.mean_time_to_recovery_s.toFixed(1)}s`}</td>
  </tr>`,
  )}</tbody>
</table>`;
}

/** The audit chain's state (valid / broken at N) and the latest records. */
export function renderAudit(verification: AuditVerification, latest: AuditRecord[]): SafeHtml {
  const chain = verification.valid
    ? html`<p id="audit-chain">${badge('chain valid', 'good')} ${verification.count} records, head <code>${verification.head.slice(0, 16)}…</code></p>`
    : html`<p id="audit-chain">${badge(`chain broken at ${verification.broken_at}`, 'bad')} ${verification.reason}</p>`;
  return html`<h2>Audit</h2>${chain}
<table class="audit">
  <thead><tr><th>seq</th><th>time</th><th>actor</th><th>action</th><th>subject</th><th>data</th></tr></thead>
  <tbody>${latest.map(
    (record) =>
      html`<tr><td class="number">${record.seq}</td><td>${record.timestamp.replace('T', ' ').slice(0, 19)}</td><td>${record.actor}</td><td>${record.action}</td><td><code>${record.subject.slice(0, 12)}</code></td><td><code>${jsonPreview(record.data, 160)}</code></td></tr>`,
  )}</tbody>
</table>`;
}
