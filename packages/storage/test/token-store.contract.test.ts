import { ApiTokens, InMemoryTokenStore, type StoredToken, type TokenStore } from '@atb/service-kit';
import { createTestSchema, describeWithComponent, probePostgres } from '@atb/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../src/database.js';
import { KyselyTokenStore } from '../src/kysely-token-store.js';

interface Subject {
  store: TokenStore;
  close(): Promise<void>;
}

function stored(id: string, name: string, overrides: Partial<StoredToken> = {}): StoredToken {
  return {
    id,
    name,
    kind: 'person',
    role: 'operator',
    hash: id.padEnd(64, '0'),
    created_at: `2026-01-01T00:00:0${id.slice(-1)}.000Z`,
    expires_at: null,
    revoked_at: null,
    ...overrides,
  };
}

/** The one contract every token store passes. */
function tokenStoreContract(open: () => Promise<Subject>) {
  let subject: Subject;
  beforeEach(async () => {
    subject = await open();
  });
  afterEach(async () => {
    await subject.close();
  });

  it('finds a token by id with its hash, and lists records without hashes, oldest first', async () => {
    await subject.store.insert(stored('a2', 'bob', { expires_at: '2027-01-01T00:00:00.000Z', kind: 'service', role: 'viewer' }));
    await subject.store.insert(stored('a1', 'alice'));
    expect(await subject.store.find('a1')).toEqual(stored('a1', 'alice'));
    expect(await subject.store.find('zz')).toBeUndefined();
    const listed = await subject.store.list();
    expect(listed.map((token) => token.id)).toEqual(['a1', 'a2']);
    expect(listed[1]).toEqual({ id: 'a2', name: 'bob', kind: 'service', role: 'viewer', created_at: '2026-01-01T00:00:02.000Z', expires_at: '2027-01-01T00:00:00.000Z', revoked_at: null });
    expect(listed[0]).not.toHaveProperty('hash');
  });

  it('refuses a duplicate id', async () => {
    await subject.store.insert(stored('a1', 'alice'));
    await expect(subject.store.insert(stored('a1', 'mallory', { hash: 'f'.repeat(64) }))).rejects.toThrow();
  });

  it('revokes by id, or every live token of a name, once', async () => {
    await subject.store.insert(stored('a1', 'alice'));
    await subject.store.insert(stored('a2', 'alice'));
    await subject.store.insert(stored('a3', 'bob'));
    const at = '2026-02-01T00:00:00.000Z';
    expect((await subject.store.revoke('a1', at)).map((token) => token.id)).toEqual(['a1']);
    expect((await subject.store.revoke('alice', '2026-03-01T00:00:00.000Z')).map((token) => token.id)).toEqual(['a2']);
    expect(await subject.store.revoke('alice', at)).toEqual([]);
    expect((await subject.store.find('a1'))?.revoked_at).toBe(at);
    expect((await subject.store.find('a3'))?.revoked_at).toBeNull();
  });

  it('backs ApiTokens end to end: issue, authenticate, revoke', async () => {
    const tokens = new ApiTokens(subject.store);
    const { token, record } = await tokens.create({ name: 'devops-agent', role: 'operator', kind: 'service' });
    expect(await tokens.authenticate(token)).toMatchObject({ ok: true, principal: { id: record.id, name: 'devops-agent', kind: 'service', role: 'operator' } });
    expect((await subject.store.find(record.id))?.hash).not.toContain(token.slice(22));
    await tokens.revoke('devops-agent');
    expect(await tokens.authenticate(token)).toEqual({ ok: false, refusal: 'revoked' });
  });
}

describe('in memory', () => {
  tokenStoreContract(async () => ({ store: new InMemoryTokenStore(), close: async () => {} }));
});

describeWithComponent('SQLite', undefined, '', () => {
  tokenStoreContract(async () => {
    const database = openDatabase(':memory:');
    return { store: await KyselyTokenStore.open(database), close: () => database.close() };
  });
});

describeWithComponent('PostgreSQL', await probePostgres(), 'start it with: pg_ctlcluster --skip-systemctl-redirect 15 main start', () => {
  tokenStoreContract(async () => {
    const target = await createTestSchema('tokens');
    const database = openDatabase(target.url, { schema: target.schema, poolSize: 2 });
    return {
      store: await KyselyTokenStore.open(database),
      close: async () => {
        await database.close();
        await target.drop();
      },
    };
  });
});
