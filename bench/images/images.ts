/**
 * Benchmark of the service images (issue 10), on a real engine (Podman's Docker Engine API):
 *
 * 1. size of each service image (the engine's `Size`: every layer, base included);
 * 2. cold start to healthy: create + start a container of the image, then `GET /health` from the
 *    host until it answers 200 (the same URL the image's HEALTHCHECK asks);
 * 3. `docker stop` time: the Engine API's stop with the default 10 s grace, which returns when
 *    the process has exited (SIGTERM handled by Node as PID 1).
 * Goals: each image ≤ 200 MB, start to healthy ≤ 3 s, stop ≤ 2 s. Medians over `--rounds` runs.
 * The images come from the Dockerfile, as the composed-stack test builds them:
 *
 *   npx tsx --conditions=@atb/source bench/images/images.ts [--rounds 5] [--prefix localhost/atb-deploy-test] [--tag latest]
 */
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { freePort, startPodman, waitFor } from '@atb/testing';

const GOALS = { sizeMb: 200, startMs: 3000, stopMs: 2000 };
const SERVICES = [
  { name: 'market-predictor', port: 8000, env: {} },
  { name: 'devops-agent', port: 8001, env: { WEBHOOK_BEARER_TOKEN: 'bench-webhook-token-0123456789' } },
  { name: 'coding-agent', port: 8002, env: { ENABLE_SANDBOXING: 'false' } },
  { name: 'command-gateway', port: 8003, env: { GATEWAY_RUNTIME: 'process' } },
] as const;
// The secrets production requires (random, per run; nothing is stored).
const token = () => randomBytes(24).toString('base64url');

const { values: args } = parseArgs({
  options: {
    rounds: { type: 'string', default: '5' },
    prefix: { type: 'string', default: 'localhost/atb-deploy-test' },
    tag: { type: 'string', default: 'latest' },
  },
});
const rounds = Number(args.rounds);

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) / 2)] ?? Number.NaN;
}

const engine = await startPodman();
const rows: string[] = [];
try {
  for (const service of SERVICES) {
    const image = `${args.prefix}-${service.name}:${args.tag}`;
    const details = await engine.docker.getImage(image).inspect();
    const sizeMb = details.Size / 1e6;
    const starts: number[] = [];
    const stops: number[] = [];
    for (let round = 0; round < rounds; round++) {
      const hostPort = await freePort();
      const name = `atb-deploy-bench-${service.name}-${randomBytes(3).toString('hex')}`;
      const env = {
        AI_COMMAND_GATEWAY_TOKEN: token(),
        AGENT_API_TOKEN: token(),
        ...service.env,
      };
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
        await waitFor(
          async () => {
            const response = await fetch(`http://127.0.0.1:${hostPort}/health`, { signal: AbortSignal.timeout(1000) });
            return response.ok;
          },
          { timeoutMs: 30_000, intervalMs: 20, description: `${service.name} /health` },
        );
        starts.push(performance.now() - started);
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
    const stop = median(stops);
    const verdict = (value: number, goal: number) => (value <= goal ? 'met' : 'missed');
    rows.push(
      `| ${service.name} | ${sizeMb.toFixed(0)} (${verdict(sizeMb, GOALS.sizeMb)}) | ${(start / 1000).toFixed(2)} (${verdict(start, GOALS.startMs)}) | ${(stop / 1000).toFixed(2)} (${verdict(stop, GOALS.stopMs)}) | ${starts.map((value) => (value / 1000).toFixed(2)).join(', ')} | ${stops.map((value) => (value / 1000).toFixed(2)).join(', ')} |`,
    );
  }
} finally {
  await engine.close();
}
process.stdout.write(
  [
    `${rounds} rounds per service; goals: image ≤ ${GOALS.sizeMb} MB, start to healthy ≤ ${GOALS.startMs / 1000} s, stop ≤ ${GOALS.stopMs / 1000} s`,
    '',
    '| image | size MB | start → healthy s (median) | stop s (median) | every start s | every stop s |',
    '|---|---|---|---|---|---|',
    ...rows,
    '',
  ].join('\n'),
);
