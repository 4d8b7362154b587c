import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Principal, PrincipalKind, Role } from './principals.js';
import type { TokenRecord, TokenStore } from './token-store.js';

/** A principal's name: letters, digits, `.`, `_`, `-`; 1..64 characters, starting with a letter or digit. */
export const PRINCIPAL_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

const TOKEN_FORMAT = /^atb_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/;

export interface CreateTokenInput {
  name: string;
  role: Role;
  /** Default `person`. */
  kind?: PrincipalKind;
  /** Seconds until it stops working; none: until revoked. */
  expiresInSeconds?: number;
}

/** Why a presented token was refused. */
export type TokenRefusal = 'malformed' | 'unknown' | 'revoked' | 'expired';

export type TokenAuthentication = { ok: true; principal: Principal; token: TokenRecord } | { ok: false; refusal: TokenRefusal };

function sha256(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

/**
 * Per-principal API tokens over a {@link TokenStore}. A token is `atb_<id>_<secret>`: the id (64
 * random bits, hex) finds the stored record, the secret (256 random bits) is what proves it. Only
 * the SHA-256 of the whole token is stored, compared in constant time; the token itself is
 * returned once, by {@link create}.
 *
 * @example
 * const tokens = new ApiTokens(store);
 * const { token } = await tokens.create({ name: 'alice', role: 'operator', expiresInSeconds: 30 * 86400 });
 * (await tokens.authenticate(token)).ok; // true, until revoked or expired
 */
export class ApiTokens {
  constructor(
    readonly store: TokenStore,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** Issues a token; the only time the token itself is seen. */
  async create(input: CreateTokenInput): Promise<{ token: string; record: TokenRecord }> {
    if (!PRINCIPAL_NAME.test(input.name)) {
      throw new RangeError(`name: expected letters, digits, ".", "_" or "-" (1..64 characters), received ${JSON.stringify(input.name)}`);
    }
    if (input.expiresInSeconds !== undefined && !(input.expiresInSeconds > 0)) {
      throw new RangeError(`expiresInSeconds: expected a positive number, received ${input.expiresInSeconds}`);
    }
    const id = randomBytes(8).toString('hex');
    const token = `atb_${id}_${randomBytes(32).toString('base64url')}`;
    const created = this.now();
    const record: TokenRecord = {
      id,
      name: input.name,
      kind: input.kind ?? 'person',
      role: input.role,
      created_at: created.toISOString(),
      expires_at: input.expiresInSeconds === undefined ? null : new Date(created.getTime() + input.expiresInSeconds * 1000).toISOString(),
      revoked_at: null,
    };
    await this.store.insert({ ...record, hash: sha256(token).toString('hex') });
    return { token, record };
  }

  /** The principal a presented token stands for, or why it is refused. */
  async authenticate(presented: string): Promise<TokenAuthentication> {
    const match = TOKEN_FORMAT.exec(presented);
    if (!match) return { ok: false, refusal: 'malformed' };
    const stored = await this.store.find(match[1] as string);
    const expected = Buffer.from(stored?.hash ?? '0'.repeat(64), 'hex');
    const matches = expected.length === 32 && timingSafeEqual(expected, sha256(presented)) && stored !== undefined;
    if (!stored || !matches) return { ok: false, refusal: 'unknown' };
    if (stored.revoked_at !== null) return { ok: false, refusal: 'revoked' };
    if (stored.expires_at !== null && Date.parse(stored.expires_at) <= this.now().getTime()) return { ok: false, refusal: 'expired' };
    const { hash: _hash, ...token } = stored;
    return { ok: true, token, principal: { id: stored.id, name: stored.name, kind: stored.kind, role: stored.role } };
  }

  list(): Promise<TokenRecord[]> {
    return this.store.list();
  }

  /** Revokes a token by id, or every live token of a principal by name. */
  revoke(reference: string): Promise<TokenRecord[]> {
    return this.store.revoke(reference, this.now().toISOString());
  }
}

export interface ProvisionServiceTokenOptions {
  /** The machine principal (`devops-agent`). */
  name: string;
  role: Role;
  /** Where the token is kept for the service that presents it (written 0600). */
  file: string;
}

/**
 * A machine principal's token for development, kept in `file` (0600) where `atb up` hands it to
 * the calling service: the token already in the file while it still authenticates as `name`,
 * else a new one (kind `service`). Never use it in production: issue tokens with `atb token create`.
 */
export async function provisionServiceToken(tokens: ApiTokens, options: ProvisionServiceTokenOptions): Promise<string> {
  try {
    const existing = readFileSync(options.file, 'utf8').trim();
    const authentication = await tokens.authenticate(existing);
    if (authentication.ok && authentication.principal.name === options.name && authentication.principal.role === options.role) {
      return existing;
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const { token } = await tokens.create({ name: options.name, role: options.role, kind: 'service' });
  mkdirSync(dirname(options.file), { recursive: true });
  writeFileSync(options.file, `${token}\n`, { mode: 0o600 });
  chmodSync(options.file, 0o600);
  return token;
}
