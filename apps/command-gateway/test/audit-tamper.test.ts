import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { auditHash, KyselyAuditLog, openDatabase } from '@atb/storage';
import { Command } from 'commander';
import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { registerAudit } from '../../cli/src/commands/audit.js';
import { readCliConfig } from '../../cli/src/config.js';
import { buildCommandGateway } from '../src/app.js';
import { readConfig } from '../src/config.js';
import { FakeRuntime } from './support/fake-runtime.js';

/**
 * `atb audit verify` against a real gateway over a socket, after someone with write access to
 * the gateway's database (but not to its audit key) tampered with the audit log.
 */
describe('atb audit verify reports tampering of the gateway audit log', () => {
  let directory: string;
  beforeEach(() => {
    directory = mkdtempSync(join(tmpdir(), 'gateway-audit-'));
  });
  afterEach(() => {
    rmSync(directory, { recursive: true, force: true });
  });

  const databaseFile = () => join(directory, 'gateway.db');

  /** Starts the gateway, lets `write` append records through the audit log on its database, stops it. */
  async function runGatewayWith(records: number): Promise<void> {
    const config = readConfig({ DATA_DIR: directory, LOG_LEVEL: 'silent' });
    const service = await buildCommandGateway(config, { runtime: new FakeRuntime(), logger: false });
    await service.close();
    // The same key and anchor the gateway uses, as another replica would.
    const database = openDatabase<unknown>(databaseFile());
    const key = readFileSync(join(directory, 'audit-hmac-key'), 'utf8').trim();
    const log = await KyselyAuditLog.open(database, { key, anchorFile: join(directory, 'audit-anchor') });
    for (let amount = 1; amount <= records; amount += 1) await log.append({ actor: 'tester', action: 'thing-happened', data: { amount } });
    await log.close();
    await database.close();
  }

  /** Runs `atb audit verify --service command-gateway` against a freshly started gateway; returns its output and exit code. */
  async function verifyWithCli(): Promise<{ output: string; exitCode: number | string | undefined }> {
    const config = readConfig({ DATA_DIR: directory, LOG_LEVEL: 'silent', API_PORT: '0' });
    const service = await buildCommandGateway(config, { runtime: new FakeRuntime(), logger: false });
    const url = await service.listen();
    const token = readFileSync(join(directory, 'api-token'), 'utf8').trim();
    const cliConfig = readCliConfig({ AI_COMMAND_GATEWAY_URL: url, AI_COMMAND_GATEWAY_TOKEN: token });
    const program = new Command('atb').exitOverride();
    registerAudit(program, () => cliConfig);
    const written: string[] = [];
    const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
      written.push(String(chunk));
      return true;
    });
    const previousExitCode = process.exitCode;
    process.exitCode = undefined;
    try {
      await program.parseAsync(['node', 'atb', 'audit', 'verify', '--service', 'command-gateway']);
      return { output: written.join(''), exitCode: process.exitCode };
    } finally {
      write.mockRestore();
      process.exitCode = previousExitCode;
      await service.close();
    }
  }

  /** Opens the gateway's database as an attacker: guards off. */
  async function tamper(change: (database: ReturnType<typeof openDatabase<unknown>>) => Promise<void>) {
    const database = openDatabase<unknown>(databaseFile());
    try {
      await sql`DROP TRIGGER IF EXISTS audit_log_no_update`.execute(database.db);
      await sql`DROP TRIGGER IF EXISTS audit_log_no_delete`.execute(database.db);
      await change(database);
    } finally {
      await database.close();
    }
  }

  it('an intact log verifies as keyed and anchored', async () => {
    await runGatewayWith(3);
    const { output, exitCode } = await verifyWithCli();
    expect(output).toMatch(/command-gateway: .*valid.*: 3 records.*HMAC-keyed.*anchored head 3/);
    expect(exitCode).toBeUndefined();
  });

  it('an edited record with all hashes recomputed (unkeyed) is reported', async () => {
    await runGatewayWith(4);
    await tamper(async (database) => {
      const log = await KyselyAuditLog.open(database);
      const records = await log.list();
      let previous = records[0]!.prev_hash;
      for (const record of records) {
        const data = record.seq === 2 ? { amount: 1000 } : record.data;
        const hash = auditHash({ ...record, data, prev_hash: previous });
        await sql`UPDATE audit_log SET data = ${JSON.stringify(data)}, prev_hash = ${previous}, hash = ${hash} WHERE seq = ${record.seq}`.execute(database.db);
        previous = hash;
      }
    });
    const { output, exitCode } = await verifyWithCli();
    expect(output).toMatch(/command-gateway: .*BROKEN.* at record \d+: .*anchor/);
    expect(exitCode).toBe(1);
  });

  it('a cut-off tail is reported', async () => {
    await runGatewayWith(5);
    await tamper(async (database) => {
      await sql`DELETE FROM audit_log WHERE seq > 2`.execute(database.db);
    });
    const { output, exitCode } = await verifyWithCli();
    expect(output).toMatch(/command-gateway: .*BROKEN.* at record 3: tail cut off: the anchor file records 5 records, the log has 2/);
    expect(exitCode).toBe(1);
  });
});
