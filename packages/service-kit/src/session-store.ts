import type { Principal } from './principals.js';

/** How a session's principal proved who they are: a token typed into the sign-in form, or a trusted proxy's user header. */
export type SessionOrigin = 'token' | 'proxy';

/** A signed-in browser session as stored: the SHA-256 of its id (never the id), who it is, and its CSRF token. */
export interface StoredSession {
  /** SHA-256 (hex) of the session id the cookie carries. */
  id_hash: string;
  principal: Principal;
  origin: SessionOrigin;
  /** The synchronizer token every form of this session carries. */
  csrf_token: string;
  /** ISO 8601. */
  created_at: string;
  expires_at: string;
}

/**
 * Where sessions are kept. It stores, finds and deletes; expiry and how ids are hashed and
 * compared are decided by {@link Sessions}.
 */
export interface SessionStore {
  insert(session: StoredSession): Promise<void>;
  /** The session with this id hash, expired ones included. */
  find(idHash: string): Promise<StoredSession | undefined>;
  delete(idHash: string): Promise<void>;
  /** Deletes every session that expired before `at`; returns how many. */
  deleteExpired(at: string): Promise<number>;
}

/** The simplest {@link SessionStore}: a map in memory (unit tests, one-process tools). */
export class InMemorySessionStore implements SessionStore {
  private readonly sessions = new Map<string, StoredSession>();

  async insert(session: StoredSession): Promise<void> {
    if (this.sessions.has(session.id_hash)) throw new Error('session id already exists');
    this.sessions.set(session.id_hash, structuredClone(session));
  }

  async find(idHash: string): Promise<StoredSession | undefined> {
    const session = this.sessions.get(idHash);
    return session ? structuredClone(session) : undefined;
  }

  async delete(idHash: string): Promise<void> {
    this.sessions.delete(idHash);
  }

  async deleteExpired(at: string): Promise<number> {
    let deleted = 0;
    for (const [idHash, session] of this.sessions) {
      if (session.expires_at < at) {
        this.sessions.delete(idHash);
        deleted += 1;
      }
    }
    return deleted;
  }
}
