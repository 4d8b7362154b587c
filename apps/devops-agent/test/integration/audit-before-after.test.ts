import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BuildOptions, buildCommandGateway, readConfig as readGatewayConfig } from '@atb/command-gateway';
import type { Service } from '@atb/service-kit';
import { type Database, openDatabase } from '@atb/storage';
import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { AUTHORIZED, alert, eventually, notification, startAgent } from '../support/agent-harness.js';
import { refuseAuditRecords } from '../support/audit-fault.js';

type ContainerRuntime = NonNullable<BuildOptions['runtime']>;

/** A container engine with one container, `svc`, that records every operation the gateway runs on it. */
class RecordingRuntime implements ContainerRuntime {
  readonly kind = 'recording';
  readonly calls: string[] = [];
  private details() {
    return { id: 'c0ffee', name: 'svc', image: 'atb/svc', state: 'running', status: 'Up', labels: {}, started_at: new Date().toISOString(), restart_count: 0 };
  }
  async list() {
    this.calls.push('list');
    return [this.details()];
  }
  async inspect() {
    this.calls.push('inspect');
    return this.details();
  }
  async restart() {
    this.calls.push('restart');
  }
  async start() {
    this.calls.push('start');
  }
  async stop() {
    this.calls.push('stop');
  }
  async logs() {
    return ['ready'];
  }
  /** This engine's one container never changes on its own: no lifecycle events. */
  subscribe() {
    return { close: async () => {} };
  }
  async stats() {
    return { cpu_percent: 1, memory_bytes: 1, memory_limit_bytes: 2 };
  }
  async ping() {
    return true;
  }
}

/**
 * The action's audit records are written before the gateway call and with its outcome, so that
 * neither can be lost: the agent's own database refuses the `action-finished` record (a real
 * trigger) right after the real gateway executed the restart.
 */
describe('audit before and after an action', () => {
  let gateway: Service | undefined;
  let agent: Awaited<ReturnType<typeof startAgent>> | undefined;
  let second: Database<unknown> | undefined;
  let gatewayDirectory = '';

  afterEach(async () => {
    await second?.close();
    await agent?.close();
    await gateway?.close();
    rmSync(gatewayDirectory, { recursive: true, force: true });
  });

  it('an action whose outcome record cannot be written stays running; the retry completes it with one execution', async () => {
    const runtime = new RecordingRuntime();
    gatewayDirectory = mkdtempSync(join(tmpdir(), 'agent-audit-gateway-'));
    const token = 'audit-gateway-token-0123456789';
    gateway = await buildCommandGateway(
      { ...readGatewayConfig({ DATA_DIR: gatewayDirectory, AI_COMMAND_GATEWAY_TOKEN: token, GATEWAY_ALLOWED_TARGETS: 'svc', LOG_LEVEL: 'silent' }), API_PORT: 0 },
      { logger: false, runtime },
    );
    agent = await startAgent({ AI_COMMAND_GATEWAY_URL: await gateway.listen(), AI_COMMAND_GATEWAY_TOKEN: token });
    // A second connection to the agent's own SQLite file, as an operator's would be.
    second = openDatabase<unknown>(join(agent.directory, 'devops-agent.sqlite'));
    const lift = await refuseAuditRecords(second, 'action-finished');
    const app = agent.agent.app;
    await app.inject({ method: 'POST', url: '/webhook/alerts', payload: notification([alert({ alertname: 'ServiceDown', service: 'svc', container: 'svc', severity: 'critical' })]) });
    const pending = await eventually(async () => (await app.inject({ url: '/actions?status=pending' })).json().actions[0] as { id: string; incident_id: string } | undefined, 10_000, 'a pending action');
    expect((await app.inject({ method: 'POST', headers: AUTHORIZED, url: `/actions/${pending.id}/approve`, payload: {} })).statusCode).toBe(200);

    // The gateway ran the restart, the outcome's commit failed with its audit record.
    const jobs = () => sql<{ attempts: number; last_error: string | null; status: string }>`SELECT attempts, last_error, status FROM jobs WHERE type = 'execute-action'`.execute(second!.db);
    await eventually(async () => (await jobs()).rows.some((job) => Number(job.attempts) >= 1 && /audit write refused/.test(job.last_error ?? '')), 10_000, 'a refused outcome commit');
    expect(runtime.calls.filter((call) => call === 'restart')).toHaveLength(1);
    const audited = async (action: string) => (await agent!.agent.agent.audit.log.list({ action, limit: 1000 })).filter((record) => record.data.action_id === pending.id);
    expect(await audited('action-started')).toHaveLength(1);
    expect(await audited('action-finished')).toHaveLength(0);
    const stuck = await agent.agent.agent.store.actions.get(pending.id);
    expect(stuck).toMatchObject({ status: 'running', finished_at: null, gateway_response: null });
    expect((await agent.agent.agent.store.incidents.events(pending.incident_id)).map((event) => event.type)).not.toContain('action-finished');

    // The database accepts audit records again: the retry resumes the action with the same key.
    await lift();
    const finished = await eventually(async () => {
      const action = await agent!.agent.agent.store.actions.get(pending.id);
      return action?.status === 'succeeded' ? action : undefined;
    }, 15_000, 'the action finished');
    expect(finished.gateway_response).toMatchObject({ overall_status: 'success' });
    expect(await audited('action-finished')).toEqual([expect.objectContaining({ data: expect.objectContaining({ outcome: 'succeeded' }) })]);
    expect(await audited('action-resumed')).not.toHaveLength(0);
    expect(await audited('action-started')).toHaveLength(1);
    expect(runtime.calls.filter((call) => call === 'restart')).toHaveLength(1);
    expect((await app.inject({ url: '/audit/verify' })).json().valid).toBe(true);
  });
});
