import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { freePort } from './free-port.js';
import { probeBinary, stopChild, waitForReady } from './child-service.js';

/** The Debian package `prometheus` installs the server here. */
export const PROMETHEUS_BINARY = process.env.PROMETHEUS_BINARY ?? '/usr/bin/prometheus';

export interface PrometheusOptions {
  /** The whole prometheus.yml. Rule files are referred to by their bare names (they sit next to it). */
  configYaml: string;
  /** Rule files written next to the configuration: file name → YAML content. */
  ruleFiles?: Record<string, string>;
  /** More command-line flags, e.g. `--log.level=debug`. */
  extraArgs?: string[];
  /** How long to wait for `/-/ready`; 30 s by default. */
  readyTimeoutMs?: number;
}

/** One element of an instant vector (or a scalar, with no labels). */
export interface PrometheusSample {
  labels: Record<string, string>;
  value: number;
  /** Seconds since the epoch, as Prometheus reports it. */
  timestamp: number;
}

/** A real Prometheus on a free loopback port, with its own temporary TSDB. */
export interface RunningPrometheus {
  /** `http://127.0.0.1:<port>` */
  url: string;
  port: number;
  /** The temporary directory holding the configuration, rule files and TSDB. */
  directory: string;
  /** Runs an instant query through `/api/v1/query`; throws on a query error. */
  query(promql: string): Promise<PrometheusSample[]>;
  /** The active scrape targets (`/api/v1/targets`), with `health` and `lastError`. */
  targets(): Promise<Array<Record<string, unknown>>>;
  /** The alerts the rule files produce right now (`/api/v1/alerts`). */
  alerts(): Promise<Array<Record<string, unknown>>>;
  /** The last lines Prometheus logged, for failure messages. */
  logs(): string;
  /** Stops the process (SIGTERM, then SIGKILL after 5 s) and removes its directory. */
  close(): Promise<void>;
}

/** `undefined` when the Prometheus binary runs, otherwise why not; for `describeWithComponent`. */
export function probePrometheus(binary = PROMETHEUS_BINARY): Promise<string | undefined> {
  return probeBinary(binary, 'prometheus, version', 'Prometheus');
}

/**
 * Starts the real Debian Prometheus with `configYaml` (and `ruleFiles`) in a temporary
 * directory, on a free loopback port, and waits until `/-/ready` answers.
 *
 * @example
 * const prometheus = await startPrometheus({
 *   configYaml: `scrape_configs: [{ job_name: app, scrape_interval: 1s, static_configs: [{ targets: ['127.0.0.1:${port}'] }] }]`,
 * });
 * const [sample] = await prometheus.query('up{job="app"}');
 * await prometheus.close();
 */
export async function startPrometheus(options: PrometheusOptions): Promise<RunningPrometheus> {
  const directory = await mkdtemp(join(tmpdir(), 'atb-prometheus-'));
  try {
    const configFile = join(directory, 'prometheus.yml');
    await writeFile(configFile, options.configYaml);
    for (const [name, content] of Object.entries(options.ruleFiles ?? {})) {
      if (basename(name) !== name) throw new Error(`rule file name must be a bare file name, got ${JSON.stringify(name)}`);
      await writeFile(join(directory, name), content);
    }
    let lastError: Error | undefined;
    // Another process may take the free port between the probe and the bind: try again.
    for (let attempt = 0; attempt < 3; attempt += 1) {
      try {
        return await launch(directory, configFile, await freePort(), options);
      } catch (error) {
        lastError = error as Error;
        if (!/address already in use/i.test(lastError.message)) break;
      }
    }
    throw lastError ?? new Error('Prometheus did not start');
  } catch (error) {
    await rm(directory, { recursive: true, force: true });
    throw error;
  }
}

async function launch(
  directory: string,
  configFile: string,
  port: number,
  options: PrometheusOptions,
): Promise<RunningPrometheus> {
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(
    PROMETHEUS_BINARY,
    [
      `--config.file=${configFile}`,
      `--storage.tsdb.path=${join(directory, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      `--web.external-url=${url}`,
      ...(options.extraArgs ?? []),
    ],
    { cwd: directory, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const logLines: string[] = [];
  const keep = (chunk: Buffer) => {
    logLines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
    if (logLines.length > 200) logLines.splice(0, logLines.length - 200);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const logs = () => logLines.join('\n');

  try {
    await waitForReady('Prometheus', url, child, options.readyTimeoutMs ?? 30_000, logs);
  } catch (error) {
    await stopChild(child, exited);
    throw error;
  }

  const api = async (path: string): Promise<unknown> => {
    const response = await fetch(`${url}${path}`, { signal: AbortSignal.timeout(10_000) });
    const body = (await response.json()) as { status?: string; data?: unknown; error?: string; errorType?: string };
    if (!response.ok || body.status !== 'success') {
      throw new Error(`Prometheus ${path} answered ${response.status}: ${body.errorType ?? ''} ${body.error ?? ''}`.trim());
    }
    return body.data;
  };

  let closed = false;
  return {
    url,
    port,
    directory,
    logs,
    async query(promql) {
      const data = (await api(`/api/v1/query?query=${encodeURIComponent(promql)}`)) as {
        resultType: string;
        result: unknown;
      };
      if (data.resultType === 'scalar') {
        const [timestamp, value] = data.result as [number, string];
        return [{ labels: {}, value: Number(value), timestamp }];
      }
      if (data.resultType !== 'vector') throw new Error(`expected an instant vector, got ${data.resultType}`);
      return (data.result as { metric: Record<string, string>; value: [number, string] }[]).map((entry) => ({
        labels: entry.metric,
        value: Number(entry.value[1]),
        timestamp: entry.value[0],
      }));
    },
    async targets() {
      return ((await api('/api/v1/targets')) as { activeTargets: Array<Record<string, unknown>> }).activeTargets;
    },
    async alerts() {
      return ((await api('/api/v1/alerts')) as { alerts: Array<Record<string, unknown>> }).alerts;
    },
    async close() {
      if (closed) return;
      closed = true;
      await stopChild(child, exited);
      await rm(directory, { recursive: true, force: true });
    },
  };
}
