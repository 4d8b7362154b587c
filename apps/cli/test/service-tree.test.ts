import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import { freePort, waitFor } from '@atb/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { generateStackSecrets } from '../src/commands/secrets.js';
import { REPOSITORY, SERVICES } from './integration/compose-stack.js';

// deploy/image/service-tree.mjs is what the Dockerfile copies into each service's image: the
// service's production dependency closure. These tests run the script as the build does, on this
// checkout's installed node_modules and compiled dist/ (`npx tsc --build` first).

const run = promisify(execFile);
const SCRIPT = join(REPOSITORY, 'deploy/image/service-tree.mjs');
const scratch = mkdtempSync(join(tmpdir(), 'atb-service-tree-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** Packages that exist only to build or test the monorepo: none may reach an image. */
const BUILD_AND_TEST_ONLY = ['vitest', '@vitest/runner', 'vite', 'rolldown', 'esbuild', 'typescript', 'tsx', '@biomejs/biome', '@types/node', 'playwright-core'];

async function closure(service: string): Promise<string[]> {
  const { stdout } = await run(process.execPath, [SCRIPT, `apps/${service}`, '--list'], { cwd: REPOSITORY });
  return stdout.trim().split('\n');
}

/** `node_modules/@scope/name` → `@scope/name`; a workspace stays `apps/…` or `packages/…`. */
const packageName = (directory: string) => directory.split('node_modules/').pop() ?? directory;

function filesUnder(directory: string): string[] {
  return readdirSync(directory, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name));
}

/** The bare module specifiers a compiled file imports (static and dynamic), builtins left out. */
function bareImports(source: string): string[] {
  const specifiers = [...source.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)['"]([^'"]+)['"]/g)].map((match) => match[1] ?? '');
  return specifiers.filter((specifier) => !specifier.startsWith('.') && !specifier.startsWith('/') && !specifier.startsWith('node:'));
}

/** `@scope/name/sub` → `@scope/name`; `name/sub` → `name`. */
const packageOf = (specifier: string) => specifier.split('/').slice(0, specifier.startsWith('@') ? 2 : 1).join('/');

/** The environment each service needs in production, as `atb secrets init` writes it. */
function serviceEnvironment(service: string, dataDirectory: string, port: number): Record<string, string> {
  const secrets = generateStackSecrets();
  // NODE_OPTIONS passes on scripts/test-node-versions.sh's preload (better-sqlite3 built for that Node).
  const inherited: Record<string, string> = process.env.NODE_OPTIONS ? { NODE_OPTIONS: process.env.NODE_OPTIONS } : {};
  const common = { ...inherited, PATH: process.env.PATH ?? '/usr/bin:/bin', ENVIRONMENT: 'production', API_HOST: '127.0.0.1', API_PORT: String(port), DATA_DIR: dataDirectory, LOG_LEVEL: 'warn' };
  const own: Record<string, Record<string, string>> = {
    'market-predictor': {},
    'devops-agent': {
      AGENT_API_TOKEN: secrets.agentToken,
      AUDIT_HMAC_KEY: secrets.agentAuditKey,
      AI_COMMAND_GATEWAY_TOKEN: secrets.gatewayToken,
      CODING_AGENT_TOKEN: secrets.codingToken,
      WEBHOOK_USERNAME: 'alertmanager',
      WEBHOOK_PASSWORD: secrets.webhookPassword,
    },
    'coding-agent': { CODING_AGENT_API_TOKEN: secrets.codingToken, AUDIT_HMAC_KEY: secrets.codingAuditKey, ENABLE_SANDBOXING: 'false' },
    'command-gateway': { AI_COMMAND_GATEWAY_TOKEN: secrets.gatewayToken, AUDIT_HMAC_KEY: secrets.gatewayAuditKey, GATEWAY_RUNTIME: 'process' },
  };
  return { ...common, ...own[service] };
}

