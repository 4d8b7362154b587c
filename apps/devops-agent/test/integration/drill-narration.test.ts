import { stripVTControlCharacters } from 'node:util';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type DrillStage, runDrill } from '@atb/cli';
import type { Service } from '@atb/service-kit';
import { freePort } from '@atb/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { buildDevopsAgent } from '../../src/app.js';
import { readConfig } from '../../src/config.js';
import { InProcessPredictor } from '../support/in-process-predictor.js';

/** A drill's narration and report, the pending action rejected over HTTP as soon as it is requested. */
async function narrateRejected(bench: NarrationBench, fault: 'hang' | 'crash') {
  const lines: string[] = [];
  const stages: DrillStage[] = [];
  let rejected = false;
  const authorization = `Bearer ${bench.agentToken}`;
  const started = await fetch(`${bench.agentUrl}/control/start-monitoring`, { method: 'POST', headers: { authorization } });
  expect(started.status).toBe(200);
  const result = await runDrill({
    fault,
    predictorUrl: bench.predictorUrl,
    agentUrl: bench.agentUrl,
    agentToken: bench.agentToken,
    timeoutMs: 30_000,
    pollIntervalMs: 100,
    write: (line) => lines.push(line),
    verbose: true,
    onStage: async (stage) => {
      stages.push(stage);
      if (stage.name === 'approval-requested' && !rejected) {
        rejected = true;
        const response = await fetch(`${bench.agentUrl}/actions/${stage.action_id}/reject`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization },
          body: JSON.stringify({ reason: 'not during the narration test' }),
        });
        expect(response.status, await response.text()).toBeLessThan(300);
      }
    },
  });
  return { result, stages, output: lines.join('\n') };
}

interface NarrationBench {
  predictorUrl: string;
  agentUrl: string;
  agentToken: string;
  close(): Promise<void>;
}

/**
 * The real predictor (in this process, its crash closing it instead of exiting) and the real
 * agent polling its health with SAFETY_MODE=true. No gateway is needed: nothing is approved.
 */
async function startNarrationBench(): Promise<NarrationBench> {
  const directory = await mkdtemp(join(tmpdir(), 'atb-drill-narration-'));
  const predictor = new InProcessPredictor();
  const predictorUrl = await predictor.start();
  const agent: Service = await buildDevopsAgent(
    readConfig({
      API_HOST: '127.0.0.1',
      API_PORT: '0',
      DATA_DIR: join(directory, 'agent'),
      MARKET_PREDICTOR_URL: predictorUrl,
      MONITORING_INTERVAL: '0.2',
      // Generous, so that a loaded machine never looks like an outage before the fault.
      HEALTH_CHECK_TIMEOUT: '1',
      SLOW_RESPONSE_THRESHOLD_MS: '10000',
      SAFETY_MODE: 'true',
      // Nothing listens there: no action may reach a gateway in this test.
      AI_COMMAND_GATEWAY_URL: `http://127.0.0.1:${await freePort()}`,
      AI_COMMAND_GATEWAY_TOKEN: 'unused-token-unused-token',
      // Reads need the token too: the drill must send it.
      AGENT_API_READ_AUTH: 'true',
    }),
    { logger: false },
  );
  const agentUrl = await agent.listen();
  // No AGENT_API_TOKEN: the agent generated one into its DATA_DIR, where `atb` reads it too.
  const agentToken = readFileSync(join(directory, 'agent', 'api-token'), 'utf8').trim();
  return {
    predictorUrl,
    agentUrl,
    agentToken,
    async close() {
      await agent.close();
      // Stopping while hung drops the held connections.
      await predictor.stop();
      await rm(directory, { recursive: true, force: true });
    },
  };
}

/**
 * `atb drill`'s narration (runDrill / watchIncidents) against the real agent and the real
 * predictor, in-process: the fault found by health polling opens an incident, the analysis
 * names it from its evidence (a hang is `service_hung`, a crash `service_down`), the pending
 * restart is narrated with the `atb approve <id>` hint, and a rejection over HTTP ends the
 * drill as escalated.
 */
