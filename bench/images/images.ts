/**
 * Benchmark of the service images, on a real engine (Podman's Docker Engine API):
 *
 * 1. size of each service image (the engine's `Size`: every layer, base included);
 * 2. cold start to healthy: create + start a container of the image, then `GET /health` from the
 *    host until it answers 200 (the same URL the image's HEALTHCHECK asks), then until the engine
 *    reports the container `healthy` with the image's HEALTHCHECK run inside it (Podman's libpod
 *    healthcheck endpoint, as its timers would; a Docker daemon runs its first check one
 *    interval, 2 s, after the start);
 * 3. `docker stop` time: the Engine API's stop with the default 10 s grace, which returns when
 *    the process has exited (SIGTERM handled by Node as PID 1).
 * Goals: each image ≤ 200 MB, start to healthy ≤ 3 s, stop ≤ 2 s. Medians over `--rounds` runs.
 * The images come from the Dockerfile, built as docs/deploy.md shows (`<prefix>-<service>:<tag>`):
 *
 *   npx tsx --conditions=@atb/source bench/images/images.ts [--rounds 5] [--prefix localhost/atb] [--tag latest]
 */
import { randomBytes } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { availableParallelism, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { freePort, type PodmanEngine, startPodman, waitFor } from '@atb/testing';

const GOALS = { sizeMb: 200, startMs: 3000, stopMs: 2000 };
// The secrets production requires (random, per run; nothing is stored), as `atb secrets init` names them.
const token = () => randomBytes(24).toString('base64url');
const SERVICES = [
  { name: 'market-predictor', port: 8000, env: () => ({}) },
  {
    name: 'devops-agent',
    port: 8001,
    env: () => ({ AGENT_API_TOKEN: token(), AUDIT_HMAC_KEY: token(), AI_COMMAND_GATEWAY_TOKEN: token(), WEBHOOK_USERNAME: 'alertmanager', WEBHOOK_PASSWORD: token() }),
  },
  { name: 'coding-agent', port: 8002, env: () => ({ CODING_AGENT_API_TOKEN: token(), AUDIT_HMAC_KEY: token(), ENABLE_SANDBOXING: 'false' }) },
  { name: 'command-gateway', port: 8003, env: () => ({ AI_COMMAND_GATEWAY_TOKEN: token(), AUDIT_HMAC_KEY: token(), GATEWAY_RUNTIME: 'process' }) },
] as const;

/** Runs the container's HEALTHCHECK once through libpod's endpoint; answers the status it reports. */
function runHealthcheck(engine: PodmanEngine, id: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const request = httpRequest({ socketPath: engine.socketPath, path: `/v4.0.0/libpod/containers/${id}/healthcheck`, method: 'GET', timeout: 10_000 }, (response) => {
      let body = '';
      response.on('data', (chunk: Buffer) => {
        body += chunk.toString();
      });
      response.on('end', () => resolve(response.statusCode === 200 ? (JSON.parse(body) as { Status: string }).Status : `http ${response.statusCode}`));
    });
    request.on('timeout', () => request.destroy(new Error('healthcheck: no answer in 10 s')));
    request.on('error', reject);
    request.end();
  });
}

const { values: args } = parseArgs({
  options: {
    rounds: { type: 'string', default: '5' },
    prefix: { type: 'string', default: 'localhost/atb' },
    tag: { type: 'string', default: 'latest' },
  },
});
const rounds = Number(args.rounds);

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) / 2)] ?? Number.NaN;
}

const seconds = (milliseconds: number) => (milliseconds / 1000).toFixed(2);
const loadBefore = loadavg()[0] ?? 0;
const engine = await startPodman();
const rows: string[] = [];
try {
  for (const service of SERVICES) {
    const image = `${args.prefix}-${service.name}:${args.tag}`;
    const details = await engine.docker.getImage(image).inspect();
    const sizeMb = details.Size / 1e6;
    const starts: number[] = [];
    const healthy: number[] = [];
    const stops: number[] = [];
    for (let round = 0; round < rounds; round++) {
      const hostPort = await freePort();
      const name = `atb-deploy-bench-${service.name}-${randomBytes(3).toString('hex')}`;
      const env = service.env();
      const container = await engine.docker.createContainer({
        name,
        Image: image,
        Env: Object.entries(env).map(([key, value]) => `${key}=${value}`),
        ExposedPorts: { [`${service.port}/tcp`]: {} },
        HostConfig: { PortBindings: { [`${service.port}/tcp`]: [{ HostIp: '127.0.0.1', HostPort: String(hostPort) }] } },
      });
      try {
        const started = performance.now();
        await container.start();
        starts.push(
          await waitFor(
            async () => {
              const response = await fetch(`http://127.0.0.1:${hostPort}/health`, { signal: AbortSignal.timeout(1000) });
              return response.ok && performance.now() - started;
            },
            { timeoutMs: 30_000, intervalMs: 20, description: `${service.name} /health` },
          ),
        );
        // Then the image's own HEALTHCHECK, run by the engine inside the container, until the
        // engine reports it healthy. Run only once /health answers: checks run back to back from
        // the start would compete with the starting service for the CPU and slow it down.
        const reported = await waitFor(async () => (await runHealthcheck(engine, container.id)) === 'healthy' && performance.now() - started, {
          timeoutMs: 30_000,
          intervalMs: 20,
          description: `${service.name} reported healthy by the engine`,
        });
        healthy.push(reported);
        const stopping = performance.now();
        await container.stop({ t: 10 });
        stops.push(performance.now() - stopping);
        const state = (await container.inspect()).State;
        if (state.ExitCode !== 0) process.stderr.write(`${service.name}: exited ${state.ExitCode} after stop\n`);
      } finally {
        await container.remove({ force: true }).catch(() => undefined);
      }
    }
    const start = median(starts);
    const engineHealthy = median(healthy);
    const stop = median(stops);
    const verdict = (value: number, goal: number) => (value <= goal ? 'met' : 'missed');
    rows.push(
      `| ${service.name} | ${sizeMb.toFixed(0)} (${verdict(sizeMb, GOALS.sizeMb)}) | ${seconds(start)} (${verdict(start, GOALS.startMs)}) | ${seconds(engineHealthy)} (${verdict(engineHealthy, GOALS.startMs)}) | ${seconds(stop)} (${verdict(stop, GOALS.stopMs)}) | ${starts.map(seconds).join(', ')} | ${healthy.map(seconds).join(', ')} | ${stops.map(seconds).join(', ')} |`,
    );
  }
} finally {
  await engine.close();
}
process.stdout.write(
  [
    `${rounds} rounds per service; goals: image ≤ ${GOALS.sizeMb} MB, start to healthy ≤ ${GOALS.startMs / 1000} s, stop ≤ ${GOALS.stopMs / 1000} s`,
    `load average (1 min) ${loadBefore.toFixed(1)} before, ${(loadavg()[0] ?? 0).toFixed(1)} after, on ${availableParallelism()} cores`,
    '',
    '| image | size MB | start → /health s (median) | start → engine healthy s (median) | stop s (median) | every start → /health s | every start → healthy s | every stop s |',
    '|---|---|---|---|---|---|---|---|',
    ...rows,
    '',
  ].join('\n'),
);
