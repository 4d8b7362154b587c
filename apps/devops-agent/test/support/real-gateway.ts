import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type ControlOptions, type ControlServer, type ProcessDescription, startControlServer, Supervisor } from '@atb/cli/control';
import { buildCommandGateway, readConfig as readGatewayConfig } from '@atb/command-gateway';
import type { Service } from '@atb/service-kit';
import type { FastifyRequest } from 'fastify';

/** The gateway token `startAgent` configures (AI_COMMAND_GATEWAY_TOKEN), accepted by {@link RealGateway} by default. */
export const GATEWAY_TOKEN = 'test-gateway-token-0123456789';

export const IDLE_TARGET = join(dirname(fileURLToPath(import.meta.url)), 'idle-target.mjs');

/** One request the gateway received, as it arrived and as it was answered. */
export interface ReceivedRequest {
  method: string;
  path: string;
  /** The parsed JSON body (`{}` for a request refused before its body was read). */
  body: Record<string, unknown>;
  authorization: string | undefined;
  /** The HTTP status it was answered with; `undefined` until answered. */
  status?: number;
}

/** One operation the runtime really performed on a target (a supervised process restarted, stopped or started). */
export interface PerformedOperation {
  operation: 'restart' | 'stop' | 'start';
  target: string;
}

/** `atb up`'s supervisor, recording each operation it performs for the gateway (and nothing else changed). */
export class RecordingSupervisor extends Supervisor {
  readonly performed: PerformedOperation[] = [];
  onPerformed: ((operation: PerformedOperation) => void | Promise<void>) | undefined;

  override async restart(name: string, options: ControlOptions = {}): Promise<ProcessDescription> {
    return this.record({ operation: 'restart', target: name }, await super.restart(name, options));
  }

  override async stop(name: string, options: ControlOptions = {}): Promise<ProcessDescription> {
    return this.record({ operation: 'stop', target: name }, await super.stop(name, options));
  }

  override async startAgain(name: string, options: ControlOptions = {}): Promise<ProcessDescription> {
    return this.record({ operation: 'start', target: name }, await super.startAgain(name, options));
  }

  private async record(operation: PerformedOperation, description: ProcessDescription): Promise<ProcessDescription> {
    this.performed.push(operation);
    await this.onPerformed?.(operation);
    return description;
  }
}

export interface RealGatewayOptions {
  /** Targets that exist (one supervised process each) and are allowlisted; default `market-predictor`. */
  targets?: string[];
  /** Allowlisted targets with no process behind them: operations on them fail at the runtime. */
  missingTargets?: string[];
  /** Targets that run (one supervised process each) but are not allowlisted. */
  unlistedTargets?: string[];
  /** What a target's process runs, by name; default an idle process. */
  processes?: Record<string, { script: string; env: Record<string, string> }>;
  /** The bearer token; default {@link GATEWAY_TOKEN}. */
  token?: string;
  /** More gateway settings (e.g. GATEWAY_RESTART_LIMIT). */
  environment?: Record<string, string>;
}

/**
 * The real command gateway app (`buildCommandGateway`), in this process on a loopback socket, with
 * its process runtime: the targets are real processes under `atb up`'s supervisor, reached
 * through the supervisor's control API, so a restart really stops and starts a process. It
 * records every request it receives ({@link requests}) and every operation the runtime performed
 * ({@link performed}); {@link onExecute} runs right after an operation, before the gateway answers
 * (e.g. to make a fake health endpoint healthy again, as a real restart would).
 */
export class RealGateway {
  readonly requests: ReceivedRequest[] = [];
  readonly token: string;
  url = '';
  private readonly supervisor = new RecordingSupervisor(() => {});
  private readonly received = new WeakMap<FastifyRequest, ReceivedRequest>();
  private directory = '';
  private control: ControlServer | undefined;
  private service: Service | undefined;