describe('atb drill narration against the real agent and predictor', () => {
  let bench: NarrationBench | undefined;

  afterEach(async () => {
    await bench?.close();
    bench = undefined;
  });

  it('narrates a hang as service_hung, the pending restart with its approve hint, then the rejection', async () => {
    bench = await startNarrationBench();
    const { result, stages, output } = await narrateRejected(bench, 'hang');

    expect(result.outcome, output).toBe('escalated');
    expect(result.safety_mode).toBe(true);
    expect(result.incident_ids).toHaveLength(1);
    const names = result.stages.map((stage) => stage.name);
    expect(names.slice(0, 4), output).toEqual(['fault-injected', 'incident-opened', 'analysis-completed', 'approval-requested']);
    expect(names).toContain('action-rejected');
    expect(names.at(-1)).toBe('incident-escalated');
    expect(names).not.toContain('action-started');
    expect(names).not.toContain('action-approved');
    // Still hung: the service never answers again, and the recovery summary says so.
    expect(names).not.toContain('service-answering');
    expect(stripVTControlCharacters(output)).toMatch(/recovery time \(since the fault\):\n\s+detected\s+\d+\.\d s\n\s+analysed\s+\d+\.\d s\n\s+action executed\s+—/);
    // Every stage once, in time order, all after the fault.
    expect(new Set(names).size).toBe(names.length);
    const elapsed = result.stages.map((stage) => stage.elapsed_ms);
    expect(elapsed.every((value) => value >= 0)).toBe(true);
    expect(stages.map((stage) => stage.name)).toEqual(names);

    // Named a hang from its evidence (connected, no answer within the timeout), not a crash.
    const analysis = result.stages.find((stage) => stage.name === 'analysis-completed');
    expect(analysis?.data, output).toMatchObject({ analysis: { issue_type: 'service_hung' } });
    expect(analysis?.detail).toMatch(/^service_hung: confidence \d\.\d\d \(rules\) — The process is alive but stopped answering/);
    expect(analysis?.detail).toContain('health timeout');
    expect(output).not.toMatch(/service_down|crashed or exited/);

    const approval = result.stages.find((stage) => stage.name === 'approval-requested');
    expect(approval?.detail).toContain(`atb approve ${approval?.action_id}`);
    expect(approval?.detail).toMatch(/^restart /);
    expect(output).toContain('SAFETY_MODE on');
    expect(output).toContain('outcome:');
    expect(output).toMatch(/incident-escalated\s+\d+\.\d s/);
    // Verbose narration shows the timeline's own events too.
    expect(output).toContain('· action-rejected');
  }, 60_000);

  it('narrates a crash as service_down with a pending restart, then the rejection', async () => {
    bench = await startNarrationBench();
    const { result, output } = await narrateRejected(bench, 'crash');

    expect(result.outcome, output).toBe('escalated');
    expect(result.incident_ids).toHaveLength(1);
    const names = result.stages.map((stage) => stage.name);
    expect(names.slice(0, 4), output).toEqual(['fault-injected', 'incident-opened', 'analysis-completed', 'approval-requested']);
    expect(names.at(-1)).toBe('incident-escalated');
    // Named a crash from its evidence (the connection is refused), not a hang.
    const analysis = result.stages.find((stage) => stage.name === 'analysis-completed');
    expect(analysis?.data, output).toMatchObject({ analysis: { issue_type: 'service_down' } });
    expect(analysis?.detail).toMatch(/^service_down: confidence \d\.\d\d \(rules\) — The service stopped answering because its process exited/);
    expect(analysis?.detail).toContain('health refused');
    expect(output).not.toMatch(/service_hung|stopped answering requests \(a hang/);
    expect(result.stages.find((stage) => stage.name === 'approval-requested')?.detail).toMatch(/^restart market-predictor waits for approval/);
  }, 60_000);

  it('refuses to run when the agent does not answer, and names the URL', async () => {
    const deadAgent = `http://127.0.0.1:${await freePort()}`;
    const predictorUrl = `http://127.0.0.1:${await freePort()}`;
    await expect(runDrill({ fault: 'crash', predictorUrl, agentUrl: deadAgent, timeoutMs: 1000 })).rejects.toThrow(deadAgent);
  });
});
