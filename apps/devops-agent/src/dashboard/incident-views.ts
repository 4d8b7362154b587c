import type { AuditRecord } from '@atb/storage';
import type { Action, Incident, IncidentEvent, StoredAlert } from '../store/agent-store.js';
import type { DashboardViewer } from '../auth/dashboard-auth.js';
import { renderActionTable } from './action-views.js';
import { renderEvidence as renderRecordedHealth, renderGatheredEvidence } from './evidence-view.js';
import { badge, jsonPreview, percent, stateBadge, timeAgo } from './format.js';
import { html, link, type SafeHtml } from './html.js';

const incidentHref = (id: string) => `/dashboard/incidents/${encodeURIComponent(id)}`;

/** The analysis' issue type, linking the incidents of that type; a dash before the analysis. */
function issueTypeOf(incident: Incident): SafeHtml {
  const type = incident.analysis?.analysis.issue_type;
  return type ? html`<a href="/dashboard/incidents?issue_type=${encodeURIComponent(type)}">${type}</a>` : html`<span class="muted">—</span>`;
}

/**
 * The incidents list: state, service, alert name, the analysis' issue type (a link to the
 * incidents of that type), severity, title, flap count, age. With `total` (how many there
 * are in all) above the rows shown, the heading says "newest N of total" and links the full list.
 */
export function renderIncidentList(incidents: Incident[], now: number = Date.now(), total?: number): SafeHtml {
  if (incidents.length === 0) return html`<h2>Incidents</h2><p class="muted">No incidents.</p>`;
  const count =
    total !== undefined && total > incidents.length
      ? html`<span class="count">newest ${incidents.length} of <a href="/dashboard/incidents" id="incident-total">${total}</a></span>`
      : html`<span class="count">${incidents.length}</span>`;
  return html`<h2>Incidents ${count}</h2>
<table class="incidents">
  <thead><tr><th>state</th><th>service</th><th>alert name</th><th>issue type</th><th>severity</th><th>title</th><th>flaps</th><th>opened</th><th>updated</th></tr></thead>
  <tbody>${incidents.map(
    (incident) => html`<tr data-incident-id="${incident.id}">
    <td>${stateBadge(incident.state)}</td>
    <td><a href="/dashboard/services/${encodeURIComponent(incident.service)}">${incident.service}</a></td>
    <td><a href="${incidentHref(incident.id)}">${incident.alertname}</a></td>
    <td>${issueTypeOf(incident)}</td>
    <td>${incident.severity}</td>
    <td>${incident.title}</td>
    <td class="number">${incident.flap_count > 0 ? badge(String(incident.flap_count), 'warn') : '0'}</td>
    <td>${timeAgo(incident.opened_at, now)}</td>
    <td>${timeAgo(incident.updated_at, now)}</td>
  </tr>`,
  )}</tbody>
</table>`;
}

/** Everything `GET /incidents/:id` returns, plus the incident's audit records. */
export interface IncidentDetail {
  incident: Incident;
  alerts: StoredAlert[];
  timeline: IncidentEvent[];
  actions: Action[];
  audit: AuditRecord[];
}

const pairs = (values: Record<string, string>): SafeHtml =>
  html`<dl class="labels">${Object.entries(values).map(([key, value]) => html`<dt>${key}</dt><dd>${value}</dd>`)}</dl>`;

function renderAnalysis(incident: Incident): SafeHtml {
  const outcome = incident.analysis;
  if (!outcome) return html`<p class="muted">Not analysed yet.</p>`;
  const analysis = outcome.analysis;
  return html`<dl class="facts analysis">
  <dt>Issue</dt><dd>${analysis.issue_detected ? badge('detected', 'bad') : badge('none', 'good')} ${analysis.issue_type}</dd>
  <dt>Severity</dt><dd>${analysis.severity}</dd>
  <dt>Confidence</dt><dd class="confidence">${percent(analysis.confidence)}</dd>
  <dt>Description</dt><dd>${analysis.description}</dd>
  <dt>Root cause</dt><dd>${analysis.root_cause}</dd>
  <dt>Recommended actions</dt><dd><ol class="recommended">${analysis.recommended_actions.map((recommendation) => html`<li>${recommendation.action} ${recommendation.target} <span class="risk">(risk ${recommendation.risk})</span>${recommendation.reason ? html` — ${recommendation.reason}` : ''}</li>`)}</ol></dd>
  <dt>Immediate action</dt><dd>${analysis.requires_immediate_action ? 'required' : 'not required'}</dd>
  <dt>Risk</dt><dd>${analysis.risk_assessment}</dd>
  <dt>Analyzer</dt><dd>${outcome.analyzer}${outcome.fallback_reason ? html` ${badge('fallback', 'warn')} ${outcome.fallback_reason}` : ''}${outcome.runbook ? html`, runbook ${outcome.runbook}` : ''}</dd>
</dl>${outcome.evidence ? renderGatheredEvidence(outcome.evidence) : ''}`;
}

