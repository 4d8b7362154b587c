import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { buildCommandGateway, readConfig as readGatewayConfig } from '@atb/command-gateway';
import type { Evidence } from '@atb/contracts';
import { buildImage, ensureNodeBaseImage, freePort, type PodmanEngine } from '@atb/testing';
import { evidencePorts } from '../../src/analysis/evidence/evidence-sources.js';
import { gatherEvidence } from '../../src/analysis/evidence/gather-evidence.js';
import { readConfig } from '../../src/config.js';
import { GatewayClient } from '../../src/remediation/gateway-client.js';
import type { Drill, DrillAlert } from './drills.js';

/** Time the evidence may take: generous, so a busy machine does not turn a slow read into "unavailable". */
const EVIDENCE_BUDGET_MS = 20_000;

const here = dirname(new URL(import.meta.url).pathname);
const TOKEN = 'drill-gateway-token-0123456789';
const sleep = (milliseconds: number) => new Promise((resolve) => setTimeout(resolve, milliseconds));

/** A drill bench: a real gateway on the Podman engine, two image versions of the drill service. */
export interface DrillBench {
  engine: PodmanEngine;
  images: { v1: string; v2: string };
  gateway: GatewayClient;
  /** The gateway's base URL and bearer token, for an agent that talks to it. */
  url: string;
  token: string;
  close(): Promise<void>;
}

const buildVersion = (engine: PodmanEngine, base: string, tag: string, version: string) =>
  buildImage(engine, tag, `FROM ${base}\nENV APP_VERSION=${version}\nLABEL atb.image-version=${version}\n`);

/** Starts the bench: images v1/v2 built from the node base image, the gateway allowlisting `targets` (and granting the agent rollback on `rollbackTargets`). */
export async function startDrillBench(engine: PodmanEngine, targets: string[], rollbackTargets: string[] = []): Promise<DrillBench> {
  const work = mkdtempSync(join(tmpdir(), 'atb-drills-'));
  const suffix = randomBytes(3).toString('hex');
  const base = await ensureNodeBaseImage(engine);
  const images = { v1: `localhost/atb-drill-${suffix}:1`, v2: `localhost/atb-drill-${suffix}:2` };
  await buildVersion(engine, base, images.v1, '1');
  await buildVersion(engine, base, images.v2, '2');
  const policy = join(work, 'policy.yaml');
  const operations = ['restart', 'start', 'logs', 'inspect', 'stats', 'list', ...(rollbackTargets.length ? ['rollback'] : [])];
  writeFileSync(
    policy,
    `targets:\n  names: [${targets.join(', ')}]\nsources:\n  devops-agent:\n    operations: [${operations.join(', ')}]\n${rollbackTargets.length ? `    targets: { rollback: [${rollbackTargets.join(', ')}] }\n` : ''}`,
  );
  const config = readGatewayConfig({ DATA_DIR: work, AI_COMMAND_GATEWAY_TOKEN: TOKEN, DOCKER_HOST: engine.dockerHost, GATEWAY_POLICY_FILE: policy });
  const service = await buildCommandGateway({ ...config, API_HOST: '127.0.0.1', API_PORT: 0 }, { logger: false });
  const address = await service.app.listen({ host: '127.0.0.1', port: 0 });
  const gateway = new GatewayClient({ baseUrl: address, sourceId: 'devops-agent', timeoutMs: 20_000, attempts: 1, backoffMs: 10, token: TOKEN });
  return {
    engine,
    images,
    gateway,
    url: address,
    token: TOKEN,
    async close() {
      await service.close();
      for (const image of Object.values(images)) await engine.docker.getImage(image).remove({ force: true }).catch(() => {});
      rmSync(work, { recursive: true, force: true });
    },
  };
}

async function runService(bench: DrillBench, name: string, image: string, env: Record<string, string>, heapMiB?: number) {
  await bench.engine.docker.getContainer(name).remove({ force: true }).catch(() => {});
  const nodePrefix = dirname(dirname(process.execPath));
  const binds = ['/usr:/usr:ro', `${here}:/app:ro`];
  if (!process.execPath.startsWith('/usr/')) binds.push(`${nodePrefix}:${nodePrefix}:ro`);
  const container = await bench.engine.docker.createContainer({
    name,
    Image: image,
    Cmd: [process.execPath, ...(heapMiB ? [`--max-old-space-size=${heapMiB}`] : []), '/app/drill-service.mjs'],
    WorkingDir: '/app',
    Env: Object.entries(env).map(([key, value]) => `${key}=${value}`),
    StopTimeout: 2,
    HostConfig: { NetworkMode: 'host', Binds: binds },
  });
  await container.start();
  return container;
}

