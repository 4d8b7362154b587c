import type { PrincipalKind, Role } from './principals.js';

/** One API token as listed: everything but its hash. */
export interface TokenRecord {
  /** Unique, random, also the lookup prefix inside the token (`atb_<id>_<secret>`). */
  id: string;
  /** The principal's name (`alice`, `devops-agent`); several tokens may share one name. */
  name: string;
  kind: PrincipalKind;
  role: Role;
  /** ISO 8601 timestamps; `null` when it never expires / is not revoked. */
  created_at: string;
  expires_at: string | null;
  revoked_at: string | null;
}

/** A token as stored: its SHA-256 (hex), never the token itself. */
export interface StoredToken extends TokenRecord {
  hash: string;
}

/**
 * Where API tokens are kept. It stores and finds; what a token grants, whether it is expired and
 * how it is compared are decided by {@link ApiTokens}.
 */
export interface TokenStore {
  /** Adds a token; its `id` is new (a duplicate id is an error). */
  insert(token: StoredToken): Promise<void>;
  /** The token with this id, revoked and expired ones included. */
  find(id: string): Promise<StoredToken | undefined>;
  /** Every token, oldest first, without hashes. */
  list(): Promise<TokenRecord[]>;
  /**
   * Revokes the token with id `reference`, or every not yet revoked token of the principal named
   * `reference`, at `at`; returns what it revoked (empty: nothing matched). Revoking again changes nothing.
   */
  revoke(reference: string, at: string): Promise<TokenRecord[]>;
}

/** The simplest {@link TokenStore}: a map in memory (unit tests, one-process tools). */
export class InMemoryTokenStore implements TokenStore {
  private readonly tokens = new Map<string, StoredToken>();

  async insert(token: StoredToken): Promise<void> {
    if (this.tokens.has(token.id)) throw new Error(`token id ${token.id} already exists`);
    this.tokens.set(token.id, { ...token });
  }

  async find(id: string): Promise<StoredToken | undefined> {
    const token = this.tokens.get(id);
    return token ? { ...token } : undefined;
  }

  async list(): Promise<TokenRecord[]> {
    return [...this.tokens.values()]
      .sort((a, b) => a.created_at.localeCompare(b.created_at) || a.id.localeCompare(b.id))
      .map(({ hash: _hash, ...record }) => record);
  }

  async revoke(reference: string, at: string): Promise<TokenRecord[]> {
    const revoked: TokenRecord[] = [];
    for (const token of [...this.tokens.values()].sort((a, b) => a.created_at.localeCompare(b.created_at) || a.id.localeCompare(b.id))) {
      if (token.revoked_at !== null || (token.id !== reference && token.name !== reference)) continue;
      token.revoked_at = at;
      const { hash: _hash, ...record } = token;
      revoked.push(record);
    }
    return revoked;
  }
}