function renderCodingTask(incident: Incident): SafeHtml {
  const task = incident.coding_task;
  if (!task) return html``;
  return html`<h3>Coding task</h3>
<dl class="facts coding-task">
  <dt>Status</dt><dd>${task.status}${task.task_status ? html` (${task.task_status})` : ''}</dd>
  <dt>Repository</dt><dd>${task.repository}</dd>
  <dt>Task</dt><dd>${task.task_id ?? '—'}</dd>
  <dt>Pull request</dt><dd>${task.pull_request_url ? link(task.pull_request_url) : '—'}</dd>
  <dt>Requirement</dt><dd>${task.requirement}</dd>
  ${task.reason ? html`<dt>Outcome</dt><dd>${task.reason}</dd>` : ''}
  ${task.last_error ? html`<dt>Last error</dt><dd>${task.last_error}</dd>` : ''}
</dl>`;
}

function renderAlerts(alerts: StoredAlert[], now: number): SafeHtml {
  if (alerts.length === 0) return html`<p class="muted">No alerts.</p>`;
  return html`<table class="alerts">
  <thead><tr><th>status</th><th>labels</th><th>annotations</th><th>started</th><th>source</th></tr></thead>
  <tbody>${alerts.map(
    (alert) => html`<tr>
    <td>${alert.status === 'firing' ? badge('firing', 'bad') : badge('resolved', 'good')}</td>
    <td>${pairs(alert.labels)}</td>
    <td>${pairs(alert.annotations)}</td>
    <td>${timeAgo(alert.starts_at, now)}</td>
    <td>${link(alert.generator_url, 'graph')}</td>
  </tr>`,
  )}</tbody>
</table>`;
}

function renderTimeline(timeline: IncidentEvent[]): SafeHtml {
  if (timeline.length === 0) return html`<p class="muted">No events.</p>`;
  return html`<ol class="timeline">${timeline.map(
    (event) =>
      html`<li><time datetime="${event.at}">${event.at.replace('T', ' ').slice(0, 19)}</time> <strong>${event.type}</strong> <code>${jsonPreview(event.data, 300)}</code></li>`,
  )}</ol>`;
}

function renderAuditTrail(records: AuditRecord[]): SafeHtml {
  if (records.length === 0) return html`<p class="muted">No audit records.</p>`;
  return html`<table class="audit-trail">
  <thead><tr><th>seq</th><th>time</th><th>actor</th><th>action</th><th>data</th></tr></thead>
  <tbody>${records.map(
    (record) =>
      html`<tr><td class="number">${record.seq}</td><td>${record.timestamp.replace('T', ' ').slice(0, 19)}</td><td>${record.actor}</td><td>${record.action}</td><td><code>${jsonPreview(record.data, 200)}</code></td></tr>`,
  )}</tbody>
</table>`;
}

/** One incident: summary, analysis, actions with outcomes, coding task / PR, alerts, timeline, audit trail. */
export function renderIncidentDetail(detail: IncidentDetail, viewer?: DashboardViewer, now: number = Date.now()): SafeHtml {
  const { incident } = detail;
  return html`<h2>${incident.alertname} <span class="muted">on</span> ${incident.service} ${stateBadge(incident.state)}</h2>
<dl class="facts summary">
  <dt>Title</dt><dd>${incident.title}</dd>
  <dt>Severity</dt><dd>${incident.severity}</dd>
  <dt>Opened</dt><dd>${timeAgo(incident.opened_at, now)}</dd>
  <dt>Resolved</dt><dd>${incident.resolved_at ? timeAgo(incident.resolved_at, now) : '—'}</dd>
  <dt>Flap count</dt><dd>${incident.flap_count}</dd>
  <dt>Action attempts</dt><dd>${incident.action_attempts}</dd>
  ${incident.escalation_reason ? html`<dt>Escalated</dt><dd>${incident.escalation_reason}</dd>` : ''}
  <dt>Id</dt><dd><code>${incident.id}</code> (<a href="/incidents/${encodeURIComponent(incident.id)}">JSON</a>)</dd>
</dl>
${(incident.analysis as { evidence?: unknown } | null)?.evidence ? '' : html`<h3>Evidence</h3>${renderRecordedHealth(incident, detail.timeline)}`}
<h3>Analysis</h3>${renderAnalysis(incident)}
<h3>Actions</h3>${renderActionTable(detail.actions, viewer, now)}
${renderCodingTask(incident)}
<h3>Alerts</h3>${renderAlerts(detail.alerts, now)}
<h3>Timeline</h3>${renderTimeline(detail.timeline)}
<h3>Audit trail</h3>${renderAuditTrail(detail.audit)}`;
}
