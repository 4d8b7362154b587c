import type { App } from '@atb/service-kit';
import type { AuditLog, AuditVerification } from '@atb/storage';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { DashboardAuth, DashboardViewer, SignedIn } from '../auth/dashboard-auth.js';
import type { ServiceReader } from '../catalog/service-views.js';
import type { ApprovalPorts } from '../policy/approvals.js';
import type { AgentStore } from '../store/agent-store.js';
import type { MonitoringControlPorts } from '../policy/monitoring-control.js';
import { registerDecisionForms } from './decision-routes.js';
import { registerMonitoringForms } from './monitoring-forms.js';
import { decisionNotice } from './notices.js';
import { registerSignIn } from './sign-in-routes.js';
import { renderPendingActions } from './action-views.js';
import { DASHBOARD_SCRIPT } from './dashboard-script.js';
import { secure, sendHtml } from './respond.js';
import { renderCharts } from './charts/charts-view.js';
import { type FleetService, fleetTiles, type MonitorReading, renderFleet } from './fleet-view.js';
import { registerListPages } from './list-routes.js';
import { startingCursor, streamTimeline, type TimelineStreamOptions } from './timeline-stream.js';

export { DASHBOARD_CONTENT_SECURITY_POLICY } from './respond.js';
import { DASHBOARD_ICON, DASHBOARD_STYLE } from './dashboard-style.js';
import { html, type SafeHtml } from './html.js';
import { renderIncidentDetail, renderIncidentList } from './incident-views.js';
import { renderServiceDetail, renderServiceList } from './service-views.js';
import { renderAudit, renderLearning } from './learning-audit-views.js';
import { renderOverview, type StatusDocument } from './overview-view.js';
import { type Panel, renderPage } from './page.js';
import { learningStats } from '../learning/learning-stats.js';

/** What the dashboard reads, who signs in, and the approvals its decision forms go through. */
export interface DashboardSources {
  store: Pick<AgentStore, 'incidents' | 'actions' | 'learning'>;
  auditLog: AuditLog;
  auth: DashboardAuth;
  /** The same approval stage as `POST /actions/:id/approve|reject`. */
  approvals: ApprovalPorts;
  /** The service catalog at a glance, and one service. */
  services?: ServiceReader;
  /** The catalog's services, for the fleet tiles (none: no fleet panel). */
  fleet?: () => readonly FleetService[];
  /** The health monitor's state of each polled service (health and monitoring lag). */
  monitor?: () => readonly MonitorReading[];
  /** The same start / stop and audit as `POST /control/start-monitoring|stop-monitoring` (none: no form). */
  monitoring?: MonitoringControlPorts;
}

export interface DashboardOptions {
  /** Milliseconds between panel refreshes in the browser (default 3000). */
  refreshMs?: number;
  /** Seconds a verification of the audit chain is reused (default 10; it reads the whole log). */
  auditVerifyCacheSeconds?: number;
  /** Whether reading needs a signed-in session (or a bearer token); deciding always needs a session. Default true. */
  signInRequired?: boolean;
  /** How `GET /dashboard/events` reads the timeline. */
  stream?: TimelineStreamOptions;
}

const AUDIT_ROWS = 15;
const incidentId = z.object({ id: z.string().min(1).max(100) });

