import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { createInterface } from 'node:readline';
import { type EngineConnection, type NodeContainer, runNodeContainer } from '@atb/container-engine';
import pc from 'picocolors';
import { colourFor, formatLogLine } from './output.js';

export interface ManagedContainerOptions {
  /** Container name, e.g. `market-predictor`. */
  name: string;
  /** The repository root, mounted read-only at /app (its `.data` read-write at /app/.data). */
  root: string;
  /** The service's script, relative to the root. */
  script: string;
  env: NodeJS.ProcessEnv;
  labels: Record<string, string>;
}

/** Variables of the host shell that mean nothing inside a container. */
const HOST_ONLY_VARIABLES = new Set(['PWD', 'OLDPWD', 'SHLVL', '_', 'HOSTNAME', 'TERM_SESSION_ID']);

/**
 * A service `atb up` runs as a container on the near-empty-root Node image: its output
 * is printed with the same coloured prefix as the supervised processes, and every engine event
 * is reported — a restart or stop through the engine (by the command-gateway, say) is never
 * silent, and an unexpected exit is printed in red and not restarted.
 */
export class ManagedContainer {
  private stopping = false;
  private events?: NodeJS.ReadableStream & { destroy?: () => void };
  private logStream?: NodeJS.ReadableStream & { destroy?: () => void };
  private lastRestartEvent = 0;
  private lastStopEvent = 0;
  private lastLogKey = -1n;
  private printedAtLastKey = 0;

  private constructor(
    private readonly engine: EngineConnection,
    private readonly container: NodeContainer,
    private readonly write: (line: string) => void,
  ) {}

  /**
   * Creates and starts the container. An existing container of that name is replaced only if it
   * carries `atb.managed=true` (left behind by an earlier `atb up`); otherwise this fails.
   */
  static async start(
    engine: EngineConnection,
    options: ManagedContainerOptions,
    write: (line: string) => void = (line) => process.stdout.write(`${line}\n`),
  ): Promise<ManagedContainer> {
    const existing = await engine.docker
      .getContainer(options.name)
      .inspect()
      .catch((error: { statusCode?: number }) => {
        if (error.statusCode === 404) return undefined;
        throw error;
      });
    if (existing && existing.Config.Labels?.['atb.managed'] !== 'true') {
      throw new Error(
        `a container named "${options.name}" exists and was not started by atb (no label atb.managed=true): remove or rename it, or use --runtime process`,
      );
    }
    const dataDirectory = join(options.root, '.data');
    mkdirSync(dataDirectory, { recursive: true });
    const env: Record<string, string> = {};
    for (const [key, value] of Object.entries(options.env)) {
      if (value !== undefined && !HOST_ONLY_VARIABLES.has(key)) env[key] = value;
    }
    const createdAt = Math.floor(Date.now() / 1000) - 1;
    const container = await runNodeContainer(engine, {
      name: options.name,
      appDirectory: options.root,
      script: options.script,
      env,
      labels: options.labels,
      mounts: [
        { source: dataDirectory, target: '/app/.data', readOnly: false },
        // The host's CA certificates (NODE_EXTRA_CA_CERTS usually points into /etc/ssl).
        ...(existsSync('/etc/ssl') ? [{ source: '/etc/ssl', target: '/etc/ssl' }] : []),
      ],
      replace: existing !== undefined,
    });
    const managed = new ManagedContainer(engine, container, write);
    await managed.followEvents();
    await managed.followLogs(createdAt);
    return managed;
  }

  get id(): string {
    return this.container.id;
  }

