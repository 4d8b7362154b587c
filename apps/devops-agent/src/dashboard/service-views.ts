import type { ServiceDetail, ServiceSummary } from '@atb/contracts';
import type { Action, Incident } from '../store/agent-store.js';
import { renderActionTable } from './action-views.js';
import { badge } from './format.js';
import { html, type SafeHtml } from './html.js';
import { renderIncidentList } from './incident-views.js';

export const serviceHref = (name: string) => `/dashboard/services/${encodeURIComponent(name)}`;

const conditionBadge = (service: ServiceSummary): SafeHtml => {
  const condition = service.monitoring?.condition ?? 'not polled';
  return badge(condition, condition === 'ok' ? 'good' : condition === 'unknown' || condition === 'not polled' ? 'muted' : 'bad');
};

/** The services panel: each catalog service's health, open incidents and target; a name opens its page. */
export function renderServiceList(services: ServiceSummary[]): SafeHtml {
  if (services.length === 0) return html`<h2>Services</h2><p class="muted">The catalog is empty.</p>`;
  return html`<h2>Services <span class="count">${services.length}</span></h2>
<table class="services">
  <thead><tr><th>service</th><th>health</th><th>open incidents</th><th>target</th><th>autonomous</th><th>owners</th></tr></thead>
  <tbody>${services.map(
    (service) => html`<tr data-service="${service.name}">
    <td><a href="${serviceHref(service.name)}">${service.name}</a></td>
    <td>${conditionBadge(service)}</td>
    <td class="number">${service.open_incidents > 0 ? badge(String(service.open_incidents), 'warn') : '0'}</td>
    <td>${service.target.container ?? Object.entries(service.target.labels ?? {}).map(([key, value]) => `${key}=${value}`).join(', ')}</td>
    <td>${service.autonomous ? 'yes' : badge('no', 'warn')}</td>
    <td>${service.owners.join(', ')}</td>
  </tr>`,
  )}</tbody>
</table>`;
}

/** One service's page: health, its open incidents and its last actions. */
export function renderServiceDetail(service: ServiceDetail): SafeHtml {
  const last = service.monitoring?.last_check;
  return html`<h2>${service.name} ${conditionBadge(service)}</h2>
<p class="muted">${service.health ? `${service.health.url}/health every ${service.health.interval_seconds}s` : 'not polled'}${last ? ` · last answer ${last.http_status ?? last.error ?? '-'} in ${last.response_time_ms} ms` : ''}${service.repository ? ` · repository ${service.repository}` : ''}${service.escalation_channel ? ` · escalations to ${service.escalation_channel}` : ''}</p>
${renderIncidentList(service.incidents as Incident[])}
<h3>Last actions</h3>
${renderActionTable(service.last_actions as Action[])}`;
}
