import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type DrillStage, runDrill } from '@atb/cli';
import { buildMarketPredictor, readConfig as readPredictorConfig } from '@atb/market-predictor';
import type { Service } from '@atb/service-kit';
import { freePort } from '@atb/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildDevopsAgent } from '../../src/app.js';
import { readConfig } from '../../src/config.js';

/**
 * `atb drill`'s narration (runDrill / watchIncidents) against the real agent and the real
 * predictor, in-process: a hang found by health polling opens an incident, the analysis and
 * the pending restart are narrated with the `atb approve <id>` hint (SAFETY_MODE=true), and a
 * rejection over HTTP ends the drill as escalated. No gateway is needed: nothing is approved.
 */
describe('atb drill narration against the real agent and predictor', () => {
  let predictor: Awaited<ReturnType<typeof buildMarketPredictor>>;
  let predictorUrl = '';
  let agent: Service;
  let agentUrl = '';
  let directory = '';

  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), 'atb-drill-narration-'));
    predictor = await buildMarketPredictor(
      readPredictorConfig({ API_HOST: '127.0.0.1', API_PORT: '0', CHAOS_ENABLED: 'true', DATA_DIR: join(directory, 'predictor') }),
      { logger: false },
    );
    predictorUrl = await predictor.listen();
    agent = await buildDevopsAgent(
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
    agentUrl = await agent.listen();
  }, 60_000);

  afterAll(async () => {
    await agent?.close();
    // Closing while hung drops the held connections (the predictor's preClose hook).
    await predictor?.close();
    if (directory) await rm(directory, { recursive: true, force: true });
  });

  it('narrates incident, analysis and the pending action with its approve hint, then the rejection', async () => {
    const lines: string[] = [];
    const stages: DrillStage[] = [];
    let rejected = false;
    // No AGENT_API_TOKEN: the agent generated one into its DATA_DIR, where `atb` reads it too.
    const agentToken = readFileSync(join(directory, 'agent', 'api-token'), 'utf8').trim();
    const authorization = `Bearer ${agentToken}`;
    const started = await fetch(`${agentUrl}/control/start-monitoring`, { method: 'POST', headers: { authorization } });
    expect(started.status).toBe(200);
    const result = await runDrill({
      fault: 'hang',
      predictorUrl,
      agentUrl,
      agentToken,
      timeoutMs: 30_000,
      pollIntervalMs: 100,
      write: (line) => lines.push(line),
      verbose: true,
      onStage: async (stage) => {
        stages.push(stage);
        if (stage.name === 'approval-requested' && !rejected) {
          rejected = true;
          const response = await fetch(`${agentUrl}/actions/${stage.action_id}/reject`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', authorization },
            body: JSON.stringify({ reason: 'not during the narration test' }),
          });
          expect(response.status, await response.text()).toBeLessThan(300);
        }
      },
    });
    const output = lines.join('\n');

    expect(result.outcome, output).toBe('escalated');
    expect(result.safety_mode).toBe(true);
    expect(result.incident_ids).toHaveLength(1);
    const names = result.stages.map((stage) => stage.name);
    expect(names.slice(0, 4), output).toEqual(['fault-injected', 'incident-opened', 'analysis-completed', 'approval-requested']);
    expect(names).toContain('action-rejected');
    expect(names.at(-1)).toBe('incident-escalated');
    expect(names).not.toContain('action-started');
    expect(names).not.toContain('action-approved');
    // Every stage once, in time order, all after the fault.
    expect(new Set(names).size).toBe(names.length);
    const elapsed = result.stages.map((stage) => stage.elapsed_ms);
    expect(elapsed.every((value) => value >= 0)).toBe(true);
    expect(stages.map((stage) => stage.name)).toEqual(names);

    const approval = result.stages.find((stage) => stage.name === 'approval-requested');
    expect(approval?.detail).toContain(`atb approve ${approval?.action_id}`);
    expect(approval?.detail).toMatch(/^restart /);
    expect(output).toContain('SAFETY_MODE on');
    expect(output).toContain('outcome:');
    expect(output).toMatch(/incident-escalated\s+\d+\.\d s/);
    // Verbose narration shows the timeline's own events too.
    expect(output).toContain('· action-rejected');
  }, 60_000);

  it('refuses to run when the agent does not answer, and names the URL', async () => {
    const deadAgent = `http://127.0.0.1:${await freePort()}`;
    await expect(runDrill({ fault: 'crash', predictorUrl, agentUrl: deadAgent, timeoutMs: 1000 })).rejects.toThrow(deadAgent);
  });
});