/** Sends a few requests so the service logs what it does (errors included). */
async function traffic(port: number): Promise<void> {
  for (let index = 0; index < 5; index++) {
    await fetch(`http://127.0.0.1:${port}/predict?symbol=BTC`, { signal: AbortSignal.timeout(3000) }).catch(() => undefined);
  }
}

/**
 * Runs one drill on the engine as `name` and gathers the evidence the agent would, through the
 * gateway's read-only operations and a real health probe. Leaves the container for the caller.
 */
export async function runDrill(bench: DrillBench, drill: Drill, name: string): Promise<Evidence> {
  const port = await freePort();
  const env: Record<string, string> = { PORT: String(port), FAULT: drill.fault };
  let dependency: string | undefined;
  if (drill.dependency) {
    dependency = `${name}-feed`;
    const dependencyPort = await freePort();
    env.DEPENDENCY_PORT = String(dependencyPort);
    await runService(bench, dependency, bench.images.v1, { PORT: String(dependencyPort), FAULT: 'none' });
    await sleep(1500);
  }
  await runService(bench, name, bench.images.v1, env, drill.heapMiB);
  await sleep(1500);
  const config = readConfig({ HEALTH_CHECK_TIMEOUT: '5', SLOW_RESPONSE_THRESHOLD_MS: '2000', AI_COMMAND_GATEWAY_URL: 'http://127.0.0.1:1' });
  const ports = () => evidencePorts(config, bench.gateway, { service: name, container: name, healthUrl: `http://127.0.0.1:${port}` });
  const history = { flap_count: 0, ineffective_restarts: 0, effective_restarts: 0 };
  if (drill.deploy) {
    await gatherEvidence(ports(), history, EVIDENCE_BUDGET_MS); // the gateway sees v1 run
    await runService(bench, name, bench.images.v2, env);
    await sleep(1500);
  }
  if (dependency) await bench.engine.docker.getContainer(dependency).stop({ t: 1 });
  await traffic(port);
  await sleep(drill.fault === 'leak' || drill.fault === 'crash' ? 6000 : 1500);
  try {
    return await gatherEvidence(ports(), history, EVIDENCE_BUDGET_MS);
  } finally {
    if (dependency) await bench.engine.docker.getContainer(dependency).remove({ force: true }).catch(() => {});
  }
}

/** A scenario file for one alert on a drill's captured evidence. */
export function drillScenario(drill: Drill, alert: DrillAlert, evidence: Evidence, index: number): Record<string, unknown> {
  const startsAt = new Date(Date.parse(evidence.gathered_at) - 60_000).toISOString();
  const labels = { alertname: alert.alertname, service: 'market-predictor', severity: 'critical', container: 'market-predictor' };
  const annotations = { summary: alert.summary, ...(alert.description ? { description: alert.description } : {}) };
  const { facts: _facts, ...recorded } = evidence;
  return {
    id: `drill-${drill.id}-${alert.alertname.toLowerCase()}${index > 0 ? `-${index}` : ''}`,
    category: drill.category,
    description: `${drill.description} (captured on Podman)`,
    origin: { kind: 'drill', command: 'npx tsx --conditions=@atb/source apps/devops-agent/test/drills/capture-main.ts', captured_at: evidence.gathered_at },
    alertmanager: {
      version: '4',
      groupKey: `{}:{alertname="${alert.alertname}"}`,
      truncatedAlerts: 0,
      status: 'firing',
      receiver: 'devops-agent',
      groupLabels: { alertname: alert.alertname },
      commonLabels: labels,
      commonAnnotations: annotations,
      externalURL: 'http://127.0.0.1:9093',
      alerts: [{ status: 'firing', labels, annotations, startsAt, endsAt: '0001-01-01T00:00:00Z', generatorURL: 'http://127.0.0.1:9090/graph', fingerprint: `drill${String(index)}${drill.id}`.padEnd(16, '0').slice(0, 16) }],
    },
    evidence: recorded,
    flap_count: 0,
    expected: alert.expected,
  };
}
