import { serviceDetailSchema, serviceListResponseSchema, serviceNameParamsSchema } from '@atb/contracts';
import { type App, NotFoundError } from '@atb/service-kit';
import type { ServiceCatalog } from '../catalog/service-catalog.js';
import type { ServiceReader } from '../catalog/service-views.js';

/** `GET /services` and `GET /services/{name}`: the catalog with each service's health, incidents, actions and learning. */
export function registerServiceRoutes(app: App, catalog: Pick<ServiceCatalog, 'state'>, services: ServiceReader): void {
  app.get(
    '/services',
    { schema: { tags: ['services'], summary: 'The service catalog: each service with its health and open incidents', response: { 200: serviceListResponseSchema } } },
    async () => {
      const list = await services.list();
      const { source, version, loaded_at, last_error } = catalog.state();
      return { services: list, count: list.length, catalog: { source, version, loaded_at, last_error } };
    },
  );
  app.get(
    '/services/:name',
    {
      schema: {
        tags: ['services'],
        summary: 'One service: open incidents, last actions, learning statistics, health',
        params: serviceNameParamsSchema,
        response: { 200: serviceDetailSchema },
      },
    },
    async (request) => {
      const detail = await services.get(request.params.name);
      if (!detail) throw new NotFoundError(`no service "${request.params.name}" in the catalog`, { field: 'params.name' });
      return detail;
    },
  );
}
