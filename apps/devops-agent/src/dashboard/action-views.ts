import type { Action } from '../store/agent-store.js';
import { badge, jsonPreview, percent, stateBadge, timeAgo, timeUntil } from './format.js';
import { html, type SafeHtml } from './html.js';

/**
 * Approve / Reject controls for one pending action. The dashboard script sends them as JSON to
 * the agent's own `POST /actions/:id/approve|reject` — the same route, policy and audit as the
 * HTTP API and the CLI. The actor comes from the page's "Your name" field.
 */
export function decisionForm(action: Action): SafeHtml {
  return html`<form class="decision" data-action-id="${action.id}">
  <input name="reason" maxlength="2000" placeholder="reason (required to reject)" aria-label="reason for ${action.operation} ${action.target}">
  <button type="button" data-decision="approve" class="approve">Approve</button>
  <button type="button" data-decision="reject" class="reject">Reject</button>
  <output class="decision-result" aria-live="polite"></output>
</form>`;
}

/** The outcome of an action: status, verification and the gateway's answer. */
function outcome(action: Action): SafeHtml {
  const verified =
    action.effective === true ? badge('effective', 'good') : action.effective === false ? badge('ineffective', 'bad') : '';
  const recovery = action.recovery_seconds === null ? '' : html` recovered in ${action.recovery_seconds}s`;
  const gateway = action.gateway_response
    ? html`<details><summary>gateway answer</summary><code>${jsonPreview(action.gateway_response, 2000)}</code></details>`
    : '';
  return html`${stateBadge(action.status)} ${verified}${recovery}${gateway}`;
}

/** Pending actions, each with Approve / Reject controls. */
export function renderPendingActions(actions: Action[], now: number = Date.now()): SafeHtml {
  if (actions.length === 0) return html`<h2>Pending approvals</h2><p class="muted" id="no-pending">Nothing waits for approval.</p>`;
  return html`<h2>Pending approvals <span class="count">${actions.length}</span></h2>
<table class="pending-actions">
  <thead><tr><th>action</th><th>incident</th><th>risk</th><th>confidence</th><th>why</th><th>proposed</th><th>expires</th><th>decision</th></tr></thead>
  <tbody>${actions.map(
    (action) => html`<tr data-action-id="${action.id}">
    <td><strong>${action.operation}</strong> ${action.target}<div class="muted">${action.intent}</div></td>
    <td><a href="/dashboard/incidents/${encodeURIComponent(action.incident_id)}">${action.alertname}</a><div class="muted">${action.service}</div></td>
    <td>${action.risk}</td>
    <td class="number">${percent(action.confidence)}</td>
    <td>${action.decision_reason}</td>
    <td>${timeAgo(action.created_at, now)}</td>
    <td>${timeUntil(action.expires_at, now)}</td>
    <td>${decisionForm(action)}</td>
  </tr>`,
  )}</tbody>
</table>`;
}

/** An incident's actions with their outcomes (Approve / Reject for a pending one). */
export function renderActionTable(actions: Action[], now: number = Date.now()): SafeHtml {
  if (actions.length === 0) return html`<p class="muted">No actions yet.</p>`;
  return html`<table class="actions">
  <thead><tr><th>#</th><th>action</th><th>risk</th><th>confidence</th><th>decided by</th><th>approved by</th><th>proposed</th><th>outcome</th></tr></thead>
  <tbody>${actions.map(
    (action) => html`<tr data-action-id="${action.id}">
    <td class="number">${action.attempt}</td>
    <td><strong>${action.operation}</strong> ${action.target}<div class="muted">${action.decision_reason}</div></td>
    <td>${action.risk}</td>
    <td class="number">${percent(action.confidence)}</td>
    <td>${action.decided_by}</td>
    <td>${action.approved_by ?? '—'}${action.approval_reason ? html`<div class="muted">${action.approval_reason}</div>` : ''}</td>
    <td>${timeAgo(action.created_at, now)}</td>
    <td>${outcome(action)}${action.status === 'pending' ? decisionForm(action) : ''}</td>
  </tr>`,
  )}</tbody>
</table>`;
}
