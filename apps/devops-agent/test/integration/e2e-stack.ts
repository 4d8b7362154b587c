import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DrillResult, DrillStage } from '@atb/cli';
import { buildCommandGateway, readConfig as readGatewayConfig } from '@atb/command-gateway';
import type { Service } from '@atb/service-kit';
import {
  freePort,
  httpJson,
  type NodeContainer,
  type PodmanEngine,
  type RunningAlertmanager,
  type RunningPrometheus,
  runNodeContainer,
  startAlertmanager,
  startPrometheus,
  waitFor,
} from '@atb/testing';
import { buildDevopsAgent } from '../../src/app.js';
import { readConfig as readAgentConfig } from '../../src/config.js';

/**
 * The real parts of the end-to-end tests: the predictor in a Podman container, the command
 * gateway on Podman's Docker API, the agent, and Debian's Prometheus and Alertmanager with
 * the shipped configuration (ports substituted, intervals shortened).
 */

export const REPOSITORY_ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../../..');
const PREDICTOR_SCRIPT = 'apps/market-predictor/dist/src/main.js';

/**
 * Builds the predictor's dist (incremental: quick when up to date); the container runs it.
 * Serialised with `flock` so that the e2e files running in parallel never write it at once.
 */
export function buildPredictor(): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    execFile(
      'flock',
      [
        join(tmpdir(), 'atb-e2e-predictor-build.lock'),
        process.execPath,
        join(REPOSITORY_ROOT, 'node_modules/typescript/bin/tsc'),
        '--build',
        'apps/market-predictor',
      ],
      { cwd: REPOSITORY_ROOT, timeout: 180_000 },
      (error, stdout, stderr) => (error ? reject(new Error(`tsc --build apps/market-predictor failed:\n${stdout}${stderr}`)) : resolvePromise()),
    );
  });
}

export interface PredictorContainer {
  name: string;
  url: string;
  port: number;
  container: NodeContainer;
  /** `docker inspect` State: Status, Running, StartedAt, ExitCode. */
  state(): Promise<{ Status: string; Running: boolean; StartedAt: string; ExitCode: number }>;
  remove(): Promise<void>;
}

/** Runs the built predictor in a host-network container with the chaos routes on. */
export async function startPredictorContainer(engine: PodmanEngine): Promise<PredictorContainer> {
  const name = `atb-e2e-predictor-${randomBytes(4).toString('hex')}`;
  const port = await freePort();
  const container = await runNodeContainer(engine, {
    name,
    appDirectory: REPOSITORY_ROOT,
    script: PREDICTOR_SCRIPT,
    env: {
      API_HOST: '127.0.0.1',
      API_PORT: String(port),
      CHAOS_ENABLED: 'true',
      DATA_DIR: '/tmp/market-predictor',
      LOG_LEVEL: 'warn',
    },
    labels: { 'atb.test': 'e2e' },
    stopTimeoutSeconds: 3,
  });
  const url = `http://127.0.0.1:${port}`;
  await waitForHealthy(url, 30_000);
  return {
    name,
    url,
    port,
    container,
    async state() {
      const details = await engine.docker.getContainer(name).inspect();
      return details.State as unknown as { Status: string; Running: boolean; StartedAt: string; ExitCode: number };
    },
    remove: () => container.remove(),
  };
}

/** Waits until `url/health` answers `healthy`. */
export async function waitForHealthy(url: string, timeoutMs: number): Promise<void> {
  await waitFor(
    async () => {
      const response = await fetch(`${url}/health`, { signal: AbortSignal.timeout(1000) });
      return response.ok && ((await response.json()) as { status?: string }).status === 'healthy';
    },
    { timeoutMs, intervalMs: 100, description: `${url}/health to answer healthy` },
  );
}

export interface RunningService {
  url: string;
  service: Service;
  directory: string;
  close(): Promise<void>;
}

/** The API token `startAgent` gives the devops agent (AGENT_API_TOKEN), for approvals and controls. */
export const E2E_AGENT_TOKEN = 'e2e-agent-api-token-0123456789';

/** The devops agent in-process, on `port` (0: any), with its own SQLite file. */
export async function startAgent(environment: Record<string, string>, port = 0): Promise<RunningService> {
  const directory = await mkdtemp(join(tmpdir(), 'atb-e2e-agent-'));
  const config = readAgentConfig({
    API_HOST: '127.0.0.1',
    API_PORT: String(port),
    DATA_DIR: directory,
    LOG_LEVEL: 'warn',
    AGENT_API_TOKEN: E2E_AGENT_TOKEN,
    ...environment,
  });
  const service = await buildDevopsAgent(config, { logger: false });
  const url = await service.listen();
  return {
    url,
    service,
    directory,
    async close() {
      await service.close();
      await rm(directory, { recursive: true, force: true });
    },
  };
}

/** Replaces `from` by `to` in `text`, failing loudly when the shipped file no longer has `from`. */
function substitute(text: string, from: string, to: string, file: string): string {
  if (!text.includes(from)) throw new Error(`${file} no longer contains ${JSON.stringify(from)}: update the e2e substitutions`);
  return text.split(from).join(to);
}

export interface MonitoringPorts {
  predictorPort: number;
  agentPort: number;
  gatewayPort: number;
  alertmanagerPort: number;
  containerName: string;
}

