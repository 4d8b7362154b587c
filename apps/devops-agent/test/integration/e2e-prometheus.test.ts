import { randomBytes } from 'node:crypto';
import {
  describeWithComponent,
  freePort,
  type PodmanEngine,
  probeAlertmanager,
  probePodman,
  probePrometheus,
  startPodman,
  waitFor,
} from '@atb/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runRecovery } from './e2e-recovery.js';
import {
  buildPredictor,
  http,
  type MonitoringStack,
  type PredictorContainer,
  type RunningGateway,
  type RunningService,
  startAgent,
  startGateway,
  startMonitoringStack,
  startPredictorContainer,
} from './e2e-stack.js';

/**
 * The whole loop on real parts: the predictor in a Podman container,
 * Debian's Prometheus scraping it with the shipped rules, Debian's Alertmanager routing to
 * the agent with the shipped configuration, the command gateway on Podman's Docker API. A
 * crash and a hang, injected through the chaos routes, each go alert → incident → restart
 * through the gateway → alert resolved → incident resolved and verified effective → both
 * audit chains valid; once with SAFETY_MODE=false, once with SAFETY_MODE=true where nothing
 * happens until the action is approved over HTTP. Stage timings are printed.
 */

const unavailable = (await probePodman()) ?? (await probePrometheus()) ?? (await probeAlertmanager());

