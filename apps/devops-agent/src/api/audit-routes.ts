import type { App } from '@atb/service-kit';
import type { AuditLog } from '@atb/storage';
import { z } from 'zod';

/** `GET /audit` (filters, paging) and `GET /audit/verify` (hash chain check). */
export function registerAuditRoutes(app: App, log: AuditLog): void {
  app.get(
    '/audit',
    {
      schema: {
        tags: ['audit'],
        summary: 'Audit records, oldest first',
        querystring: z.object({
          actor: z.string().min(1).max(200).optional(),
          action: z.string().min(1).max(200).optional(),
          subject: z.string().min(1).max(200).optional(),
          since: z.string().min(1).max(40).optional(),
          until: z.string().min(1).max(40).optional(),
          after_seq: z.coerce.number().int().min(0).optional(),
          limit: z.coerce.number().int().min(1).max(1000).default(100),
        }),
      },
    },
    async (request) => {
      const records = await log.list(request.query);
      return { records, count: records.length, next_after_seq: records.at(-1)?.seq ?? null };
    },
  );
  app.get('/audit/verify', { schema: { tags: ['audit'], summary: 'Verify the hash chain of the audit log' } }, async (_request, reply) => {
    const verification = await log.verify();
    return reply.status(verification.valid ? 200 : 409).send(verification);
  });
}
