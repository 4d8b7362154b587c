import type { DashboardViewer } from '../auth/dashboard-auth.js';
import { ACTION_STATUSES, INCIDENT_STATES } from '../store/agent-store.js';
import { badge, stateBadge } from './format.js';
import { html, link, type SafeHtml } from './html.js';

/** The parts of the agent's `GET /status` document the overview shows. */
export interface StatusDocument {
  version?: string;
  uptime_seconds?: number;
  safety_mode?: boolean;
  analyzer?: string;
  monitoring?: { active?: boolean; target_url?: string; interval_seconds?: number; services?: string[] };
  incidents?: Record<string, number>;
  actions?: Record<string, number>;
  pending_approvals?: number;
  open_circuits?: string[];
  queue?: Record<string, number>;
  /** Jobs that failed for good, newest first. */
  dead_letters?: { id: number; type: string; attempts: number; error: string; failed_at: string }[];
  replica?: string;
}

/** The dead letters: jobs that used up their attempts, for a human to look into. */
const deadLetters = (jobs: NonNullable<StatusDocument['dead_letters']>): SafeHtml =>
  jobs.length === 0
    ? html`<p id="dead-letters">${badge('none', 'good')}</p>`
    : html`<table id="dead-letters"><thead><tr><th>Job</th><th>Type</th><th>Attempts</th><th>Failed at</th><th>Error</th></tr></thead><tbody>${jobs.map(
        (job) => html`<tr><td>${job.id}</td><td>${job.type}</td><td class="number">${job.attempts}</td><td>${job.failed_at}</td><td>${job.error}</td></tr>`,
      )}</tbody></table>`;

const counts = (states: readonly string[], values: Record<string, number> | undefined): SafeHtml =>
  html`<table class="counts"><tbody>${states.map(
    (state) => html`<tr><td>${stateBadge(state)}</td><td class="number">${values?.[state] ?? 0}</td></tr>`,
  )}</tbody></table>`;

/** One service's URL and interval; for a fleet, how many services (each tile shows its own). */
function pollingWhere(monitoring: NonNullable<StatusDocument['monitoring']>): SafeHtml {
  const services = monitoring.services ?? [];
  if (services.length > 1) return html`${services.length} services, each on its own interval (see Fleet)`;
  return html`${link(monitoring.target_url)}${monitoring.interval_seconds ? html` every ${monitoring.interval_seconds}s` : ''}`;
}

/**
 * Stop monitoring (while it polls) or Start monitoring: a plain HTML form posted to
 * `POST /dashboard/monitoring/stop|start` with the session's CSRF token. Only an operator (or
 * admin) signed in with a session gets it; others see the state alone.
 */
export function monitoringForm(active: boolean, viewer: DashboardViewer | undefined): SafeHtml {
  if (!viewer?.mayDecide || !viewer.csrf) return html``;
  const command = active ? 'stop' : 'start';
  return html`<form method="post" action="/dashboard/monitoring/${command}" class="monitoring-control">
  <input type="hidden" name="_csrf" value="${viewer.csrf}">
  <button type="submit" id="monitoring-toggle" data-command="${command}">${active ? 'Stop monitoring' : 'Start monitoring'}</button>
</form>`;
}

/**
 * Safety mode, monitoring (with its Start / Stop form when `controls` says who looks and the
 * agent takes the form), open circuits, pending approvals and counts by state.
 */
export function renderOverview(status: StatusDocument, controls?: { viewer: DashboardViewer | undefined }): SafeHtml {
  const monitoring = status.monitoring ?? {};
  const circuits = status.open_circuits ?? [];
  return html`<h2>Overview</h2>
<dl class="facts">
  <dt>Safety mode</dt><dd id="safety-mode">${
    status.safety_mode === false
      ? badge('off — actions may run on their own within policy', 'warn')
      : badge('on — every action waits for a human', 'good')
  }</dd>
  <dt>Monitoring (polling)</dt><dd id="monitoring">${monitoring.active ? badge('active', 'good') : badge('stopped', 'muted')} ${pollingWhere(
    monitoring,
  )}${controls ? monitoringForm(monitoring.active === true, controls.viewer) : ''}</dd>
  <dt>Open circuits</dt><dd id="open-circuits">${
    circuits.length === 0 ? badge('none', 'good') : circuits.map((target) => html`${badge(target, 'bad')} `)
  }</dd>
  <dt>Pending approvals</dt><dd id="pending-count">${status.pending_approvals ?? 0}</dd>
  <dt>Replica</dt><dd id="replica">${status.replica ?? '—'}</dd>
  <dt>Analyzer</dt><dd>${status.analyzer ?? '—'}</dd>
  <dt>Version</dt><dd>${status.version ?? '—'}${status.uptime_seconds === undefined ? '' : html`, up ${status.uptime_seconds}s`}</dd>
</dl>
<div class="columns">
  <div><h3>Incidents by state</h3>${counts(INCIDENT_STATES, status.incidents)}</div>
  <div><h3>Actions by status</h3>${counts(ACTION_STATUSES, status.actions)}</div>
  <div><h3>Job queue</h3>${counts(Object.keys(status.queue ?? {}), status.queue)}</div>
</div>
<h3>Dead letters</h3>${deadLetters(status.dead_letters ?? [])}`;
}
