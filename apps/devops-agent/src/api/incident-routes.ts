import { idParamsSchema, incidentDetailSchema, incidentListResponseSchema, listIncidentsQuerySchema } from '@atb/contracts';
import { type App, NotFoundError } from '@atb/service-kit';
import type { AgentStore } from '../store/agent-store.js';
import { decodeCursor, readPage } from './page-cursor.js';

/** `GET /incidents` (filters) and `GET /incidents/:id` (timeline, alerts, analysis, actions). */
export function registerIncidentRoutes(app: App, store: Pick<AgentStore, 'incidents' | 'actions'>): void {
  app.get(
    '/incidents',
    { schema: { tags: ['incidents'], summary: 'Incidents, newest first', querystring: listIncidentsQuerySchema, response: { 200: incidentListResponseSchema } } },
    async (request) => {
      const { active, cursor, ...filter } = request.query;
      const before = decodeCursor(cursor);
      const page = await readPage(
        filter.limit,
        (limit) => store.incidents.list({ ...filter, limit, ...(before ? { before } : {}), ...(active ? { active: active === 'true' } : {}) }),
        (incident) => ({ at: incident.opened_at, id: incident.id }),
      );
      return { incidents: page.rows, count: page.rows.length, limit: filter.limit, offset: filter.offset, next_cursor: page.next_cursor };
    },
  );

  app.get(
    '/incidents/:id',
    {
      schema: {
        tags: ['incidents'],
        summary: 'One incident with its timeline, alerts, analysis and actions',
        params: idParamsSchema,
        response: { 200: incidentDetailSchema },
      },
    },
    async (request) => {
      const incident = await store.incidents.get(request.params.id);
      if (!incident) throw new NotFoundError(`no incident ${request.params.id}`, { field: 'id' });
      const [alerts, timeline, actions] = await Promise.all([
        store.incidents.alerts(incident.id),
        store.incidents.events(incident.id),
        store.actions.list({ incident_id: incident.id, limit: 1000 }),
      ]);
      return { ...incident, alerts, timeline, actions };
    },
  );
}