/** The dashboard's panels and incident page, rendered from the store and the audit log. */
function dashboardViews(app: App, sources: DashboardSources, options: DashboardOptions) {
  const { store, auditLog } = sources;
  const cacheMs = (options.auditVerifyCacheSeconds ?? 10) * 1000;
  let verification: { at: number; result: Promise<AuditVerification> } | undefined;

  const verifyAudit = (): Promise<AuditVerification> => {
    const now = Date.now();
    if (!verification || now - verification.at >= cacheMs) {
      const result = auditLog.verify();
      verification = { at: now, result };
      result.catch(() => {
        verification = undefined;
      });
    }
    return verification.result;
  };

  // The overview shows the agent's own GET /status document, so the two never disagree.
  const status = async (): Promise<StatusDocument> => (await app.inject({ method: 'GET', url: '/status' })).json<StatusDocument>();

  const panels: Record<string, (viewer: DashboardViewer) => Promise<SafeHtml>> = {
    fleet: async () => {
      const circuits = ((await status()) as { open_circuits?: string[] }).open_circuits ?? [];
      return renderFleet(await fleetTiles(store, sources.fleet?.() ?? [], circuits, sources.monitor?.() ?? []));
    },
    overview: async (viewer) => renderOverview(await status(), sources.monitoring ? { viewer } : undefined),
    'pending-actions': async (viewer) => renderPendingActions(await store.actions.list({ status: 'pending', limit: 100 }), viewer),
    ...(sources.services ? { services: async () => renderServiceList(await sources.services!.list()) } : {}),
    incidents: async () => {
      const [newest, byState] = await Promise.all([store.incidents.list({ limit: 50 }), store.incidents.countByState()]);
      return renderIncidentList(newest, Date.now(), Object.values(byState).reduce((sum, count) => sum + count, 0));
    },
    learning: async () => renderLearning(await learningStats(store.learning)),
    audit: async () => {
      const chain = await verifyAudit();
      const latest = await auditLog.list({ after_seq: Math.max(0, chain.count - AUDIT_ROWS), limit: AUDIT_ROWS });
      return renderAudit(chain, latest.reverse());
    },
  };

  const incidentDetail = async (id: string, viewer: DashboardViewer): Promise<SafeHtml | undefined> => {
    const incident = await store.incidents.get(id);
    if (!incident) return undefined;
    const [alerts, timeline, actions, audit] = await Promise.all([
      store.incidents.alerts(id),
      store.incidents.events(id),
      store.actions.list({ incident_id: id, limit: 1000 }),
      auditLog.list({ subject: id, limit: 1000 }),
    ]);
    return renderIncidentDetail({ incident, alerts, timeline, actions, audit }, viewer);
  };
  return { panels, incidentDetail };
}

const hidden = { hide: true, tags: ['dashboard'] };

/** How a dashboard route learns who reads it (see {@link readers}). */
export type DashboardReader = ReturnType<typeof readers>;

/**
 * Who reads a dashboard page: the signed-in session (or a bearer token's principal). When
 * reading needs sign-in and there is neither, a page answers 303 to `/dashboard/sign-in` and a
 * fragment 401 (the script then goes to the sign-in page): also what an expired session gets.
 */
function readers(auth: DashboardAuth, signInRequired: boolean) {
  return async (request: FastifyRequest, reply: FastifyReply, page: boolean): Promise<{ viewer: DashboardViewer; signedIn?: SignedIn } | undefined> => {
    const signedIn = await auth.identify(request, reply);
    const viewer = auth.viewer(request, signedIn);
    if (!signInRequired || viewer.principal) return { viewer, ...(signedIn ? { signedIn } : {}) };
    if (page) void reply.redirect('/dashboard/sign-in', 303);
    else void sendHtml(reply, html`<p>Signed out: <a href="/dashboard/sign-in">sign in</a></p>`, 401);
    return undefined;
  };
}

/**
 * The web dashboard — approvals over the web as well as over HTTP and the CLI: `GET /dashboard`
 * (overview, pending approvals, incidents, learning, audit), `GET /dashboard/incidents/:id`,
 * the panels as HTML fragments under `/dashboard/fragments/…` (re-fetched every few seconds),
 * sign-in and sign-out, the decision and monitoring forms, and the local script and stylesheet under
 * `/dashboard/assets/…` (no CDN; works offline).
 */
