import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { probeBinary, stopChild, waitForReady } from './child-service.js';
import { freePort } from './free-port.js';

/** The Debian package `prometheus-alertmanager` installs Alertmanager under this name. */
export const ALERTMANAGER_BINARY = process.env.ALERTMANAGER_BINARY ?? '/usr/bin/prometheus-alertmanager';

/** One alert as Alertmanager's API v2 takes it (`POST /api/v2/alerts`). */
export interface PostableAlert {
  labels: Record<string, string>;
  annotations?: Record<string, string>;
  startsAt?: string;
  endsAt?: string;
  generatorURL?: string;
}

export interface AlertmanagerOptions {
  /** The whole alertmanager.yml. */
  configYaml: string;
  /** More command-line flags, e.g. `--log.level=debug`. */
  extraArgs?: string[];
  /** How long to wait for `/-/ready`; 20 s by default. */
  readyTimeoutMs?: number;
}

/** A real Alertmanager on a free loopback port, with its own temporary storage. */
export interface RunningAlertmanager {
  /** `http://127.0.0.1:<port>` */
  url: string;
  port: number;
  /** The temporary directory holding the configuration and the storage. */
  directory: string;
  /** Posts alerts to `/api/v2/alerts`, as Prometheus does. */
  postAlerts(alerts: PostableAlert[]): Promise<void>;
  /** The alerts Alertmanager currently holds (`GET /api/v2/alerts`). */
  alerts(): Promise<Array<Record<string, unknown>>>;
  /** The last lines Alertmanager logged, for failure messages. */
  logs(): string;
  /** Stops the process and removes its directory. */
  close(): Promise<void>;
}

/** `undefined` when the Alertmanager binary runs, otherwise why not. */
export function probeAlertmanager(binary = ALERTMANAGER_BINARY): Promise<string | undefined> {
  return probeBinary(binary, 'alertmanager', 'Alertmanager');
}

/**
 * Starts the real Debian Alertmanager with `configYaml`, clustering off
 * (`--cluster.listen-address=`), on a free loopback port, and waits until it is ready.
 *
 * @example
 * const alertmanager = await startAlertmanager({ configYaml });
 * await alertmanager.postAlerts([{ labels: { alertname: 'Test' } }]);
 * await alertmanager.close();
 */
export async function startAlertmanager(options: AlertmanagerOptions): Promise<RunningAlertmanager> {
  const directory = await mkdtemp(join(tmpdir(), 'atb-alertmanager-'));
  const configFile = join(directory, 'alertmanager.yml');
  await writeFile(configFile, options.configYaml);
  let lastError: Error | undefined;
  // Another process may take the free port between the probe and the bind: try again.
  for (let attempt = 0; attempt < 3; attempt += 1) {
    try {
      return await launch(directory, configFile, await freePort(), options);
    } catch (error) {
      lastError = error as Error;
    }
  }
  await rm(directory, { recursive: true, force: true });
  throw lastError ?? new Error('Alertmanager did not start');
}

async function launch(
  directory: string,
  configFile: string,
  port: number,
  options: AlertmanagerOptions,
): Promise<RunningAlertmanager> {
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(
    ALERTMANAGER_BINARY,
    [
      `--config.file=${configFile}`,
      `--storage.path=${join(directory, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      `--web.external-url=${url}`,
      '--cluster.listen-address=',
      ...(options.extraArgs ?? []),
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
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
    await waitForReady('Alertmanager', url, child, options.readyTimeoutMs ?? 20_000, logs);
  } catch (error) {
    await stopChild(child, exited);
    throw error;
  }

  let closed = false;
  return {
    url,
    port,
    directory,
    logs,
    async postAlerts(alerts) {
      const response = await fetch(`${url}/api/v2/alerts`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(alerts),
      });
      if (!response.ok) {
        throw new Error(`Alertmanager refused the alerts: ${response.status} ${await response.text()}`);
      }
    },
    async alerts() {
      const response = await fetch(`${url}/api/v2/alerts`);
      if (!response.ok) throw new Error(`GET /api/v2/alerts answered ${response.status}`);
      return (await response.json()) as Array<Record<string, unknown>>;
    },
    async close() {
      if (closed) return;
      closed = true;
      await stopChild(child, exited);
      await rm(directory, { recursive: true, force: true });
    },
  };
}
