import { join } from 'node:path';
import { createProgram, formatGatewayAnswer, gatewayAuditVerify, gatewayExec, readGatewayToken } from '@atb/cli';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type GatewayFixture, startGateway } from './support/gateway-fixture.js';

describe('atb gateway (the CLI against a running gateway)', () => {
  let gateway: GatewayFixture;
  let config: {
    AI_COMMAND_GATEWAY_URL: string;
    AI_COMMAND_GATEWAY_TOKEN: string | undefined;
    AI_COMMAND_GATEWAY_TOKEN_FILE: string;
  };
  beforeAll(async () => {
    gateway = await startGateway();
    config = {
      AI_COMMAND_GATEWAY_URL: await gateway.service.listen(),
      AI_COMMAND_GATEWAY_TOKEN: undefined,
      AI_COMMAND_GATEWAY_TOKEN_FILE: '.data/command-gateway/api-token',
    };
  });
  afterAll(async () => gateway.close());

  it('reads the token from AI_COMMAND_GATEWAY_TOKEN, else from the token file, else says what to do', async () => {
    const { writeFileSync } = await import('node:fs');
    writeFileSync(join(gateway.dataDirectory, 'api-token'), `${gateway.token}\n`, { mode: 0o600 });
    expect(readGatewayToken({ ...config, AI_COMMAND_GATEWAY_TOKEN_FILE: 'api-token' }, ['/nonexistent', gateway.dataDirectory])).toBe(
      gateway.token,
    );
    expect(readGatewayToken({ ...config, AI_COMMAND_GATEWAY_TOKEN: 'from-env' })).toBe('from-env');
    expect(() => readGatewayToken({ ...config, AI_COMMAND_GATEWAY_TOKEN_FILE: '/nonexistent/api-token' })).toThrow(
      /AI_COMMAND_GATEWAY_TOKEN/,
    );
  });

  it('exec --dry-run prints the plan and executes nothing', async () => {
    const answer = await gatewayExec({ ...config, AI_COMMAND_GATEWAY_TOKEN: gateway.token }, 'market-predictor', 'stop it', {
      dryRun: true,
    });
    expect(answer.body).toMatchObject({ overall_status: 'success', dry_run: true, plan: { operation: 'stop' } });
    const text = formatGatewayAnswer(answer);
    expect(text).toContain('stop market-predictor');
    expect(text).toContain('docker stop market-predictor');
    expect(gateway.runtime.calls).toEqual([]);
  });

  it('exec runs the intent as atb-cli, and rejections show the reason and examples', async () => {
    const answer = await gatewayExec({ ...config, AI_COMMAND_GATEWAY_TOKEN: gateway.token }, 'market-predictor', 'stop it');
    expect(answer.body).toMatchObject({ overall_status: 'success' });
    expect(gateway.runtime.mutations()).toEqual([{ method: 'stop', name: 'market-predictor' }]);
    const rejected = await gatewayExec({ ...config, AI_COMMAND_GATEWAY_TOKEN: gateway.token }, 'market-predictor', 'exec into it');
    expect(formatGatewayAnswer(rejected)).toMatch(/rejected[\s\S]*reason[\s\S]*restart the service/);
  });

  it('a wrong token is reported, not thrown', async () => {
    const answer = await gatewayExec({ ...config, AI_COMMAND_GATEWAY_TOKEN: 'wrong-token-wrong' }, 'market-predictor', 'inspect');
    expect(answer.status).toBe(401);
    expect(formatGatewayAnswer(answer)).toContain('401');
  });

  it('`atb gateway exec` and `atb gateway audit verify` through the command tree', async () => {
    const previous = { ...process.env };
    process.env.AI_COMMAND_GATEWAY_URL = config.AI_COMMAND_GATEWAY_URL;
    process.env.AI_COMMAND_GATEWAY_TOKEN = gateway.token;
    const written: string[] = [];
    const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
      written.push(String(chunk));
      return true;
    });
    try {
      await createProgram().parseAsync(['node', 'atb', 'gateway', 'exec', 'market-predictor', 'show the last 2 log lines', '--json']);
      expect(JSON.parse(written.join(''))).toMatchObject({ overall_status: 'success', execution_details: { execution_result: 'line 1\nline 2' } });
      written.length = 0;
      await createProgram().parseAsync(['node', 'atb', 'gateway', 'audit', 'verify']);
      // picocolors colours output when CI=true: compare the text without escape codes.
      expect(written.join('').replace(/\u001b\[[0-9;]*m/g, '')).toMatch(/audit chain intact: \d+ records/);
      expect(process.exitCode ?? 0).toBe(0);
    } finally {
      write.mockRestore();
      process.env = previous;
      process.exitCode = undefined;
    }
    const verified = await gatewayAuditVerify({ ...config, AI_COMMAND_GATEWAY_TOKEN: gateway.token });
    expect(verified.body).toMatchObject({ valid: true });
  });
});
