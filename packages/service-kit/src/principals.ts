import type { FastifyRequest } from 'fastify';
import { AuthenticationError, ForbiddenError } from './errors.js';

/**
 * What a principal may do, each role including the ones before it: a `viewer` reads; an
 * `operator` also approves and rejects actions, starts and stops monitoring and asks for
 * operations; an `admin` also manages tokens, users and policy.
 */
export const ROLES = ['viewer', 'operator', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/** `person`: someone at a dashboard or the CLI; `service`: another service (the devops agent, the CLI's automation). */
export const PRINCIPAL_KINDS = ['person', 'service'] as const;
export type PrincipalKind = (typeof PRINCIPAL_KINDS)[number];

/** Who a request authenticated as: the name audit records carry, never a name the caller typed. */
export interface Principal {
  /** The token's id (`bootstrap` for the service's single configured token). */
  readonly id: string;
  /** A person's or a service's name (`alice`, `devops-agent`, `atb-cli`). */
  readonly name: string;
  readonly kind: PrincipalKind;
  readonly role: Role;
}

/** The id of the principal behind a service's single configured (or generated) token. */
export const BOOTSTRAP_PRINCIPAL_ID = 'bootstrap';

/** Whether `principal` has `role` or a stronger one. */
export function hasRole(principal: Principal | undefined, role: Role): boolean {
  return principal !== undefined && ROLES.indexOf(principal.role) >= ROLES.indexOf(role);
}

/**
 * Throws unless the request authenticated as a principal with `role` or stronger: 401 when it
 * did not authenticate at all, 403 `forbidden` naming the role needed and the one held.
 */
export function assertRole(request: FastifyRequest, role: Role): Principal {
  const principal = request.principal;
  if (!principal) {
    throw new AuthenticationError('missing bearer token: send Authorization: Bearer <token>', { field: 'headers.authorization' });
  }
  if (!hasRole(principal, role)) {
    throw new ForbiddenError(`this needs the ${role} role; ${principal.name} has ${principal.role}`, {
      field: 'headers.authorization',
      details: { required_role: role, role: principal.role, principal: principal.name },
    });
  }
  return principal;
}

/**
 * A route `preHandler` that lets only principals with `role` (or stronger) through.
 *
 * @example
 * app.post('/actions/:id/approve', { preHandler: requireRole('operator') }, handler);
 */
export function requireRole(role: Role): (request: FastifyRequest) => Promise<void> {
  return async (request) => {
    assertRole(request, role);
  };
}
