import { type App, NotFoundError } from '@atb/service-kit';
import { z } from 'zod';
import { type AgentStore, INCIDENT_STATES } from '../store/agent-store.js';

const listQuery = z.object({
  state: z.enum(INCIDENT_STATES).optional(),
  service: z.string().min(1).max(200).optional(),
  alertname: z.string().min(1).max(200).optional(),
  active: z.enum(['true', 'false']).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
  offset: z.coerce.number().int().min(0).default(0),
});

/** `GET /incidents` (filters) and `GET /incidents/:id` (timeline, alerts, analysis, actions). */
export function registerIncidentRoutes(app: App, store: Pick<AgentStore, 'incidents' | 'actions'>): void {
  app.get('/incidents', { schema: { tags: ['incidents'], summary: 'Incidents, newest first', querystring: listQuery } }, async (request) => {
    const { active, ...filter } = request.query;
    const incidents = await store.incidents.list({ ...filter, ...(active ? { active: active === 'true' } : {}) });
    return { incidents, count: incidents.length, limit: filter.limit, offset: filter.offset };
  });

  app.get(
    '/incidents/:id',
    { schema: { tags: ['incidents'], summary: 'One incident with its timeline, alerts, analysis and actions', params: z.object({ id: z.string().min(1).max(100) }) } },
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
