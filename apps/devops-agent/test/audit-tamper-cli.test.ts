import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type AuditLog, auditHash, KyselyAuditLog, openDatabase } from '@atb/storage';
import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildCodingAgent } from '../../coding-agent/src/app.js';
import { buildCommandGateway } from '../../command-gateway/src/app.js';
import { readConfig as readGatewayConfig } from '../../command-gateway/src/config.js';
import { FakeRuntime } from '../../command-gateway/test/support/fake-runtime.js';
import { readConfig as readCodingConfig } from '../../coding-agent/src/config.js';
import { buildDevopsAgent } from '../src/app.js';
import { readConfig } from '../src/config.js';
import { GATEWAY_TOKEN } from './support/agent-harness.js';
import { runAtb } from './support/run-atb.js';

const TOKEN = 'tamper-test-api-token-0123456789';

/** One service with a keyed audit chain, started in-process on a data directory, as `atb audit verify` meets it. */
interface AuditedService {
  name: 'devops-agent' | 'coding-agent' | 'command-gateway';
  database: string;
  /** Starts it; `log` is its own audit log; `url` where it listens; `close` stops it (writing the anchored head). */
  start(directory: string): Promise<{ log: AuditLog; listen(): Promise<string>; close(): Promise<void> }>;
  /** The CLI's settings that reach it. */
  cliEnvironment(url: string): Record<string, string>;
}

const SERVICES: AuditedService[] = [
  {
    name: 'devops-agent',
    database: 'devops-agent.sqlite',
    async start(directory) {
      const agent = await buildDevopsAgent(readConfig({ DATA_DIR: directory, API_PORT: '0', LOG_LEVEL: 'silent', AGENT_API_TOKEN: TOKEN, AI_COMMAND_GATEWAY_TOKEN: GATEWAY_TOKEN }), { logger: false });
      return { log: agent.agent.ports.audit.log, listen: () => agent.listen(), close: () => agent.close() };
    },
    cliEnvironment: (url) => ({ DEVOPS_AGENT_URL: url, DEVOPS_AGENT_TOKEN: TOKEN }),
  },
  {
    name: 'coding-agent',
    database: 'coding-agent.sqlite',
    async start(directory) {
      const config = readCodingConfig({ DATA_DIR: directory, API_PORT: '0', LOG_LEVEL: 'silent', CODING_AGENT_API_TOKEN: TOKEN, WORKSPACE_BASE_PATH: join(directory, 'workspaces'), ENABLE_SANDBOXING: 'false' });
      const agent = await buildCodingAgent(config, { logger: false, skipRecovery: true });
      return { log: agent.audit, listen: () => agent.listen(), close: () => agent.close() };
    },
    cliEnvironment: (url) => ({ CODING_AGENT_URL: url, CODING_AGENT_TOKEN: TOKEN }),
  },
  {
    name: 'command-gateway',
    database: 'gateway.db',
    async start(directory) {
      const config = readGatewayConfig({ DATA_DIR: directory, API_PORT: '0', LOG_LEVEL: 'silent', AI_COMMAND_GATEWAY_TOKEN: TOKEN });
      const gateway = await buildCommandGateway(config, { runtime: new FakeRuntime(), logger: false });
      // Its records are written the way a second replica writes them: the same database, key and anchor.
      const database = openDatabase<unknown>(join(directory, 'gateway.db'));
      const key = readFileSync(join(directory, 'audit-hmac-key'), 'utf8').trim();
      const log = await KyselyAuditLog.open(database, { key, anchorFile: join(directory, 'audit-anchor') });
      return {
        log,
        listen: () => gateway.listen(),
        async close() {
          await gateway.close();
          await log.close();
          await database.close();
        },
      };
    },
    cliEnvironment: (url) => ({ AI_COMMAND_GATEWAY_URL: url, AI_COMMAND_GATEWAY_TOKEN: TOKEN }),
  },
];

/**
 * `atb audit verify --service <name>` against a real service over a socket, after someone with
 * write access to its database (but not to its audit key or anchor file) tampered with the log.
 */
describe.each(SERVICES)('atb audit verify reports tampering of the $name audit log', (service) => {
  let directory: string;
  beforeEach(() => {
    directory = mkdtempSync(join(tmpdir(), `${service.name}-tamper-`));
  });
  afterEach(() => {
    rmSync(directory, { recursive: true, force: true });
  });

  /** Starts the service, appends `records` through its own audit log, stops it; answers how many the log then holds. */
  async function runWith(records: number): Promise<number> {
    const running = await service.start(directory);
    for (let amount = 1; amount <= records; amount += 1) await running.log.append({ actor: 'tester', action: 'thing-happened', subject: 'tamper', data: { amount } });
    const count = (await running.log.verify()).count;
    await running.close();
    return count;
  }

  async function verifyWithCli(): Promise<{ output: string; exitCode: number | string | undefined }> {
    const running = await service.start(directory);
    const url = await running.listen();
    const saved = Object.fromEntries(Object.keys(service.cliEnvironment(url)).map((name) => [name, process.env[name]]));
    Object.assign(process.env, service.cliEnvironment(url));
    try {
      const result = await runAtb('audit', 'verify', '--service', service.name);
      return { output: result.stdout + result.stderr, exitCode: result.exitCode };
    } finally {
      for (const [name, value] of Object.entries(saved)) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
      await running.close();
    }
  }

  /** Opens the service's database as an attacker: guards off. */
  async function tamper(change: (database: ReturnType<typeof openDatabase<unknown>>) => Promise<void>): Promise<void> {
    const database = openDatabase<unknown>(join(directory, service.database));
    try {
      await sql`DROP TRIGGER IF EXISTS audit_log_no_update`.execute(database.db);
      await sql`DROP TRIGGER IF EXISTS audit_log_no_delete`.execute(database.db);
      await change(database);
    } finally {
      await database.close();
    }
  }

  it('an intact log verifies as keyed and anchored', async () => {
    const count = await runWith(3);
    const { output, exitCode } = await verifyWithCli();
    expect(output).toMatch(new RegExp(`${service.name}: .*valid.*: ${count} records.*HMAC-keyed.*anchored head ${count}`));
    expect(exitCode ?? 0).toBe(0);
  });

  it('an edited record with every later hash recomputed (without the key) is reported', async () => {
    await runWith(4);
    await tamper(async (database) => {
      const records = await (await KyselyAuditLog.open(database)).list({ limit: 10_000 });
      let previous = records[0]!.prev_hash;
      for (const record of records) {
        const data = record.action === 'thing-happened' && (record.data as { amount?: number }).amount === 2 ? { amount: 1000 } : record.data;
        const hash = auditHash({ ...record, data, prev_hash: previous });
        await sql`UPDATE audit_log SET data = ${JSON.stringify(data)}, prev_hash = ${previous}, hash = ${hash} WHERE seq = ${record.seq}`.execute(database.db);
        previous = hash;
      }
    });
    const { output, exitCode } = await verifyWithCli();
    expect(output).toMatch(new RegExp(`${service.name}: .*BROKEN.* at record \\d+`));
    expect(exitCode).toBe(1);
  });

  it('a cut-off tail is reported', async () => {
    const count = await runWith(5);
    await tamper(async (database) => {
      await sql`DELETE FROM audit_log WHERE seq > ${count - 3}`.execute(database.db);
    });
    const { output, exitCode } = await verifyWithCli();
    expect(output).toMatch(new RegExp(`${service.name}: .*BROKEN.* at record ${count - 2}: tail cut off: the anchor file records ${count} records, the log has ${count - 3}`));
    expect(exitCode).toBe(1);
  });
});