/** The shipped prometheus.yml with the test's ports, the container's name and 1 s intervals. */
export async function prometheusConfigForTest(ports: MonitoringPorts): Promise<string> {
  const file = 'deploy/prometheus/prometheus.yml';
  let text = await readFile(join(REPOSITORY_ROOT, file), 'utf8');
  const unused = await freePort();
  const replacements: [string, string][] = [
    ['scrape_interval: 15s', 'scrape_interval: 1s'],
    ['scrape_timeout: 10s', 'scrape_timeout: 900ms'],
    ['evaluation_interval: 5s', 'evaluation_interval: 1s'],
    ['scrape_interval: 5s', 'scrape_interval: 1s'],
    ['scrape_timeout: 3s', 'scrape_timeout: 900ms'],
    ['rules/*.yml', 'market-predictor.yml'],
    ['127.0.0.1:9093', `127.0.0.1:${ports.alertmanagerPort}`],
    ['127.0.0.1:8000', `127.0.0.1:${ports.predictorPort}`],
    ['127.0.0.1:8001', `127.0.0.1:${ports.agentPort}`],
    ['127.0.0.1:8002', `127.0.0.1:${unused}`],
    ['127.0.0.1:8003', `127.0.0.1:${ports.gatewayPort}`],
    ['container: market-predictor', `container: ${ports.containerName}`],
  ];
  for (const [from, to] of replacements) text = substitute(text, from, to, file);
  return text;
}

/** The shipped alertmanager.yml routing to `agentUrl`, with a bearer token and a 1 s group interval. */
export async function alertmanagerConfigForTest(agentUrl: string, bearerToken: string): Promise<string> {
  const file = 'deploy/alertmanager/alertmanager.yml';
  let text = await readFile(join(REPOSITORY_ROOT, file), 'utf8');
  text = substitute(text, 'group_interval: 5s', 'group_interval: 1s', file);
  text = substitute(text, 'http://127.0.0.1:8001/webhook/alerts', `${agentUrl}/webhook/alerts`, file);
  text = substitute(
    text,
    '        send_resolved: true\n',
    `        send_resolved: true\n        http_config:\n          authorization:\n            type: Bearer\n            credentials: ${bearerToken}\n`,
    file,
  );
  return text;
}

export interface MonitoringStack {
  prometheus: RunningPrometheus;
  alertmanager: RunningAlertmanager;
  close(): Promise<void>;
}

/** Debian's Alertmanager and Prometheus with the shipped configuration and rules. */
export async function startMonitoringStack(ports: Omit<MonitoringPorts, 'alertmanagerPort'>, webhookToken: string): Promise<MonitoringStack> {
  const alertmanager = await startAlertmanager({
    configYaml: await alertmanagerConfigForTest(`http://127.0.0.1:${ports.agentPort}`, webhookToken),
  });
  try {
    const prometheus = await startPrometheus({
      configYaml: await prometheusConfigForTest({ ...ports, alertmanagerPort: alertmanager.port }),
      ruleFiles: {
        'market-predictor.yml': await readFile(join(REPOSITORY_ROOT, 'deploy/prometheus/rules/market-predictor.yml'), 'utf8'),
      },
    });
    return {
      prometheus,
      alertmanager,
      async close() {
        await prometheus.close();
        await alertmanager.close();
      },
    };
  } catch (error) {
    await alertmanager.close();
    throw error;
  }
}

/** JSON over HTTP with an optional bearer token; never throws on a status. */
export const http = httpJson;

/** One line per stage with its time since the fault and the gap from the stage before. */
export function formatRecovery(title: string, result: DrillResult): string {
  let previous = 0;
  const lines = result.stages.map((stage: DrillStage) => {
    const gap = stage.elapsed_ms - previous;
    previous = stage.elapsed_ms;
    return `  ${stage.name.padEnd(19)} ${(stage.elapsed_ms / 1000).toFixed(1).padStart(6)} s  (+${(gap / 1000).toFixed(1)} s)  ${stage.detail}`;
  });
  return `\n${title}: ${result.outcome} in ${(result.total_ms / 1000).toFixed(1)} s\n${lines.join('\n')}\n`;
}

export interface RunningGateway extends RunningService {
  token: string;
}

/** The command gateway in-process, on Podman's Docker API, allowing only `containerName`. */
export async function startGateway(engine: PodmanEngine, containerName: string): Promise<RunningGateway> {
  const directory = await mkdtemp(join(tmpdir(), 'atb-e2e-gateway-'));
  const token = randomBytes(24).toString('hex');
  const config = readGatewayConfig({
    API_HOST: '127.0.0.1',
    API_PORT: '0',
    DATA_DIR: directory,
    LOG_LEVEL: 'warn',
    AI_COMMAND_GATEWAY_TOKEN: token,
    GATEWAY_RUNTIME: 'docker',
    DOCKER_HOST: engine.dockerHost,
    GATEWAY_ALLOWED_TARGETS: containerName,
    GATEWAY_RESTART_LIMIT: '50',
  });
  const service = await buildCommandGateway(config, { logger: false });
  const url = await service.listen();
  return {
    url,
    token,
    service,
    directory,
    async close() {
      await service.close();
      await rm(directory, { recursive: true, force: true });
    },
  };
}
