import { INCIDENT_STATES, type Incident } from '../store/agent-store.js';
import { html, type SafeHtml } from './html.js';
import { renderIncidentList } from './incident-views.js';

/** The filters of the incidents page, as the query string carries them. */
export interface IncidentListQuery {
  service?: string;
  state?: (typeof INCIDENT_STATES)[number];
  type?: string;
  since?: string;
  until?: string;
  cursor?: string;
}

const field = (name: string, label: string, value: string | undefined, type = 'text') =>
  html`<label>${label} <input name="${name}" id="filter-${name}" type="${type}" value="${value ?? ''}"></label>`;

/**
 * The incidents page: a GET form of filters (service, state, type, time range; no script
 * needed), one page of rows, and a "Next page" link carrying the filters and the cursor.
 */
export function renderIncidentListPage(query: IncidentListQuery, incidents: Incident[], nextCursor: string | null): SafeHtml {
  const keep = new URLSearchParams(Object.entries({ ...query, cursor: undefined }).filter((entry): entry is [string, string] => typeof entry[1] === 'string' && entry[1] !== ''));
  const next = nextCursor ? `/dashboard/incidents?${new URLSearchParams([...keep, ['cursor', nextCursor]]).toString()}` : undefined;
  return html`<form method="get" action="/dashboard/incidents" class="filters" role="search" aria-label="filter incidents">
  ${field('service', 'Service', query.service)}
  <label>State <select name="state" id="filter-state"><option value="">any</option>${INCIDENT_STATES.map((state) => html`<option value="${state}"${query.state === state ? html` selected` : ''}>${state}</option>`)}</select></label>
  ${field('type', 'Type (alertname)', query.type)}
  ${field('since', 'Opened since (ISO)', query.since)}
  ${field('until', 'Opened before (ISO)', query.until)}
  <button type="submit" id="apply-filters">Filter</button> <a href="/dashboard/incidents">Clear</a>
</form>
${renderIncidentList(incidents)}
<nav class="paging" aria-label="pages">${query.cursor ? html`<a href="/dashboard/incidents?${keep.toString()}" id="first-page">First page</a> ` : ''}${next ? html`<a href="${next}" id="next-page" rel="next">Next page</a>` : html`<span class="muted" id="last-page">Last page</span>`}</nav>`;
}