  /** Stops (SIGTERM, 10 s grace) and removes the container. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.events?.destroy?.();
    const handle = this.engine.docker.getContainer(this.container.id);
    await handle.stop({ t: 10 }).catch(() => {});
    this.logStream?.destroy?.();
    await this.container.remove();
    this.write(`${this.label()}│ ${pc.dim('stopped (container removed)')}`);
  }

  private label(): string {
    return colourFor(this.container.name)(this.container.name.padEnd(17));
  }

  private async followLogs(sinceSeconds: number): Promise<void> {
    this.logStream?.destroy?.();
    const stream = (await this.engine.docker.getContainer(this.container.id).logs({
      follow: true,
      stdout: true,
      stderr: true,
      timestamps: true,
      since: sinceSeconds,
    })) as NodeJS.ReadableStream & { destroy?: () => void };
    this.logStream = stream;
    const replay = { key: this.lastLogKey, remaining: this.printedAtLastKey };
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    this.engine.docker.modem.demuxStream(stream, stdout, stderr);
    stream.on('end', () => {
      stdout.end();
      stderr.end();
    });
    stream.on('error', () => {});
    for (const output of [stdout, stderr]) {
      createInterface({ input: output }).on('line', (line) => this.printLogLine(line, replay));
    }
  }

  /**
   * Lines come as `<RFC 3339 timestamp> <text>`. `since` has one-second resolution (and Podman's
   * timestamps too), so after a re-attach the lines already printed are skipped: older ones by
   * their timestamp, those sharing the last printed timestamp by count.
   */
  private printLogLine(line: string, replay: { key: bigint; remaining: number }): void {
    const space = line.indexOf(' ');
    const key = space < 0 ? undefined : nanosecondsOf(line.slice(0, space));
    if (key === undefined) {
      this.write(`${this.label()}│ ${formatLogLine(line)}`);
      return;
    }
    if (key < replay.key) return;
    if (key === replay.key && replay.remaining > 0) {
      replay.remaining -= 1;
      return;
    }
    if (key === this.lastLogKey) this.printedAtLastKey += 1;
    else {
      this.lastLogKey = key;
      this.printedAtLastKey = 1;
    }
    this.write(`${this.label()}│ ${formatLogLine(line.slice(space + 1))}`);
  }

  private async followEvents(): Promise<void> {
    const events = (await this.engine.docker.getEvents({
      filters: { container: [this.container.id], type: ['container'] },
    })) as NodeJS.ReadableStream & { destroy?: () => void };
    this.events = events;
    let buffered = '';
    events.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) {
        if (!line.trim()) continue;
        try {
          this.onEvent(JSON.parse(line) as EngineEvent);
        } catch {
          // not an event line
        }
      }
    });
    events.on('error', () => {});
  }

  private onEvent(event: EngineEvent): void {
    if (this.stopping) return;
    const action = event.Action ?? event.status ?? '';
    const now = Date.now();
    if (action === 'restart') {
      this.lastRestartEvent = now;
      this.write(pc.yellow(`${this.label()}│ restarted through the container engine (by the command-gateway or another Docker API client)`));
    } else if (action === 'stop') {
      this.lastStopEvent = now;
    } else if (action === 'start') {
      void this.followLogs(Math.floor((event.time ?? now / 1000) - 1)).catch(() => {});
      if (now - this.lastRestartEvent > 3000) {
        // Docker sends `restart` after `start`; give it a moment before calling this a plain start.
        setTimeout(() => {
          if (!this.stopping && Date.now() - this.lastRestartEvent > 3000) {
            this.write(pc.yellow(`${this.label()}│ started through the container engine`));
          }
        }, 1000);
      }
    } else if (action === 'die') {
      const code = event.Actor?.Attributes?.exitCode ?? '?';
      setTimeout(() => void this.reportExit(code, now), 1500);
    }
  }

  /** After a `die`: running again → it was a restart (already reported); else a stop or a crash. */
  private async reportExit(code: string, diedAt: number): Promise<void> {
    if (this.stopping) return;
    const details = await this.engine.docker
      .getContainer(this.container.id)
      .inspect()
      .catch(() => undefined);
    if (this.stopping || details?.State.Running) return;
    if (this.lastStopEvent >= diedAt - 1000 || this.lastRestartEvent >= diedAt - 1000) {
      this.write(pc.yellow(`${this.label()}│ stopped through the container engine (exit code ${code})`));
    } else if (code === '0') {
      // Podman's compat event stream does not always carry `stop`: a clean exit is most likely one.
      this.write(pc.yellow(`${this.label()}│ stopped (exit code 0: a stop through the container engine, or it ended by itself); not restarted`));
    } else {
      this.write(pc.red(`${this.label()}│ exited unexpectedly (exit code ${code}); not restarted — the other services keep running`));
    }
  }
}

interface EngineEvent {
  status?: string;
  Action?: string;
  time?: number;
  Actor?: { Attributes?: Record<string, string> };
}

/** An RFC 3339 timestamp with up to nanosecond precision, as nanoseconds since the epoch. */
function nanosecondsOf(timestamp: string): bigint | undefined {
  const match = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)$/.exec(timestamp);
  if (!match) return undefined;
  const milliseconds = Date.parse(`${match[1]}${match[3]}`);
  if (Number.isNaN(milliseconds)) return undefined;
  return BigInt(milliseconds) * 1_000_000n + BigInt((match[2] ?? '').padEnd(9, '0'));
}
