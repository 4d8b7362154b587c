import { z } from 'zod';
import type { ApiTokens } from './api-tokens.js';
import { PRINCIPAL_NAME } from './api-tokens.js';
import { NotFoundError } from './errors.js';
import { PRINCIPAL_KINDS, ROLES, requireRole } from './principals.js';
import type { App } from './server.js';

const tokenRecordSchema = z.object({
  id: z.string(),
  name: z.string(),
  kind: z.enum(PRINCIPAL_KINDS),
  role: z.enum(ROLES),
  created_at: z.string(),
  expires_at: z.string().nullable(),
  revoked_at: z.string().nullable(),
});

/** `POST /tokens`: who the token is for; the token itself is in the answer, once. */
export const createTokenRequestSchema = z
  .object({
    name: z.string().regex(PRINCIPAL_NAME, 'letters, digits, ".", "_" or "-", 1..64 characters'),
    role: z.enum(ROLES),
    kind: z.enum(PRINCIPAL_KINDS).default('person'),
    /** Seconds until the token stops working; absent: until revoked. */
    expires_in_seconds: z.number().int().min(1).max(10 * 365 * 86_400).optional(),
  })
  .strict();

/**
 * The token administration API, `admin` only: `POST /tokens` issues one (the answer is the only
 * time the token is shown), `GET /tokens` lists them without secrets, `DELETE /tokens/:reference`
 * revokes one by id or every live token of a principal by name (404 when nothing matched).
 */
export function registerTokenRoutes(app: App, tokens: ApiTokens): void {
  const admin = requireRole('admin');
  app.post(
    '/tokens',
    {
      preHandler: admin,
      schema: {
        tags: ['tokens'],
        summary: 'Issue an API token for a person or a service (admin); the token is shown once',
        body: createTokenRequestSchema,
        response: { 201: tokenRecordSchema.extend({ token: z.string() }) },
      },
    },
    async (request, reply) => {
      const { name, role, kind, expires_in_seconds } = request.body;
      const { token, record } = await tokens.create({
        name,
        role,
        kind,
        ...(expires_in_seconds === undefined ? {} : { expiresInSeconds: expires_in_seconds }),
      });
      request.log.info({ token_id: record.id, name, role, kind, by: request.principal?.name }, 'token-created');
      return reply.code(201).send({ ...record, token });
    },
  );
  app.get(
    '/tokens',
    {
      preHandler: admin,
      schema: { tags: ['tokens'], summary: 'List API tokens, without secrets (admin)', response: { 200: z.object({ tokens: z.array(tokenRecordSchema) }) } },
    },
    async () => ({ tokens: await tokens.list() }),
  );
  app.delete(
    '/tokens/:reference',
    {
      preHandler: admin,
      schema: {
        tags: ['tokens'],
        summary: 'Revoke a token by id, or every live token of a principal by name (admin)',
        params: z.object({ reference: z.string().min(1).max(64) }),
        response: { 200: z.object({ revoked: z.array(tokenRecordSchema) }) },
      },
    },
    async (request) => {
      const revoked = await tokens.revoke(request.params.reference);
      if (revoked.length === 0) {
        throw new NotFoundError(`no live token has the id or name "${request.params.reference}"`, { field: 'params.reference' });
      }
      request.log.info({ revoked: revoked.map((token) => token.id), by: request.principal?.name }, 'token-revoked');
      return { revoked };
    },
  );
}
