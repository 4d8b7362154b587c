import { INCIDENT_STATES, type Incident } from '../store/agent-store.js';
import { html, type SafeHtml } from './html.js';
import { renderIncidentList } from './incident-views.js';

/** The filters of the incidents page, as the query string carries them. */
export interface IncidentListQuery {
  service?: string;
  state?: (typeof INCIDENT_STATES)[number];
  /** `true`: only active incidents (not resolved, escalated or failed); `false`: only ended ones. */
  active?: 'true' | 'false';
  /** The analysis' issue type. */
  issue_type?: string;
  alertname?: string;
  /** The alert name under its older parameter name (shown in the alert name field). */
  type?: string;
  since?: string;
  until?: string;
  cursor?: string;
}

/** One text filter of a list page: a labelled input named as its query parameter, with id `filter-<name>`. */
export const filterField = (name: string, label: string, value: string | undefined, type = 'text') =>
  html`<label>${label} <input name="${name}" id="filter-${name}" type="${type}" value="${value ?? ''}"></label>`;

/** One choice filter of a list page: a labelled select with "any" first, with id `filter-<name>`. */
export const filterChoice = (name: string, label: string, choices: readonly string[], value: string | undefined) =>
  html`<label>${label} <select name="${name}" id="filter-${name}"><option value="">any</option>${choices.map((choice) => html`<option value="${choice}"${value === choice ? html` selected` : ''}>${choice}</option>`)}</select></label>`;

/** The incidents page's active / ended choice, with id `filter-active`. */
const activeChoice = (value: IncidentListQuery['active']) =>
  html`<label>Active <select name="active" id="filter-active"><option value="">any</option><option value="true"${value === 'true' ? html` selected` : ''}>active (not resolved, escalated or failed)</option><option value="false"${value === 'false' ? html` selected` : ''}>ended (resolved, escalated or failed)</option></select></label>`;

/**
 * A list page's paging: "First page" once past it, and "Next page" carrying the filters and the
 * cursor of the last row shown ("Last page" when nothing follows).
 */
export function renderPaging(path: string, query: Readonly<Record<string, string | undefined>>, nextCursor: string | null): SafeHtml {
  const keep = new URLSearchParams(Object.entries(query).filter((entry): entry is [string, string] => entry[0] !== 'cursor' && typeof entry[1] === 'string' && entry[1] !== ''));
  const next = nextCursor ? `${path}?${new URLSearchParams([...keep, ['cursor', nextCursor]]).toString()}` : undefined;
  return html`<nav class="paging" aria-label="pages">${query.cursor ? html`<a href="${path}?${keep.toString()}" id="first-page">First page</a> ` : ''}${next ? html`<a href="${next}" id="next-page" rel="next">Next page</a>` : html`<span class="muted" id="last-page">Last page</span>`}</nav>`;
}

/**
 * The incidents page: a GET form of filters (service, state, active or ended, the analysis' issue
 * type, the alert name, time range;
 * no script needed), one page of rows, and a "Next page" link carrying the filters and the cursor.
 */
export function renderIncidentListPage(query: IncidentListQuery, incidents: Incident[], nextCursor: string | null): SafeHtml {
  return html`<form method="get" action="/dashboard/incidents" class="filters" role="search" aria-label="filter incidents">
  ${filterField('service', 'Service', query.service)}
  ${filterChoice('state', 'State', INCIDENT_STATES, query.state)}
  ${activeChoice(query.active)}
  ${filterField('issue_type', 'Issue type (analysis)', query.issue_type)}
  ${filterField('alertname', 'Alert name', query.alertname ?? query.type)}
  ${filterField('since', 'Opened since (ISO)', query.since)}
  ${filterField('until', 'Opened before (ISO)', query.until)}
  <button type="submit" id="apply-filters">Filter</button> <a href="/dashboard/incidents">Clear</a>
</form>
${renderIncidentList(incidents)}
${renderPaging('/dashboard/incidents', { ...query }, nextCursor)}`;
}