describe('a service image’s dependency tree (deploy/image/service-tree.mjs)', () => {
  it.each(SERVICES)('%s: production dependencies only, never a build or test package', async (service) => {
    const names = (await closure(service)).map(packageName);
    expect(names[0]).toBe(`apps/${service}`);
    expect(names).toContain('fastify');
    expect(names).toContain('packages/service-kit');
    for (const excluded of [...BUILD_AND_TEST_ONLY, 'packages/testing', 'apps/cli']) expect(names, service).not.toContain(excluded);
  });

  it('leaves out what a service does not use: the predictor has no AI SDK, database or engine client', async () => {
    const names = (await closure('market-predictor')).map(packageName);
    for (const unused of ['ai', 'packages/llm', 'packages/storage', 'better-sqlite3', 'pg', 'kysely', 'dockerode', '@octokit/rest']) expect(names).not.toContain(unused);
    expect(await closure('coding-agent')).toEqual(expect.arrayContaining(['node_modules/@octokit/rest', 'node_modules/better-sqlite3', 'packages/storage']));
  });

  it.each(SERVICES)('%s: the copied tree holds no sources, maps, declarations or compiled tests, and every import it makes resolves inside it', async (service) => {
    const output = join(scratch, service);
    await run(process.execPath, [SCRIPT, `apps/${service}`, output], { cwd: REPOSITORY });
    const files = filesUnder(output).map((file) => relative(output, file));
    expect(files.filter((file) => /(\.d\.[cm]?ts|\.[cm]?ts|\.map|\.test\.js|\.tsbuildinfo)$/.test(file))).toEqual([]);
    expect(files.filter((file) => /^(apps|packages)\/[^/]+\/(src|test)\//.test(file))).toEqual([]);
    expect(files).toContain(`apps/${service}/dist/src/main.js`);
    const sqlite = files.filter((file) => file.startsWith('node_modules/better-sqlite3/build/'));
    if (sqlite.length > 0) expect(sqlite).toEqual(['node_modules/better-sqlite3/build/Release/better_sqlite3.node']);
    // Every package our compiled code imports is in the tree, so no import fails at run time in the image.
    const ownFiles = filesUnder(output).filter((file) => /^(apps|packages)\//.test(relative(output, file)) && file.endsWith('.js'));
    expect(ownFiles.length).toBeGreaterThan(5);
    const missing = new Set<string>();
    for (const file of ownFiles) {
      for (const specifier of bareImports(readFileSync(file, 'utf8'))) {
        if (!existsSync(join(output, 'node_modules', packageOf(specifier), 'package.json'))) missing.add(`${relative(output, file)} → ${specifier}`);
      }
    }
    expect([...missing]).toEqual([]);
  });

  it('the Dockerfile copies every workspace’s package.json before `npm ci` (a missing one installs a different tree)', () => {
    const dockerfile = readFileSync(join(REPOSITORY, 'Dockerfile'), 'utf8');
    const beforeInstall = dockerfile.slice(0, dockerfile.indexOf('npm ci'));
    const copied = [...beforeInstall.matchAll(/^COPY (\S+\/package\.json) /gm)].map((match) => match[1]).sort();
    const workspaces = ['apps', 'packages']
      .flatMap((folder) => readdirSync(join(REPOSITORY, folder)).map((name) => `${folder}/${name}/package.json`))
      .filter((manifest) => existsSync(join(REPOSITORY, manifest)))
      .sort();
    expect(copied).toEqual(workspaces);
  });

  it.each(SERVICES)('%s starts from its copied tree alone and answers /health', async (service) => {
    const output = join(scratch, service);
    if (!existsSync(output)) await run(process.execPath, [SCRIPT, `apps/${service}`, output], { cwd: REPOSITORY });
    expect(statSync(join(output, 'node_modules')).isDirectory()).toBe(true);
    const port = await freePort();
    const data = mkdtempSync(join(scratch, `${service}-data-`));
    const child = spawn(process.execPath, [`apps/${service}/dist/src/main.js`], { cwd: output, env: serviceEnvironment(service, data, port), stdio: ['ignore', 'pipe', 'pipe'] });
    let logs = '';
    child.stdout.on('data', (chunk: Buffer) => (logs += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (logs += chunk.toString()));
    const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
    try {
      const state = await waitFor(
        async () => {
          if (child.exitCode !== null) return 'exited';
          const response = await fetch(`http://127.0.0.1:${port}/health`, { signal: AbortSignal.timeout(1000) }).catch(() => undefined);
          return response?.ok === true && 'healthy';
        },
        { timeoutMs: 30_000, intervalMs: 100, description: `${service} /health from its copied tree` },
      );
      expect(state, logs).toBe('healthy');
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited, logs).toBe(0);
  });
});