  constructor(private readonly options: RealGatewayOptions = {}) {
    this.token = options.token ?? GATEWAY_TOKEN;
  }

  /** Runs after the runtime performed an operation, before the gateway answers. */
  set onExecute(callback: ((operation: PerformedOperation) => void | Promise<void>) | undefined) {
    this.supervisor.onPerformed = callback;
  }

  /** Operations the runtime performed (restarts, stops, starts), in order. */
  get performed(): readonly PerformedOperation[] {
    return this.supervisor.performed;
  }

  /** How many operations the runtime performed, whatever the requests were. */
  totalExecutions(): number {
    return this.supervisor.performed.length;
  }

  /** The action requests to `POST /execute-docker-command` (not the analysis' evidence reads), in arrival order. */
  commandRequests(): ReceivedRequest[] {
    return this.allCommandRequests().filter((request) => !isEvidenceRead(request));
  }

  /** The analysis' read-only evidence requests (inspect, logs) before deciding. */
  evidenceRequests(): ReceivedRequest[] {
    return this.allCommandRequests().filter(isEvidenceRead);
  }

  private allCommandRequests(): ReceivedRequest[] {
    return this.requests.filter((request) => request.method === 'POST' && request.path === '/execute-docker-command');
  }

  async start(): Promise<string> {
    this.directory = mkdtempSync(join(tmpdir(), 'agent-real-gateway-'));
    const targets = this.options.targets ?? ['market-predictor'];
    for (const name of [...targets, ...(this.options.unlistedTargets ?? [])]) {
      const custom = this.options.processes?.[name];
      this.supervisor.start({ name, script: custom?.script ?? IDLE_TARGET, cwd: this.directory, env: { PATH: process.env.PATH ?? '', TARGET_NAME: name, ...custom?.env } });
    }
    this.control = await startControlServer(this.supervisor, { controlFile: join(this.directory, 'atb', 'control.json') });
    const config = readGatewayConfig({
      DATA_DIR: join(this.directory, 'gateway'),
      AI_COMMAND_GATEWAY_TOKEN: this.token,
      GATEWAY_RUNTIME: 'process',
      ATB_CONTROL_FILE: this.control.controlFile,
      GATEWAY_ALLOWED_TARGETS: [...targets, ...(this.options.missingTargets ?? [])].join(','),
      LOG_LEVEL: 'silent',
      ...this.options.environment,
    });
    this.service = await buildCommandGateway({ ...config, API_PORT: 0 }, { logger: false });
    this.record(this.service);
    this.url = await this.service.listen();
    return this.url;
  }

  async stop(): Promise<void> {
    await this.service?.close();
    await this.control?.close();
    await this.supervisor.stopAll(5000);
    if (this.directory) rmSync(this.directory, { recursive: true, force: true });
  }

  private record(service: Service): void {
    service.app.addHook('onRequest', async (request) => {
      this.pushed(request);
    });
    service.app.addHook('preHandler', async (request) => {
      const received = this.received.get(request);
      if (received && typeof request.body === 'object' && request.body !== null) received.body = request.body as Record<string, unknown>;
    });
    service.app.addHook('onResponse', async (request, reply) => {
      // A request the bearer hook (an earlier onRequest hook) refused never reached ours: record it now.
      const received = this.received.get(request) ?? this.pushed(request);
      received.status = reply.statusCode;
    });
  }

  private pushed(request: FastifyRequest): ReceivedRequest {
    const received: ReceivedRequest = { method: request.method, path: request.url.split('?')[0] ?? '/', body: {}, authorization: request.headers.authorization };
    this.requests.push(received);
    this.received.set(request, received);
    return received;
  }
}

/** Evidence reads say so in their context (`evidence-sources.ts`). */
function isEvidenceRead(request: ReceivedRequest): boolean {
  const context = (request.body?.action_request as { context?: { reason?: unknown } } | undefined)?.context;
  return typeof context === 'object' && context !== null && context.reason === 'evidence (read-only)';
}
