import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  describeWithComponent,
  type PodmanEngine,
  probeAlertmanager,
  probePodman,
  type RunningAlertmanager,
  startAlertmanager,
  startPodman,
  waitFor,
} from '@atb/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  alertmanagerConfigForTest,
  buildPredictor,
  E2E_AGENT_TOKEN,
  http,
  type PredictorContainer,
  type RunningGateway,
  type RunningService,
  startAgent,
  startGateway,
  startPredictorContainer,
  waitForHealthy,
} from './e2e-stack.js';

interface IncidentSummary {
  id: string;
  state: string;
  opened_at: string;
}
interface IncidentAlert {
  fingerprint: string;
  status: string;
  starts_at: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

const WEBHOOK_TOKEN = 'container-events-webhook-token-0123';
const pause = (milliseconds: number) => new Promise((resolve) => setTimeout(resolve, milliseconds));

/**
 * Event-driven detection on real parts: the predictor in a Podman container, the command
 * gateway following Podman's Docker API events, the agent following the gateway's `GET /events`,
 * and a real Alertmanager routing to the agent's webhook. Safety mode is on, so the agent never
 * acts: every container change below is made by hand or through the gateway.
 */
const available = (await probePodman()) ?? (await probeAlertmanager());
describeWithComponent('Podman and Alertmanager', available, 'install them: scripts/install-system-deps.sh', () => {
  describe('the agent on the gateway event stream', () => {
    const directory = mkdtempSync(join(tmpdir(), 'atb-agent-events-'));
    let engine: PodmanEngine;
    let predictor: PredictorContainer;
    let gateway: RunningGateway;
    let agent: RunningService;
    let alertmanager: RunningAlertmanager;

    beforeAll(async () => {
      await buildPredictor();
      engine = await startPodman({ directory, idleTimeoutSeconds: 300 });
      predictor = await startPredictorContainer(engine);
      gateway = await startGateway(engine, predictor.name);
      agent = await startAgent({
        AI_COMMAND_GATEWAY_URL: gateway.url,
        AI_COMMAND_GATEWAY_TOKEN: gateway.token,
        MARKET_PREDICTOR_URL: predictor.url,
        MONITORED_SERVICE: predictor.name,
        WEBHOOK_BEARER_TOKEN: WEBHOOK_TOKEN,
        SAFETY_MODE: 'true',
        GATEWAY_EVENTS: 'true',
        HEALTH_CHECK_TIMEOUT: '1',
        HEALTH_RECHECK_DELAY: '0.1',
        INCIDENT_REOPEN_WINDOW: '0',
      });
      alertmanager = await startAlertmanager({ configYaml: await alertmanagerConfigForTest(agent.url, WEBHOOK_TOKEN) });
      await waitFor(async () => (await status()).connected === true, { timeoutMs: 20_000, description: 'the agent to follow the gateway events' });
    }, 180_000);

    afterAll(async () => {
      await alertmanager?.close();
      await agent?.close();
      await gateway?.close();
      await predictor?.remove();
      await engine?.close();
      rmSync(directory, { recursive: true, force: true });
    });

    const status = async () => (await http<{ container_events: Record<string, unknown> }>(`${agent.url}/status`)).body.container_events;
    const incidents = async () => (await http<{ incidents: IncidentSummary[] }>(`${agent.url}/incidents?limit=100`)).body.incidents;
    const alertsOf = async (id: string) => (await http<{ alerts: IncidentAlert[] }>(`${agent.url}/incidents/${id}`)).body.alerts;
    const killByHand = async () => {
      const details = await engine.docker.getContainer(predictor.name).inspect();
      process.kill(details.State.Pid, 'SIGKILL');
    };
    const startByHand = async () => {
      await engine.docker.getContainer(predictor.name).start();
      await waitForHealthy(predictor.url, 30_000);
    };
    const until = <T>(check: () => Promise<T | undefined | false>, description: string, timeoutMs = 30_000) => {
      let value: T | undefined;
      return waitFor(
        async () => {
          value = (await check()) || undefined;
          return value !== undefined;
        },
        { timeoutMs, intervalMs: 100, description },
      ).then(() => value as T);
    };

    it('a restart the gateway performs opens no incident', async () => {
      const before = (await status()).gateway_initiated as number;
      const answer = await http<{ overall_status: string }>(`${gateway.url}/execute-docker-command`, {
        method: 'POST',
        token: gateway.token,
        body: { source_id: 'devops-agent', target_resource: { name: predictor.name }, action_request: { intent: 'restart the service', context: {}, priority: 'HIGH' } },
      });
      expect(answer.body.overall_status).toBe('success');
      // The restart's died and restarted events reached the agent, marked as the gateway's.
      await until(async () => ((await status()).gateway_initiated as number) >= before + 2, 'the restart events at the agent');
      expect((await status()).raised).toBe(0);
      await waitForHealthy(predictor.url, 30_000);
      await pause(1000);
      expect(await incidents()).toEqual([]);
    }, 60_000);

    it('a death while the engine is down reaches the agent exactly once after the gateway reconnects', async () => {
      const events = (await status()).events as number;
      const pid = (await engine.docker.getContainer(predictor.name).inspect()).State.Pid;
      await engine.close();
      process.kill(pid, 'SIGKILL');
      await pause(1000);
      engine = await startPodman({ directory, idleTimeoutSeconds: 300 });
      const [incident] = await until(async () => {
        const found = await incidents();
        return found.length > 0 ? found : undefined;
      }, 'an incident from the death');
      await pause(2000);
      expect(await incidents()).toHaveLength(1);
      const alerts = await alertsOf(incident!.id);
      expect(alerts).toEqual([expect.objectContaining({ status: 'firing', labels: expect.objectContaining({ alertname: 'ContainerDown', source: 'container-events' }) })]);
      expect(JSON.parse(alerts[0]!.annotations.event!)).toMatchObject({ type: 'container-died', exit_code: 137 });
      const after = await status();
      expect(after.events as number).toBeGreaterThan(events);
      expect(after.duplicates).toBe(0);
      // Started again by hand: once it answers, the death's alert resolves and so does the incident.
      await startByHand();
      await until(async () => (await incidents()).find((found) => found.id === incident!.id && found.state === 'resolved'), 'the incident to resolve');
    }, 90_000);

    it('a death, the polling alert and the Alertmanager alert for it are one incident', async () => {
      const before = new Set((await incidents()).map((incident) => incident.id));
      await killByHand();
      const opened = await until(async () => (await incidents()).find((incident) => !before.has(incident.id)), 'the incident the event opens');
      const cycle = await http<{ alerts_fired: string[] }>(`${agent.url}/monitoring/cycle`, { method: 'POST', token: E2E_AGENT_TOKEN });
      expect(cycle.body.alerts_fired).toEqual(['TargetDown']);
      await alertmanager.postAlerts([
        {
          labels: { alertname: 'MarketPredictorDown', service: predictor.name, container: predictor.name, severity: 'critical', category: 'availability' },
          annotations: { summary: `${predictor.name} is down` },
        },
      ]);
      const alerts = await until(async () => {
        const found = await alertsOf(opened.id);
        return found.length >= 3 ? found : undefined;
      }, 'the polling and Alertmanager alerts to join the incident');
      await pause(1500);
      expect((await incidents()).filter((incident) => !before.has(incident.id))).toHaveLength(1);
      expect(alerts.map((alert) => alert.labels.alertname).sort()).toEqual(['ContainerDown', 'MarketPredictorDown', 'TargetDown']);
      const detail = (await http<{ timeline: { type: string; data?: Record<string, unknown> }[] }>(`${agent.url}/incidents/${opened.id}`)).body;
      const analysis = detail.timeline.find((event) => event.type === 'analysis-completed');
      // The analysis used the event as evidence (no probe of its own).
      expect(analysis?.data?.health).toMatchObject({ reachable: false });
      await startByHand();
    }, 60_000);
  });
});