describeWithComponent(
  'Podman + Prometheus + Alertmanager',
  unavailable,
  'install them: bash scripts/install-system-deps.sh',
  () => {
    let engine: PodmanEngine;
    let predictor: PredictorContainer | undefined;
    let gateway: RunningGateway | undefined;

    beforeAll(async () => {
      await buildPredictor();
      engine = await startPodman();
      predictor = await startPredictorContainer(engine);
      gateway = await startGateway(engine, predictor.name);
    }, 240_000);

    afterAll(async () => {
      await gateway?.close();
      await predictor?.remove();
    });

    for (const safetyMode of [false, true]) {
      describe(`SAFETY_MODE=${safetyMode}`, () => {
        let agent: RunningService | undefined;
        let stack: MonitoringStack | undefined;

        beforeAll(async () => {
          if (!predictor || !gateway) throw new Error('the predictor or the gateway did not start');
          const webhookToken = randomBytes(16).toString('hex');
          const agentPort = await freePort();
          stack = await startMonitoringStack(
            {
              predictorPort: predictor.port,
              agentPort,
              gatewayPort: Number(new URL(gateway.url).port),
              containerName: predictor.name,
            },
            webhookToken,
          );
          agent = await startAgent(
            {
              MARKET_PREDICTOR_URL: predictor.url,
              PROMETHEUS_URL: stack.prometheus.url,
              METRICS_CACHE_TTL: '0',
              AI_COMMAND_GATEWAY_URL: gateway.url,
              AI_COMMAND_GATEWAY_TOKEN: gateway.token,
              WEBHOOK_BEARER_TOKEN: webhookToken,
              // Prometheus and Alertmanager alone: the event path has its own test (container-events.test.ts).
              GATEWAY_EVENTS: 'false',
              // Each drill its own incident: Down and Hung are one availability failure, so a
              // hang right after the crash drill would otherwise re-open the crash's incident.
              INCIDENT_REOPEN_WINDOW: '0',
              SAFETY_MODE: String(safetyMode),
              // A hung predictor is seen as such within a second by the analysis' health check.
              HEALTH_CHECK_TIMEOUT: '1',
              ACTION_COOLDOWN: '0',
              VERIFICATION_INTERVAL: '0.5',
              VERIFICATION_WINDOW: '60',
            },
            agentPort,
          );
          // Prometheus scrapes the predictor before any fault is injected.
          const prometheus = stack.prometheus;
          await waitFor(async () => (await prometheus.query('up{service="market-predictor"} == 1')).length === 1, {
            timeoutMs: 20_000,
            description: 'Prometheus to scrape the predictor',
          });
        }, 120_000);

        afterAll(async () => {
          await agent?.close();
          await stack?.close();
        });

        if (!safetyMode) {
          it("evaluates every shipped rule cleanly on the real predictor's series", async () => {
            if (!stack) throw new Error('the stack did not start');
            // The promtool tests use hand-written series: here the real /metrics must carry the
            // series and labels the rules read, or a renamed metric would silently disable an alert.
            const prometheus = stack.prometheus;
            for (const series of [
              'process_resident_memory_bytes{service="market-predictor"}',
              'http_requests_total{service="market-predictor", route="/health"}',
              'http_request_duration_seconds_bucket{service="market-predictor", le="1"}',
              'scrape_duration_seconds{service="market-predictor"}',
            ]) {
              await waitFor(async () => (await prometheus.query(series)).length > 0, { timeoutMs: 10_000, description: series });
            }
            const [up] = await prometheus.query('up{service="market-predictor"}');
            expect(up?.labels.container).toBe(predictor?.name);
            // The shipped config scrapes the agent and the gateway too (their /metrics are open).
            for (const service of ['devops-agent', 'command-gateway']) {
              await waitFor(async () => (await prometheus.query(`up{service="${service}"} == 1`)).length === 1, {
                timeoutMs: 10_000,
                description: `Prometheus to scrape the ${service}`,
              });
            }
            const rules = await waitFor(
              async () => {
                const response = await fetch(`${prometheus.url}/api/v1/rules`);
                const body = (await response.json()) as {
                  data: { groups: Array<{ rules: Array<{ name: string; health: string; lastError?: string; state: string }> }> };
                };
                const all = body.data.groups.flatMap((group) => group.rules);
                return all.length === 5 && all.every((rule) => rule.health === 'ok') ? all : undefined;
              },
              { timeoutMs: 10_000, description: 'all five rules evaluated with health ok' },
            );
            expect(rules.map((rule) => rule.name).sort()).toEqual([
              'MarketPredictorDown',
              'MarketPredictorHighErrorRate',
              'MarketPredictorHighLatency',
              'MarketPredictorHighMemory',
              'MarketPredictorHung',
            ]);
            expect(rules.every((rule) => rule.state === 'inactive')).toBe(true);
          });
        }

        if (!safetyMode) {
          it('recovers from a memory leak: MarketPredictorHighMemory (real RSS above 300 MiB) → restart', async () => {
            if (!predictor || !gateway || !agent || !stack) throw new Error('the stack did not start');
            await runRecovery({
              fault: 'memory-leak',
              // Fast, so that the resident set passes the shipped 300 MiB threshold within seconds.
              parameters: { leakMbPerSecond: 100, leakMaxMb: 450 },
              predictor,
              gateway,
              agentUrl: agent.url,
              service: 'market-predictor',
              alertname: 'MarketPredictorHighMemory',
              safetyMode,
              title: 'memory leak, Prometheus + Alertmanager, SAFETY_MODE=false',
            });
            await expectAlertInactive(stack, 'MarketPredictorHighMemory');
            // The restarted process is scraped again with its memory back under the threshold.
            const prometheus = stack.prometheus;
            await waitFor(
              async () => {
                const [memory] = await prometheus.query('process_resident_memory_bytes{service="market-predictor"}');
                return memory !== undefined && memory.value < 300 * 1024 * 1024;
              },
              { timeoutMs: 10_000, description: 'resident memory back under 300 MiB' },
            );
          }, 120_000);
        }

        it('recovers from a crash: MarketPredictorDown → restart of the exited container', async () => {
          if (!predictor || !gateway || !agent || !stack) throw new Error('the stack did not start');
          await runRecovery({
            fault: 'crash',
            predictor,
            gateway,
            agentUrl: agent.url,
            service: 'market-predictor',
            alertname: 'MarketPredictorDown',
            safetyMode,
            title: `crash, Prometheus + Alertmanager, SAFETY_MODE=${safetyMode}`,
          });
          await expectAlertInactive(stack, 'MarketPredictorDown');
        }, 120_000);

        it('recovers from a hang: MarketPredictorHung → restart', async () => {
          if (!predictor || !gateway || !agent || !stack) throw new Error('the stack did not start');
          await runRecovery({
            fault: 'hang',
            predictor,
            gateway,
            agentUrl: agent.url,
            service: 'market-predictor',
            alertname: 'MarketPredictorHung',
            safetyMode,
            title: `hang, Prometheus + Alertmanager, SAFETY_MODE=${safetyMode}`,
          });
          await expectAlertInactive(stack, 'MarketPredictorHung');
          const status = await http<{ safety_mode: boolean }>(`${agent.url}/status`);
          expect(status.body.safety_mode).toBe(safetyMode);
        }, 120_000);
      });
    }
  },
);

/**
 * Prometheus soon no longer holds the alert (neither pending nor firing). The agent may close
 * the incident on its own health check a scrape or two before Prometheus sees the recovery.
 */
async function expectAlertInactive(stack: MonitoringStack, alertname: string): Promise<void> {
  await waitFor(
    async () => {
      const alerts = await stack.prometheus.alerts();
      return alerts.every((alert) => (alert.labels as Record<string, string>).alertname !== alertname);
    },
    { timeoutMs: 10_000, description: `Prometheus to drop ${alertname}` },
  );
}
