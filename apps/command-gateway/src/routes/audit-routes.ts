import { auditListResponseSchema, auditVerificationSchema, gatewayAuditQuerySchema } from '@atb/contracts';
import type { App } from '@atb/service-kit';
import type { AuditLog } from '@atb/storage';

/** `GET /audit` (filtered, paged by `after_seq`) and `GET /audit/verify` (walks the hash chain). */
export function registerAuditRoutes(app: App, audit: AuditLog): void {
  app.get(
    '/audit',
    {
      schema: {
        tags: ['audit'],
        summary: 'Audit records, oldest first; page with after_seq',
        querystring: gatewayAuditQuerySchema,
        response: { 200: auditListResponseSchema },
      },
    },
    async (request) => {
      const { since, until, ...rest } = request.query;
      const filter = {
        ...rest,
        ...(since ? { since: new Date(since).toISOString() } : {}),
        ...(until ? { until: new Date(until).toISOString() } : {}),
      };
      const records = await audit.list(filter);
      const last = records.at(-1);
      return { records, count: records.length, next_after_seq: records.length === filter.limit && last ? last.seq : null };
    },
  );
  app.get(
    '/audit/verify',
    { schema: { tags: ['audit'], summary: 'Verify the hash chain of the whole audit log', response: { 200: auditVerificationSchema } } },
    async () => audit.verify(),
  );
}
