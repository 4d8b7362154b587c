import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { generateStackSecrets, SECRET_FILES, writeStackSecrets } from '../src/commands/secrets.js';

const roots: string[] = [];
const fresh = () => {
  const root = mkdtempSync(join(tmpdir(), 'atb-secrets-'));
  roots.push(root);
  return join(root, 'secrets');
};
afterEach(() => {
  for (const root of roots.splice(0)) rmSync(root, { recursive: true, force: true });
});

const envFile = (path: string) => Object.fromEntries(readFileSync(path, 'utf8').trim().split('\n').map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]));

describe('atb secrets init (writeStackSecrets)', () => {
  it('writes every file compose.yaml and compose.scaled.yaml read from the secrets directory', () => {
    const directory = fresh();
    writeStackSecrets(directory, generateStackSecrets());
    for (const file of ['compose.yaml', 'compose.scaled.yaml']) {
      const text = readFileSync(join(import.meta.dirname, '../../../deploy/compose', file), 'utf8');
      // Every path under ATB_SECRETS_DIR: the services' env_file entries and the compose secrets.
      const names = [...text.matchAll(/ATB_SECRETS_DIR:-\.\/secrets\}\/([\w.-]+)/g)].map((match) => match[1]!);
      expect(names.length).toBeGreaterThan(0);
      for (const name of names) expect(statSync(join(directory, name)).isFile(), `${file} reads ${name}`).toBe(true);
    }
  });

  it("gives the replicas a DATABASE_URL carrying PostgreSQL's own password, the env file private and the secret readable", () => {
    const directory = fresh();
    const secrets = generateStackSecrets();
    writeStackSecrets(directory, secrets);
    const password = readFileSync(join(directory, SECRET_FILES.postgresPassword), 'utf8');
    expect(password).toBe(secrets.postgresPassword);
    expect(password).not.toBe(secrets.webhookPassword);
    const url = new URL(envFile(join(directory, SECRET_FILES.postgres))['DATABASE_URL']!);
    expect({ protocol: url.protocol, user: url.username, password: decodeURIComponent(url.password), host: url.host, database: url.pathname }).toEqual({
      protocol: 'postgres:',
      user: 'atb',
      password,
      host: 'postgres:5432',
      database: '/atb',
    });
    expect(statSync(join(directory, SECRET_FILES.postgres)).mode & 0o777).toBe(0o600);
    expect(statSync(join(directory, SECRET_FILES.postgresPassword)).mode & 0o777).toBe(0o644);
    expect(statSync(directory).mode & 0o777).toBe(0o700);
  });

  it('refuses to replace existing secrets unless forced', () => {
    const directory = fresh();
    writeStackSecrets(directory, generateStackSecrets());
    const before = readFileSync(join(directory, SECRET_FILES.postgres), 'utf8');
    expect(() => writeStackSecrets(directory, generateStackSecrets())).toThrow(/postgres\.env.*--force/);
    expect(readFileSync(join(directory, SECRET_FILES.postgres), 'utf8')).toBe(before);
    writeStackSecrets(directory, generateStackSecrets(), { force: true });
    expect(readFileSync(join(directory, SECRET_FILES.postgres), 'utf8')).not.toBe(before);
  });
});
