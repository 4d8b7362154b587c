import type { DashboardViewer } from '../auth/dashboard-auth.js';
import type { Action } from '../store/agent-store.js';
import { badge, jsonPreview, percent, stateBadge, timeAgo, timeUntil } from './format.js';
import { html, type SafeHtml } from './html.js';

/**
 * Approve / Reject for one pending action, as a plain HTML form posted to the dashboard's
 * `POST /dashboard/actions/:id/approve|reject` with the session's CSRF token: the same policy and
 * audit as the API, recorded under the signed-in principal. Only an operator (or admin) sees the
 * buttons; others see why not. The first, disabled submit button stops Enter in the reason field
 * from submitting anything (implicit submission uses the default button). A first approval of a
 * four-eyes action is named, so the next approver knows someone else must approve.
 */
export function decisionForm(action: Action, viewer: DashboardViewer | undefined, back: string): SafeHtml {
  const firstApproval = action.approved_by ? html`<p class="muted first-approval">approved once by ${action.approved_by}; needs a second approver</p>` : '';
  if (!viewer?.principal) return html`${firstApproval}<p class="muted no-decision">Sign in to decide.</p>`;
  if (!viewer.mayDecide || !viewer.csrf) {
    return html`${firstApproval}<p class="muted no-decision">Deciding needs the operator role; ${viewer.principal.name} is ${viewer.principal.role}.</p>`;
  }
  const path = `/dashboard/actions/${encodeURIComponent(action.id)}`;
  return html`${firstApproval}<form class="decision" method="post" action="${path}/approve" data-action-id="${action.id}">
  <button type="submit" disabled hidden aria-hidden="true" tabindex="-1"></button>
  <input type="hidden" name="_csrf" value="${viewer.csrf}">
  <input type="hidden" name="back" value="${back}">
  <input name="reason" maxlength="2000" required placeholder="reason (required to reject)" aria-label="reason for ${action.operation} ${action.target}">
  <button type="submit" formnovalidate class="approve" data-decision="approve">Approve</button>
  <button type="submit" formaction="${path}/reject" class="reject" data-decision="reject">Reject</button>
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
export function renderPendingActions(actions: Action[], viewer?: DashboardViewer, now: number = Date.now()): SafeHtml {
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
    <td>${decisionForm(action, viewer, '/dashboard')}</td>
  </tr>`,
  )}</tbody>
</table>`;
}

/** An incident's actions with their outcomes (Approve / Reject for a pending one). */
export function renderActionTable(actions: Action[], viewer?: DashboardViewer, now: number = Date.now()): SafeHtml {
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
    <td>${outcome(action)}${action.status === 'pending' ? decisionForm(action, viewer, `/dashboard/incidents/${encodeURIComponent(action.incident_id)}`) : ''}</td>
  </tr>`,
  )}</tbody>
</table>`;
}
