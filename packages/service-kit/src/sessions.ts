import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Principal } from './principals.js';
import type { SessionOrigin, SessionStore, StoredSession } from './session-store.js';

/** A live session: its principal, how it signed in, its CSRF token and when it ends. */
export type Session = Omit<StoredSession, 'id_hash'>;

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

/** Constant-time equality of two strings (compared as SHA-256 digests, so lengths do not leak). */
export function sameSecret(presented: string | undefined, expected: string): boolean {
  if (typeof presented !== 'string' || presented.length === 0) return false;
  return timingSafeEqual(createHash('sha256').update(presented).digest(), createHash('sha256').update(expected).digest());
}

/**
 * Server-side browser sessions over a {@link SessionStore}. A session id is 256 random bits
 * (base64url) handed to the browser once, in the cookie; only its SHA-256 is stored, so a copy
 * of the database signs nobody in. Each session has its own CSRF token (synchronizer pattern)
 * and a fixed expiry; an expired session is deleted when presented.
 *
 * @example
 * const sessions = new Sessions(store, { ttlSeconds: 8 * 3600 });
 * const { id } = await sessions.create(principal, 'token'); // id → Set-Cookie
 * (await sessions.resolve(id))?.principal.name;             // until it expires or signs out
 */
export class Sessions {
  constructor(
    readonly store: SessionStore,
    private readonly options: { ttlSeconds: number; now?: () => Date },
  ) {}

  private now(): Date {
    return this.options.now?.() ?? new Date();
  }

  /** Opens a session; the returned `id` goes into the cookie and is never seen again. */
  async create(principal: Principal, origin: SessionOrigin): Promise<{ id: string; session: Session }> {
    const id = randomBytes(32).toString('base64url');
    const created = this.now();
    const session: Session = {
      principal: { id: principal.id, name: principal.name, kind: principal.kind, role: principal.role },
      origin,
      csrf_token: randomBytes(32).toString('base64url'),
      created_at: created.toISOString(),
      expires_at: new Date(created.getTime() + this.options.ttlSeconds * 1000).toISOString(),
    };
    await this.store.insert({ id_hash: sha256(id), ...session });
    // Housekeeping: expired sessions never outlive the next sign-in.
    await this.store.deleteExpired(created.toISOString());
    return { id, session };
  }

  /** The live session of a cookie's id; `undefined` when unknown or expired (an expired one is deleted). */
  async resolve(id: string | undefined): Promise<Session | undefined> {
    if (!id || id.length > 200) return undefined;
    const stored = await this.store.find(sha256(id));
    if (!stored) return undefined;
    if (Date.parse(stored.expires_at) <= this.now().getTime()) {
      await this.store.delete(stored.id_hash);
      return undefined;
    }
    const { id_hash: _hash, ...session } = stored;
    return session;
  }

  /** Signs out: the id stops working at once. */
  async destroy(id: string | undefined): Promise<void> {
    if (id) await this.store.delete(sha256(id));
  }
}
