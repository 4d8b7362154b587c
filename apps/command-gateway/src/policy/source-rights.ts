import { BOOTSTRAP_PRINCIPAL_ID, hasRole, type Principal } from '@atb/service-kit';
import type { Rejection } from './rejection.js';

/** The source a person's token acts as: the people at the CLI or the dashboard. */
export const PERSON_SOURCE_ID = 'atb-cli';

/**
 * The `source_id`s a principal may act as — its rights come from its token, never from the
 * request body: a service principal (the devops agent's token) acts as its own name only; a
 * person with at least the operator role acts as {@link PERSON_SOURCE_ID}; the bootstrap
 * administrator (the gateway's single configured token) as any source, since it can issue any
 * token anyway. `'any'` or the one allowed source.
 */
export function sourceRightsOf(principal: Principal): 'any' | string | undefined {
  if (principal.id === BOOTSTRAP_PRINCIPAL_ID && principal.role === 'admin') return 'any';
  if (!hasRole(principal, 'operator')) return undefined;
  return principal.kind === 'service' ? principal.name : PERSON_SOURCE_ID;
}

/** Why `principal` may not send `sourceId`, or undefined when it may. */
export function checkSourceRights(principal: Principal, sourceId: string): Rejection | undefined {
  const rights = sourceRightsOf(principal);
  if (rights === 'any' || rights === sourceId) return undefined;
  return {
    code: 'source_not_allowed',
    reason:
      rights === undefined
        ? `source_id "${sourceId}": ${principal.name} (${principal.role}) may not request operations; that needs the operator role`
        : `source_id "${sourceId}" does not match the caller's token: ${principal.name} may act as source_id "${rights}" only`,
  };
}
