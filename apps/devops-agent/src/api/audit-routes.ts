import { agentAuditQuerySchema, auditListResponseSchema, auditVerificationSchema } from '@atb/contracts';
import type { App } from '@atb/service-kit';
import type { AuditLog } from '@atb/storage';

/** `GET /audit` (filters, paging) and `GET /audit/verify` (hash chain check; 409 when broken). */
export function registerAuditRoutes(app: App, log: AuditLog): void {
  app.get(
    '/audit',
    {
      schema: {
        tags: ['audit'],
        summary: 'Audit records, oldest first',
        querystring: agentAuditQuerySchema,
        response: { 200: auditListResponseSchema },
      },
    },
    async (request) => {
      const records = await log.list(request.query);
      return { records, count: records.length, next_after_seq: records.at(-1)?.seq ?? null };
    },
  );
  app.get(
    '/audit/verify',
    {
      schema: {
        tags: ['audit'],
        summary: 'Verify the hash chain of the audit log',
        response: { 200: auditVerificationSchema, 409: auditVerificationSchema },
      },
    },
    async (_request, reply) => {
      const verification = await log.verify();
      return reply.status(verification.valid ? 200 : 409).send(verification);
    },
  );
}
