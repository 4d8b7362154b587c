import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ExecuteCommandResponse } from '@atb/contracts';
import type { Service } from '@atb/service-kit';
import { type BuildOptions, buildCommandGateway } from '../../src/app.js';
import { readConfig } from '../../src/config.js';
import type { ContainerRuntime } from '../../src/runtime/container-runtime.js';
import { FakeRuntime } from './fake-runtime.js';

/** A gateway answer: the response contract, or an error body (`error`, `field`, `message`). */
export type GatewayBody = ExecuteCommandResponse & { error?: string; field?: string; message?: string };

export interface GatewayFixture<Runtime extends ContainerRuntime = FakeRuntime> {
  service: Service;
  runtime: Runtime;
  token: string;
  dataDirectory: string;
  /** Injects `POST /execute-docker-command` with the token. */
  execute(body: unknown, headers?: Record<string, string>): Promise<{ statusCode: number; body: GatewayBody }>;
  close(): Promise<void>;
}

/** A gateway on a fresh data directory with a recording fake engine, for in-process tests. */
export async function startGateway<Runtime extends ContainerRuntime = FakeRuntime>(
  environment: Record<string, string> = {},
  options: Omit<BuildOptions, 'runtime'> & { runtime?: Runtime; dataDirectory?: string; keepData?: boolean } = {},
): Promise<GatewayFixture<Runtime>> {
  const { dataDirectory: given, keepData, ...buildOptions } = options;
  const dataDirectory = given ?? mkdtempSync(join(tmpdir(), 'gateway-test-'));
  const token = environment.AI_COMMAND_GATEWAY_TOKEN ?? randomBytes(24).toString('hex');
  const runtime = options.runtime ?? (new FakeRuntime() as ContainerRuntime as Runtime);
  const config = readConfig({
    DATA_DIR: dataDirectory,
    AI_COMMAND_GATEWAY_TOKEN: token,
    ...environment,
  });
  // Port 0: the system picks a free port when a test listens on a real socket.
  const service = await buildCommandGateway({ ...config, API_PORT: 0 }, { logger: false, ...buildOptions, runtime });
  return {
    service,
    runtime,
    token,
    dataDirectory,
    async execute(body, headers = { authorization: `Bearer ${token}` }) {
      const response = await service.app.inject({ method: 'POST', url: '/execute-docker-command', payload: body as object, headers });
      return { statusCode: response.statusCode, body: response.json<GatewayBody>() };
    },
    async close() {
      await service.close();
      if (!keepData) rmSync(dataDirectory, { recursive: true, force: true });
    },
  };
}

/** A well-formed request; override any part. */
export function commandRequest(intent: string, overrides: Record<string, unknown> = {}) {
  return {
    source_id: 'devops-agent',
    target_resource: { name: 'market-predictor' },
    action_request: { intent, context: 'high error rate for 5 minutes', priority: 'HIGH' },
    ...overrides,
  };
}
