import { timingSafeEqual } from 'node:crypto';
import { AuthenticationError } from '@atb/service-kit';

export interface WebhookCredentials {
  username?: string | undefined;
  password?: string | undefined;
  bearerToken?: string | undefined;
}

const same = (left: string, right: string): boolean => {
  const a = Buffer.from(left);
  const b = Buffer.from(right);
  return a.length === b.length && timingSafeEqual(a, b);
};

/** True when any credential is configured (otherwise the webhook is open, as in development). */
export const authenticationRequired = (credentials: WebhookCredentials): boolean =>
  credentials.bearerToken !== undefined || credentials.username !== undefined;

/**
 * Checks the `Authorization` header as Alertmanager's `http_config` sends it: `Bearer <token>`
 * (`authorization` / `bearer_token`) or `Basic <base64 user:password>` (`basic_auth`).
 * Throws 401 naming the header when it does not match.
 */
export function checkWebhookAuthorization(header: string | undefined, credentials: WebhookCredentials): void {
  if (!authenticationRequired(credentials)) return;
  if (!header) throw new AuthenticationError('missing Authorization header: expected Bearer or Basic credentials', { field: 'authorization' });
  const [scheme, value = ''] = header.split(' ', 2);
  const kind = scheme?.toLowerCase();
  if (kind === 'bearer' && credentials.bearerToken !== undefined && same(value.trim(), credentials.bearerToken)) return;
  if (kind === 'basic' && credentials.username !== undefined && credentials.password !== undefined) {
    const decoded = Buffer.from(value.trim(), 'base64').toString('utf8');
    const separator = decoded.indexOf(':');
    if (
      separator >= 0 &&
      same(decoded.slice(0, separator), credentials.username) &&
      same(decoded.slice(separator + 1), credentials.password)
    ) {
      return;
    }
  }
  throw new AuthenticationError('invalid webhook credentials', { field: 'authorization' });
}
