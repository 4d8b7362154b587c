import { execFile } from 'node:child_process';
import type { PodmanEngine } from '@atb/testing';

/** The predictor's script inside the container (the repository is mounted at /app). */
const PREDICTOR_SCRIPT = '/app/apps/market-predictor/dist/src/main.js';

export interface PredictorOptions {
  name: string;
  port: number;
  repository: string;
  /** Memory limit in MiB (a leak ends in an OOM kill). */
  memoryMb: number;
  /** Seconds a stop waits before SIGKILL. */
  stopTimeoutSeconds: number;
  /** `--restart=on-failure`: Podman restarts it when it exits non-zero. */
  restartOnFailure?: boolean;
  /** A healthcheck on `/health` that restarts the container when it turns unhealthy. */
  healthcheck?: { intervalSeconds: number; timeoutSeconds: number; retries: number };
}

/** Runs the podman CLI against the engine's storage; resolves with stdout. */
export function podman(engine: PodmanEngine, args: string[], timeoutMs = 120_000): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('podman', args, { env: { ...process.env, CONTAINERS_CONF: engine.containersConf }, timeout: timeoutMs }, (error, stdout, stderr) =>
      error ? reject(new Error(`podman ${args.slice(0, 3).join(' ')} failed: ${stderr || error.message}`)) : resolve(stdout.trim()),
    );
  });
}

/**
 * The built predictor in a host-network container (chaos routes on), with Podman's own
 * recovery — a restart policy or a healthcheck-driven restart — when asked for.
 */
export async function runPredictor(engine: PodmanEngine, options: PredictorOptions): Promise<void> {
  const health = options.healthcheck;
  const probe = `fetch('http://127.0.0.1:${options.port}/health',{signal:AbortSignal.timeout(${(health?.timeoutSeconds ?? 1) * 1000})}).then(r=>process.exit(r.ok?0:1),()=>process.exit(1))`;
  await podman(engine, [
    'run',
    '-d',
    '--replace',
    '--name',
    options.name,
    '--network',
    'host',
    '--memory',
    `${options.memoryMb}m`,
    '--stop-timeout',
    String(options.stopTimeoutSeconds),
    '-v',
    '/usr:/usr:ro',
    '-v',
    `${options.repository}:/app:ro`,
    '-e',
    'API_HOST=127.0.0.1',
    '-e',
    `API_PORT=${options.port}`,
    '-e',
    'CHAOS_ENABLED=true',
    '-e',
    'CHAOS_MAX_LEAK_MB=4096',
    '-e',
    'DATA_DIR=/tmp/market-predictor',
    '-e',
    'LOG_LEVEL=warn',
    ...(options.restartOnFailure ? ['--restart', 'on-failure'] : []),
    ...(health
      ? [
          '--health-cmd',
          `${process.execPath} -e "${probe}"`,
          '--health-interval',
          `${health.intervalSeconds}s`,
          '--health-timeout',
          `${health.timeoutSeconds}s`,
          '--health-retries',
          String(health.retries),
          '--health-on-failure',
          'restart',
        ]
      : []),
    'localhost/atb-node-base:latest',
    process.execPath,
    PREDICTOR_SCRIPT,
  ]);
}

/**
 * Podman schedules healthchecks with systemd timers; where there is no systemd (this machine)
 * this loop is the timer: `podman healthcheck run` every interval after the previous one ended,
 * which is what the timer does. The failure action (restart) is Podman's own.
 */
export function driveHealthchecks(engine: PodmanEngine, name: string, intervalSeconds: number): { stop(): Promise<void> } {
  let running = true;
  const loop = (async () => {
    while (running) {
      await podman(engine, ['healthcheck', 'run', name], 60_000).catch(() => undefined);
      await new Promise((resolve) => setTimeout(resolve, intervalSeconds * 1000));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
    },
  };
}