export function registerDashboard(app: App, sources: DashboardSources, options: DashboardOptions = {}): void {
  const refreshMs = options.refreshMs ?? 3000;
  const { panels, incidentDetail } = dashboardViews(app, sources, options);
  const read = readers(sources.auth, options.signInRequired ?? true);
  const query = z.object({ decided: z.string().min(1).max(100).optional() });

  app.get('/dashboard', { schema: { ...hidden, summary: 'The web dashboard (HTML)', querystring: query } }, async (request, reply) => {
    const reader = await read(request, reply, true);
    if (!reader) return reply;
    // The stream starts at the newest entry read before the panels, so nothing falls in between.
    const events = `/dashboard/events?after=${await sources.store.incidents.latestEventId()}`;
    const contents = await Promise.all(Object.entries(panels).map(async ([name, render]) => [name, await render(reader.viewer)] as const));
    const page: Panel[] = contents.map(([name, content]) => ({ id: name, fragment: `/dashboard/fragments/${name}`, content }));
    const notice = await decisionNotice(sources.store.actions, request.query.decided);
    return sendHtml(reply, renderPage({ title: 'dashboard', panels: page, refreshMs, events, viewer: reader.viewer, ...(notice ? { notice } : {}) }));
  });

  app.get(
    '/dashboard/incidents/:id',
    { schema: { ...hidden, summary: 'One incident (HTML)', params: incidentId, querystring: query } },
    async (request, reply) => {
      const reader = await read(request, reply, true);
      if (!reader) return reply;
      const { id } = request.params;
      const events = `/dashboard/events?after=${await sources.store.incidents.latestEventId()}`;
      const content = await incidentDetail(id, reader.viewer);
      if (!content) {
        const missing = html`<h2>No incident ${id}</h2><p><a href="/dashboard">Back to the dashboard</a></p>`;
        return sendHtml(reply, renderPage({ title: 'incident not found', panels: [{ id: 'incident', fragment: '', content: missing }], refreshMs, back: true, viewer: reader.viewer }), 404);
      }
      const fragment = `/dashboard/fragments/incidents/${encodeURIComponent(id)}`;
      const notice = await decisionNotice(sources.store.actions, request.query.decided);
      return sendHtml(reply, renderPage({ title: `incident ${id}`, panels: [{ id: 'incident', fragment, content }], refreshMs, events, incident: id, back: true, viewer: reader.viewer, ...(notice ? { notice } : {}) }));
    },
  );

  app.get(
    '/dashboard/fragments/incidents/:id',
    { schema: { ...hidden, summary: 'One incident (HTML fragment)', params: incidentId } },
    async (request, reply) => {
      const reader = await read(request, reply, false);
      if (!reader) return reply;
      const content = await incidentDetail(request.params.id, reader.viewer);
      if (!content) return sendHtml(reply, html`<h2>No incident ${request.params.id}</h2>`, 404);
      return sendHtml(reply, content);
    },
  );

  app.get(
    '/dashboard/fragments/:panel',
    { schema: { ...hidden, summary: 'One dashboard panel (HTML fragment)', params: z.object({ panel: z.enum(Object.keys(panels) as [string, ...string[]]) }) } },
    async (request, reply) => {
      const reader = await read(request, reply, false);
      if (!reader) return reply;
      const render = panels[request.params.panel];
      return sendHtml(reply, render ? await render(reader.viewer) : html``, render ? 200 : 404);
    },
  );

  registerServicePages(app, sources, refreshMs, read);
  registerTimelineStream(app, sources, options, read);
  registerListPages(app, sources, refreshMs, read);
  registerCharts(app, sources, refreshMs, read);
  registerAssets(app);
  app.register(async (forms) => {
    forms.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_request, body, done) => {
      done(null, Object.fromEntries(new URLSearchParams(body as string)));
    });
    registerSignIn(forms as unknown as App, sources.auth);
    registerDecisionForms(forms as unknown as App, sources.auth, sources.approvals);
    if (sources.monitoring) registerMonitoringForms(forms as unknown as App, sources.auth, sources.monitoring);
  });
}

