import { ACTION_STATUSES, type Action } from '../store/agent-store.js';
import { stateBadge, timeAgo } from './format.js';
import { html, type SafeHtml } from './html.js';
import { filterChoice, filterField, renderPaging } from './list-view.js';

/** The filters of the actions page, as the query string carries them. */
export interface ActionListQuery {
  service?: string;
  status?: (typeof ACTION_STATUSES)[number];
  /** The gateway operation (`restart`, `stats`, …). */
  operation?: string;
  since?: string;
  until?: string;
  cursor?: string;
}

/** Actions newest first: status, operation and target, incident, service, risk, who decided, outcome. */
export function renderActionList(actions: Action[], now: number = Date.now()): SafeHtml {
  if (actions.length === 0) return html`<h2>Actions</h2><p class="muted">No actions.</p>`;
  return html`<h2>Actions <span class="count">${actions.length}</span></h2>
<table class="action-list">
  <thead><tr><th>status</th><th>action</th><th>incident</th><th>service</th><th>risk</th><th>decided by</th><th>approved by</th><th>proposed</th><th>outcome</th></tr></thead>
  <tbody>${actions.map(
    (action) => html`<tr data-action-id="${action.id}">
    <td>${stateBadge(action.status)}</td>
    <td><strong>${action.operation}</strong> ${action.target}</td>
    <td><a href="/dashboard/incidents/${encodeURIComponent(action.incident_id)}">${action.alertname}</a></td>
    <td><a href="/dashboard/services/${encodeURIComponent(action.service)}">${action.service}</a></td>
    <td>${action.risk}</td>
    <td>${action.decided_by}</td>
    <td>${action.approved_by ?? '—'}</td>
    <td>${timeAgo(action.created_at, now)}</td>
    <td>${action.effective === true ? 'effective' : action.effective === false ? 'ineffective' : '—'}${action.recovery_seconds === null ? '' : html` in ${action.recovery_seconds}s`}</td>
  </tr>`,
  )}</tbody>
</table>`;
}

/**
 * The actions page: a GET form of filters (service, status, operation, time proposed; no
 * script needed), one page of rows, and a "Next page" link carrying the filters and the cursor.
 */
export function renderActionListPage(query: ActionListQuery, actions: Action[], nextCursor: string | null): SafeHtml {
  return html`<form method="get" action="/dashboard/actions" class="filters" role="search" aria-label="filter actions">
  ${filterField('service', 'Service', query.service)}
  ${filterChoice('status', 'Status', ACTION_STATUSES, query.status)}
  ${filterField('operation', 'Type (operation)', query.operation)}
  ${filterField('since', 'Proposed since (ISO)', query.since)}
  ${filterField('until', 'Proposed before (ISO)', query.until)}
  <button type="submit" id="apply-filters">Filter</button> <a href="/dashboard/actions">Clear</a>
</form>
${renderActionList(actions)}
${renderPaging('/dashboard/actions', { ...query }, nextCursor)}`;
}
