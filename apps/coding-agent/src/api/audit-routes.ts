import { auditVerificationSchema } from '@atb/contracts';
import type { App } from '@atb/service-kit';
import type { AuditLog } from '@atb/storage';

/**
 * `GET /audit/verify`: walks the task audit chain (HMAC-keyed, checked against the head anchored
 * outside the database) — 200 when intact, 409 with the first broken record. Behind the API
 * token like every route; `atb audit verify --service coding-agent` calls it.
 */
export function registerAuditVerifyRoute(app: App, log: AuditLog): void {
  app.get(
    '/audit/verify',
    {
      schema: {
        tags: ['audit'],
        summary: 'Verify the hash chain of the task audit log',
        response: { 200: auditVerificationSchema, 409: auditVerificationSchema },
      },
    },
    async (_request, reply) => {
      const verification = await log.verify();
      return reply.status(verification.valid ? 200 : 409).send(verification);
    },
  );
}
