import type { App } from '@atb/service-kit';
import type { AuditLog } from '@atb/storage';
import { z } from 'zod';

const isoTime = z.iso.datetime({ offset: true, error: 'expected an ISO 8601 time such as 2026-01-31T12:00:00Z' });

export const auditQuerySchema = z
  .object({
    action: z.string().min(1).max(64).optional(),
    subject: z.string().min(1).max(256).optional(),
    actor: z.string().min(1).max(128).optional(),
    since: isoTime.optional(),
    until: isoTime.optional(),
    after_seq: z.coerce.number().int().min(0).optional(),
    limit: z.coerce.number().int().min(1).max(1000).default(100),
  })
  .strict();

/** `GET /audit` (filtered, paged by `after_seq`) and `GET /audit/verify` (walks the hash chain). */
export function registerAuditRoutes(app: App, audit: AuditLog): void {
  app.get(
    '/audit',
    {
      schema: {
        tags: ['audit'],
        summary: 'Audit records, oldest first; page with after_seq',
        querystring: auditQuerySchema,
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
    { schema: { tags: ['audit'], summary: 'Verify the hash chain of the whole audit log' } },
    async () => audit.verify(),
  );
}
