import { InMemorySessionStore, type SessionStore, Sessions, type StoredSession } from '@atb/service-kit';
import { createTestSchema, describeWithComponent, probePostgres } from '@atb/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../src/database.js';
import { KyselySessionStore } from '../src/kysely-session-store.js';

interface Subject {
  store: SessionStore;
  close(): Promise<void>;
}

const alice = { id: 'a1b2c3d4e5f60718', name: 'alice', kind: 'person', role: 'operator' } as const;

function stored(idHash: string, expiresAt: string): StoredSession {
  return { id_hash: idHash, principal: alice, origin: 'token', csrf_token: `csrf-${idHash}`, created_at: '2026-01-01T00:00:00.000Z', expires_at: expiresAt };
}

/** The one contract every session store passes. */
function sessionStoreContract(open: () => Promise<Subject>) {
  let subject: Subject;
  beforeEach(async () => {
    subject = await open();
  });
  afterEach(async () => {
    await subject.close();
  });

  it('finds a session by its id hash with its principal and CSRF token; deletes it', async () => {
    await subject.store.insert(stored('h1', '2030-01-01T00:00:00.000Z'));
    expect(await subject.store.find('h1')).toEqual(stored('h1', '2030-01-01T00:00:00.000Z'));
    expect(await subject.store.find('h2')).toBeUndefined();
    await subject.store.delete('h1');
    expect(await subject.store.find('h1')).toBeUndefined();
  });

  it('refuses a duplicate id hash and deletes only expired sessions', async () => {
    await subject.store.insert(stored('old', '2026-01-01T00:00:00.000Z'));
    await subject.store.insert(stored('new', '2030-01-01T00:00:00.000Z'));
    await expect(subject.store.insert(stored('new', '2031-01-01T00:00:00.000Z'))).rejects.toThrow();
    expect(await subject.store.deleteExpired('2027-01-01T00:00:00.000Z')).toBe(1);
    expect(await subject.store.find('old')).toBeUndefined();
    expect(await subject.store.find('new')).toBeDefined();
  });

  it('through Sessions: only the hash of the id is stored; a session ends at its expiry and at sign-out', async () => {
    let now = new Date('2026-06-01T00:00:00.000Z');
    const sessions = new Sessions(subject.store, { ttlSeconds: 60, now: () => now });
    const { id, session } = await sessions.create(alice, 'token');
    expect(id).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(await subject.store.find(id)).toBeUndefined();
    expect((await sessions.resolve(id))?.principal).toEqual(alice);
    expect(session.expires_at).toBe('2026-06-01T00:01:00.000Z');
    now = new Date('2026-06-01T00:01:00.000Z');
    expect(await sessions.resolve(id)).toBeUndefined();
    now = new Date('2026-06-01T00:00:30.000Z');
    expect(await sessions.resolve(id)).toBeUndefined(); // an expired session was deleted when presented
    const second = await sessions.create(alice, 'proxy');
    await sessions.destroy(second.id);
    expect(await sessions.resolve(second.id)).toBeUndefined();
  });
}

describe('in memory', () => {
  sessionStoreContract(async () => ({ store: new InMemorySessionStore(), close: async () => {} }));
});

describeWithComponent('SQLite', undefined, '', () => {
  sessionStoreContract(async () => {
    const database = openDatabase(':memory:');
    return { store: await KyselySessionStore.open(database), close: () => database.close() };
  });
});

describeWithComponent('PostgreSQL', await probePostgres(), 'start it with: pg_ctlcluster --skip-systemctl-redirect 15 main start', () => {
  sessionStoreContract(async () => {
    const target = await createTestSchema('sessions');
    const database = openDatabase(target.url, { schema: target.schema, poolSize: 2 });
    return {
      store: await KyselySessionStore.open(database),
      close: async () => {
        await database.close();
        await target.drop();
      },
    };
  });
});
