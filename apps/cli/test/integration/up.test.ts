import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { describeWithComponent, freePort } from '@atb/testing';
import { afterAll, beforeAll, expect, it } from 'vitest';

/**
 * The README's first command, for real: `atb up` starts the four built services as supervised
 * processes (process runtime), they answer, `atb status` lists them, the gateway restarts the
 * predictor through atb's control API, and Ctrl-C stops every one of them.
 */
const root = resolve(import.meta.dirname, '../../../..');
const atb = join(root, 'apps/cli/bin/atb.js');
const run = promisify(execFile);
const built = ['market-predictor', 'devops-agent', 'coding-agent', 'command-gateway', 'cli'].every((name) =>
  existsSync(join(root, 'apps', name, 'dist/src/main.js')),
);

describeWithComponent('built services', built ? undefined : 'apps/*/dist is missing', 'build them: npx tsc --build', () => {
  let stack: ChildProcess;
  let output = '';
  let dataDirectory: string;
  const environment: Record<string, string> = {};

  beforeAll(async () => {
    dataDirectory = mkdtempSync(join(tmpdir(), 'atb-up-'));
    const [predictor, agent, coder, gateway] = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
    Object.assign(environment, {
      MARKET_PREDICTOR_URL: `http://127.0.0.1:${predictor}`,
      DEVOPS_AGENT_URL: `http://127.0.0.1:${agent}`,
      CODING_AGENT_URL: `http://127.0.0.1:${coder}`,
      AI_COMMAND_GATEWAY_URL: `http://127.0.0.1:${gateway}`,
      ATB_DATA_DIR: dataDirectory,
      LOG_LEVEL: 'warn',
    });
    stack = spawn(process.execPath, [atb, 'up', '--runtime', 'process'], {
      cwd: root,
      env: { ...process.env, ...environment, FORCE_COLOR: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    stack.stdout?.on('data', (chunk) => {
      output += String(chunk);
    });
    stack.stderr?.on('data', (chunk) => {
      output += String(chunk);
    });
    const deadline = Date.now() + 90_000;
    while (!output.includes('Ctrl-C stops everything')) {
      if (stack.exitCode !== null) throw new Error(`atb up exited ${stack.exitCode}:\n${output}`);
      if (Date.now() > deadline) throw new Error(`atb up never reported ready:\n${output}`);
      await new Promise((done) => setTimeout(done, 100));
    }
  }, 120_000);

  afterAll(async () => {
    if (stack && stack.exitCode === null) {
      stack.kill('SIGKILL');
    }
    rmSync(dataDirectory, { recursive: true, force: true });
  });

  it('starts all four services on the configured ports and says which runtime it chose', async () => {
    expect(output).toContain('container runtime: process');
    expect(output).not.toMatch(/DOWN/);
    for (const variable of ['MARKET_PREDICTOR_URL', 'DEVOPS_AGENT_URL', 'CODING_AGENT_URL', 'AI_COMMAND_GATEWAY_URL']) {
      const response = await fetch(`${environment[variable]}/health`);
      expect(response.status, variable).toBe(200);
    }
    const prediction = await fetch(`${environment.MARKET_PREDICTOR_URL}/predict`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ symbol: 'ACME', prices: [10, 10.5, 11, 11.5, 12] }),
    });
    expect(prediction.status).toBe(200);
    expect(((await prediction.json()) as { direction: string }).direction).toBe('up');
  });

  it('atb status lists every service with its health and version', async () => {
    const { stdout } = await run(process.execPath, [atb, 'status', '--json'], { env: { ...process.env, ...environment } });
    const rows = JSON.parse(stdout) as { name: string; health: string; version: string }[];
    expect(rows.map((row) => row.name).sort()).toEqual(['coding-agent', 'command-gateway', 'devops-agent', 'market-predictor']);
    for (const row of rows) {
      // With no LLM configured the coding agent accepts tasks but says it cannot finish them.
      expect(row.health, row.name).toBe(row.name === 'coding-agent' && row.health === 'degraded' ? 'degraded' : 'healthy');
      expect(row.version).toMatch(/^\d+\.\d+\.\d+$/);
    }
  });

  it('the gateway restarts the predictor through the process runtime, and atb says so', async () => {
    const before = (await (await fetch(`${environment.MARKET_PREDICTOR_URL}/status`)).json()) as { started_at: string };
    const { stdout } = await run(process.execPath, [atb, 'gateway', 'exec', 'market-predictor', 'restart the service', '--json'], {
      env: { ...process.env, ...environment },
    }).catch((error: { stdout?: string; stderr?: string }) => {
      throw new Error(`atb gateway exec failed:\n${error.stdout ?? ''}\n${error.stderr ?? ''}`);
    });
    expect(JSON.parse(stdout)).toMatchObject({ overall_status: 'success' });
    let after: { started_at?: string } = {};
    for (let attempt = 0; attempt < 100; attempt += 1) {
      try {
        after = (await (await fetch(`${environment.MARKET_PREDICTOR_URL}/status`)).json()) as { started_at?: string };
        if (after.started_at !== before.started_at) break;
      } catch {
        // restarting
      }
      await new Promise((done) => setTimeout(done, 100));
    }
    expect(after.started_at).not.toBe(before.started_at);
    expect(output).toMatch(/restart/i);
  });

  it("hands the devops agent its own machine tokens, and atb finds the services' tokens with no manual step", async () => {
    const { readFileSync } = await import('node:fs');
    const agentGatewayToken = readFileSync(join(dataDirectory, 'command-gateway', 'devops-agent-token'), 'utf8').trim();
    const posing = await fetch(`${environment.AI_COMMAND_GATEWAY_URL}/execute-docker-command`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${agentGatewayToken}` },
      body: JSON.stringify({ source_id: 'atb-cli', target_resource: { name: 'market-predictor' }, action_request: { intent: 'stop it', context: 'test' } }),
    });
    expect(posing.status).toBe(403);
    const agentCoderToken = readFileSync(join(dataDirectory, 'coding-agent', 'devops-agent-token'), 'utf8').trim();
    expect((await fetch(`${environment.CODING_AGENT_URL}/tasks`, { headers: { authorization: `Bearer ${agentCoderToken}` } })).status).toBe(200);
    expect((await fetch(`${environment.CODING_AGENT_URL}/tasks`)).status).toBe(401);
    const { stdout } = await run(process.execPath, [atb, 'task', 'list', '--json'], { env: { ...process.env, ...environment } });
    expect(JSON.parse(stdout)).toMatchObject({ tasks: [] });
  });

  it('stops every service cleanly on Ctrl-C', async () => {
    stack.kill('SIGINT');
    const [code] = await once(stack, 'exit');
    expect(code).toBe(0);
    expect(output).toContain('all services stopped');
    for (const variable of ['MARKET_PREDICTOR_URL', 'DEVOPS_AGENT_URL', 'CODING_AGENT_URL', 'AI_COMMAND_GATEWAY_URL']) {
      await expect(fetch(`${environment[variable]}/health`), variable).rejects.toThrow();
    }
  }, 60_000);
});
