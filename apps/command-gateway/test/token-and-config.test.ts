import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '@atb/service-kit';
import { afterAll, describe, expect, it } from 'vitest';
import { buildCommandGateway } from '../src/app.js';
import { createBearerCheck, MissingTokenError, resolveApiToken } from '../src/auth/api-token.js';
import { readConfig } from '../src/config.js';
import { FakeRuntime } from './support/fake-runtime.js';

const directories: string[] = [];
const freshDirectory = () => {
  const directory = mkdtempSync(join(tmpdir(), 'gateway-token-'));
  directories.push(directory);
  return directory;
};
afterAll(() => {
  for (const directory of directories) rmSync(directory, { recursive: true, force: true });
});

describe('the API token', () => {
  it('in development with none configured, is generated once into <DATA_DIR>/api-token with mode 0600', async () => {
    const dataDirectory = join(freshDirectory(), 'nested');
    const config = readConfig({ DATA_DIR: dataDirectory });
    const service = await buildCommandGateway(config, { runtime: new FakeRuntime(), logger: false });
    try {
      const file = join(dataDirectory, 'api-token');
      expect(statSync(file).mode & 0o777).toBe(0o600);
      const token = readFileSync(file, 'utf8').trim();
      expect(token.length).toBeGreaterThanOrEqual(32);
      const body = {
        source_id: 'atb-cli',
        target_resource: { name: 'market-predictor' },
        action_request: { intent: 'inspect' },
      };
      const denied = await service.app.inject({ method: 'POST', url: '/execute-docker-command', payload: body });
      expect(denied.statusCode).toBe(401);
      const allowed = await service.app.inject({
        method: 'POST',
        url: '/execute-docker-command',
        payload: body,
        headers: { authorization: `Bearer ${token}` },
      });
      expect(allowed.json()).toMatchObject({ overall_status: 'success' });
      // A second start reads the same token back.
      expect(resolveApiToken({ configured: undefined, environment: 'development', dataDirectory })).toEqual({
        token,
        origin: 'file',
        file,
        principal: expect.stringMatching(/^token:[0-9a-f]{8}$/),
      });
    } finally {
      await service.close();
    }
  });

  it('AI_COMMAND_GATEWAY_TOKEN wins and writes no file', () => {
    const dataDirectory = freshDirectory();
    const resolved = resolveApiToken({ configured: 'a-configured-token-123', environment: 'development', dataDirectory });
    expect(resolved).toEqual({ token: 'a-configured-token-123', origin: 'environment', principal: expect.stringMatching(/^token:/) });
    expect(existsSync(join(dataDirectory, 'api-token'))).toBe(false);
  });

  it('in production without a token the gateway refuses to start, naming the variable', () => {
    expect(() => readConfig({ ENVIRONMENT: 'production' })).toThrow(ConfigError);
    expect(() => readConfig({ ENVIRONMENT: 'production' })).toThrow(/AI_COMMAND_GATEWAY_TOKEN/);
    expect(() => resolveApiToken({ configured: undefined, environment: 'production', dataDirectory: freshDirectory() })).toThrow(
      MissingTokenError,
    );
    expect(() => readConfig({ ENVIRONMENT: 'production', AI_COMMAND_GATEWAY_TOKEN: 'x'.repeat(32) })).toThrow(/AUDIT_HMAC_KEY/);
    expect(readConfig({ ENVIRONMENT: 'production', AI_COMMAND_GATEWAY_TOKEN: 'x'.repeat(32), AUDIT_HMAC_KEY: 'k'.repeat(32) }).ENVIRONMENT).toBe('production');
  });

  it.each([
    ['Bearer right-token-0123456789', true],
    ['bearer right-token-0123456789', true],
    ['Bearer right-token-012345678', false],
    ['Bearer right-token-01234567890', false],
    ['Bearer ', false],
    ['right-token-0123456789', false],
    ['Basic right-token-0123456789', false],
  ])('the bearer check answers %j → %s', (header, expected) => {
    expect(createBearerCheck('right-token-0123456789')(header)).toBe(expected);
  });
});

describe('configuration', () => {
  it.each([
    [{ AI_COMMAND_GATEWAY_TIMEOUT: '0' }, 'AI_COMMAND_GATEWAY_TIMEOUT'],
    [{ AI_COMMAND_GATEWAY_TIMEOUT: 'soon' }, 'AI_COMMAND_GATEWAY_TIMEOUT'],
    [{ AI_COMMAND_GATEWAY_TOKEN: 'short' }, 'AI_COMMAND_GATEWAY_TOKEN'],
    [{ GATEWAY_RESTART_LIMIT: '-1' }, 'GATEWAY_RESTART_LIMIT'],
    [{ GATEWAY_CLAIM_LEASE_SECONDS: '0' }, 'GATEWAY_CLAIM_LEASE_SECONDS'],
    [{ GATEWAY_CLAIM_LEASE_SECONDS: 'long' }, 'GATEWAY_CLAIM_LEASE_SECONDS'],
  ])('%j is refused naming %s', (environment, variable) => {
    expect(() => readConfig(environment)).toThrow(new RegExp(variable));
  });

  it('a bad policy file stops start-up naming GATEWAY_POLICY_FILE', async () => {
    const config = readConfig({ DATA_DIR: freshDirectory(), GATEWAY_POLICY_FILE: '/nonexistent/policy.yaml' });
    await expect(buildCommandGateway(config, { runtime: new FakeRuntime(), logger: false })).rejects.toThrow(
      /GATEWAY_POLICY_FILE/,
    );
  });
});
