import { type App, AuthenticationError, ForbiddenError } from '@atb/service-kit';
import type { AuditLog } from '@atb/storage';
import { AUDIT_ACTIONS } from '../command-service.js';
import { checkSourceRights } from '../policy/source-rights.js';

/**
 * Binds `POST /execute-docker-command`'s body `source_id` to the caller's token: a request whose
 * `source_id` the principal may not act as is refused with 403 `forbidden` naming
 * `body.source_id`, audited as `command-rejected` under the principal's name, before any
 * interpreter runs or any idempotency key is taken.
 */
export function bindSourceToPrincipal(app: App, audit: AuditLog): void {
  app.addHook('preHandler', async (request) => {
    if (request.routeOptions.url !== '/execute-docker-command' || request.method !== 'POST') return;
    const principal = request.principal;
    if (!principal) throw new AuthenticationError('missing bearer token', { field: 'headers.authorization' });
    const sourceId = (request.body as { source_id: string }).source_id;
    const refusal = checkSourceRights(principal, sourceId);
    if (!refusal) return;
    await audit.append({
      actor: principal.name,
      action: AUDIT_ACTIONS.rejected,
      subject: request.id,
      data: { reason_code: refusal.code, reason: refusal.reason, source_id: sourceId, principal: { id: principal.id, name: principal.name, kind: principal.kind, role: principal.role } },
    });
    throw new ForbiddenError(refusal.reason, { field: 'body.source_id', details: { overall_status: 'rejected', reason_code: refusal.code } });
  });
}
