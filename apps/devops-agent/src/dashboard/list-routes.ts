import type { App } from '@atb/service-kit';
import { z } from 'zod';
import { decodeCursor, readPage } from '../api/page-cursor.js';
import { ACTION_STATUSES, INCIDENT_STATES } from '../store/agent-store.js';
import { type ActionListQuery, renderActionListPage } from './action-list-view.js';
import type { DashboardReader, DashboardSources } from './dashboard-routes.js';
import { type IncidentListQuery, renderIncidentListPage } from './list-view.js';
import { renderPage } from './page.js';
import { sendHtml } from './respond.js';

const PAGE_ROWS = 50;
const hidden = { hide: true, tags: ['dashboard'] };
/** An empty field of the GET form means "no filter". */
const listTime = z.union([z.literal(''), z.string().datetime({ offset: true })]).optional();
const text = z.string().max(200).optional();
const cursor = z.string().max(400).optional();
const incidentQuery = z.object({
  service: text,
  state: z.union([z.literal(''), z.enum(INCIDENT_STATES)]).optional(),
  /** `true`: the active incidents (every state but resolved, escalated and failed); `false`: the ended ones. */
  active: z.union([z.literal(''), z.enum(['true', 'false'])]).optional(),
  /** The analysis' issue type. */
  issue_type: text,
  alertname: text,
  /** The alert name, as links made before the field was named so still carry it. */
  type: text,
  since: listTime,
  until: listTime,
  cursor,
});
const actionQuery = z.object({ service: text, status: z.union([z.literal(''), z.enum(ACTION_STATUSES)]).optional(), operation: text, since: listTime, until: listTime, cursor });

/** The filters actually set (the form sends every field, empty ones as ''). */
const setFilters = (query: Record<string, string | undefined>) => Object.fromEntries(Object.entries(query).filter(([, value]) => value !== '' && value !== undefined));
/** The store's time range for `since` / `until` as typed (any offset), in the stored UTC form. */
const timeRange = (query: { since?: string; until?: string }) => ({
  ...(query.since ? { since: new Date(query.since).toISOString() } : {}),
  ...(query.until ? { until: new Date(query.until).toISOString() } : {}),
});

/**
 * `GET /dashboard/incidents` and `GET /dashboard/actions`: filtered, cursor-paged lists (the
 * store does the filtering and the keyset paging, newest first; a foreign cursor is a 422
 * naming `cursor`).
 */
export function registerListPages(app: App, sources: DashboardSources, refreshMs: number, read: DashboardReader): void {
  const { incidents, actions } = sources.store;
  app.get('/dashboard/incidents', { schema: { ...hidden, summary: 'Incidents with filters and paging (HTML)', querystring: incidentQuery } }, async (request, reply) => {
    const reader = await read(request, reply, true);
    if (!reader) return reply;
    const query = setFilters(request.query) as IncidentListQuery;
    const before = decodeCursor(query.cursor);
    const filter = {
      ...(query.service ? { service: query.service } : {}),
      ...(query.state ? { state: query.state } : {}),
      ...(query.active ? { active: query.active === 'true' } : {}),
      ...(query.issue_type ? { issue_type: query.issue_type } : {}),
      ...(query.alertname || query.type ? { alertname: query.alertname ?? query.type } : {}),
      ...timeRange(query),
    };
    const page = await readPage(PAGE_ROWS, (limit) => incidents.list({ ...filter, limit, ...(before ? { before } : {}) }), (incident) => ({ at: incident.opened_at, id: incident.id }));
    const content = renderIncidentListPage(query, page.rows, page.next_cursor);
    return sendHtml(reply, renderPage({ title: 'incidents', panels: [{ id: 'incident-list', fragment: '', content }], refreshMs, back: true, viewer: reader.viewer }));
  });
  app.get('/dashboard/actions', { schema: { ...hidden, summary: 'Actions with filters and paging (HTML)', querystring: actionQuery } }, async (request, reply) => {
    const reader = await read(request, reply, true);
    if (!reader) return reply;
    const query = setFilters(request.query) as ActionListQuery;
    const before = decodeCursor(query.cursor);
    const filter = { ...(query.service ? { service: query.service } : {}), ...(query.status ? { status: query.status } : {}), ...(query.operation ? { operation: query.operation } : {}), ...timeRange(query) };
    const page = await readPage(PAGE_ROWS, (limit) => actions.list({ ...filter, limit, ...(before ? { before } : {}) }), (action) => ({ at: action.created_at, id: action.id }));
    const content = renderActionListPage(query, page.rows, page.next_cursor);
    return sendHtml(reply, renderPage({ title: 'actions', panels: [{ id: 'action-list', fragment: '', content }], refreshMs, back: true, viewer: reader.viewer }));
  });
}