/** `GET /dashboard/services/:name`: one service's health, open incidents and last actions. */
function registerServicePages(app: App, sources: DashboardSources, refreshMs: number, read: ReturnType<typeof readers>): void {
  const services = sources.services;
  if (!services) return;
  const params = z.object({ name: z.string().min(1).max(128) });
  const render = async (name: string) => {
    const detail = await services.get(name);
    return detail ? renderServiceDetail(detail) : undefined;
  };
  app.get('/dashboard/services/:name', { schema: { ...hidden, summary: 'One service (HTML)', params } }, async (request, reply) => {
    const reader = await read(request, reply, true);
    if (!reader) return reply;
    const { name } = request.params;
    const content = (await render(name)) ?? html`<h2>No service ${name} in the catalog</h2><p><a href="/dashboard">Back to the dashboard</a></p>`;
    const fragment = `/dashboard/fragments/services/${encodeURIComponent(name)}`;
    return sendHtml(reply, renderPage({ title: `service ${name}`, panels: [{ id: 'service', fragment, content }], refreshMs, back: true, viewer: reader.viewer }));
  });
  app.get('/dashboard/fragments/services/:name', { schema: { ...hidden, summary: 'One service (HTML fragment)', params } }, async (request, reply) => {
    const reader = await read(request, reply, false);
    if (!reader) return reply;
    const content = await render(request.params.name);
    return sendHtml(reply, content ?? html`<h2>No service ${request.params.name}</h2>`, content ? 200 : 404);
  });
}

/**
 * `GET /dashboard/events`: the incidents' timelines as server-sent events (`agentTimelineEventSchema`),
 * resumable with `Last-Event-ID`; `?after=` says where a first connection starts (default: now).
 */
function registerTimelineStream(app: App, sources: DashboardSources, options: DashboardOptions, read: ReturnType<typeof readers>): void {
  const open = new Set<() => void>();
  app.addHook('preClose', async () => {
    for (const end of open) end();
  });
  const query = z.object({ after: z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER).optional() });
  app.get('/dashboard/events', { schema: { ...hidden, summary: 'Timeline events (server-sent events)', querystring: query } }, async (request, reply) => {
    const reader = await read(request, reply, false);
    if (!reader) return reply;
    const cursor = await startingCursor(request, sources.store.incidents);
    streamTimeline(request, reply, sources.store.incidents, cursor, {
      ...options.stream,
      onEnd: (end) => {
        open.add(end);
        return () => open.delete(end);
      },
    });
    return reply;
  });
}

/** `GET /dashboard/charts` and its fragment: server-rendered SVG charts with their tables. */
function registerCharts(app: App, sources: DashboardSources, refreshMs: number, read: ReturnType<typeof readers>): void {
  app.get('/dashboard/charts', { schema: { ...hidden, summary: 'Charts (HTML, server-rendered SVG)' } }, async (request, reply) => {
    const reader = await read(request, reply, true);
    if (!reader) return reply;
    const events = `/dashboard/events?after=${await sources.store.incidents.latestEventId()}`;
    const content = await renderCharts(sources.store);
    return sendHtml(reply, renderPage({ title: 'charts', panels: [{ id: 'charts', fragment: '/dashboard/fragments/charts', content }], refreshMs, events, back: true, viewer: reader.viewer }));
  });
  app.get('/dashboard/fragments/charts', { schema: { ...hidden, summary: 'Charts (HTML fragment)' } }, async (request, reply) => {
    const reader = await read(request, reply, false);
    if (!reader) return reply;
    return sendHtml(reply, await renderCharts(sources.store));
  });
}

/** The dashboard's own script, stylesheet and icon (no CDN). */
function registerAssets(app: App): void {
  app.get('/dashboard/assets/dashboard.js', { schema: { ...hidden, summary: 'Dashboard script' } }, async (_request, reply) =>
    secure(reply, 'text/javascript; charset=utf-8').send(DASHBOARD_SCRIPT),
  );
  app.get('/dashboard/assets/dashboard.css', { schema: { ...hidden, summary: 'Dashboard stylesheet' } }, async (_request, reply) =>
    secure(reply, 'text/css; charset=utf-8').send(DASHBOARD_STYLE),
  );
  app.get('/dashboard/assets/favicon.svg', { schema: { ...hidden, summary: 'Dashboard icon' } }, async (_request, reply) =>
    secure(reply, 'image/svg+xml').send(DASHBOARD_ICON),
  );
}
