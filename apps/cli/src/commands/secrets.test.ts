import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { createProgram } from '../program.js';
import { SECRET_FILES } from './secrets.js';

const directories: string[] = [];
afterEach(() => {
  for (const directory of directories.splice(0)) rmSync(directory, { recursive: true, force: true });
  process.exitCode = undefined;
});

function parseEnv(text: string): Record<string, string> {
  return Object.fromEntries(
    text
      .split('\n')
      .filter((line) => line.includes('='))
      .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
  );
}

async function secretsInit(...args: string[]): Promise<void> {
  await createProgram().exitOverride().parseAsync(['node', 'atb', 'secrets', 'init', ...args]);
}

it('writes matching secrets for the gateway, the agent and Alertmanager, readable only where they must be', async () => {
  const directory = join(mkdtempSync(join(tmpdir(), 'atb-secrets-')), 'secrets');
  directories.push(directory);
  await secretsInit('--dir', directory);
  expect(process.exitCode).toBeUndefined();

  const gateway = parseEnv(readFileSync(join(directory, SECRET_FILES.gateway), 'utf8'));
  const agent = parseEnv(readFileSync(join(directory, SECRET_FILES.agent), 'utf8'));
  const webhookPassword = readFileSync(join(directory, SECRET_FILES.webhookPassword), 'utf8');
  expect(gateway.ENVIRONMENT).toBe('production');
  expect(agent.ENVIRONMENT).toBe('production');
  expect(gateway.AI_COMMAND_GATEWAY_TOKEN).toMatch(/^[A-Za-z0-9_-]{43}$/);
  expect(agent.AI_COMMAND_GATEWAY_TOKEN).toBe(gateway.AI_COMMAND_GATEWAY_TOKEN);
  expect(agent.WEBHOOK_USERNAME).toBe('alertmanager');
  expect(agent.WEBHOOK_PASSWORD).toBe(webhookPassword);
  expect(agent.AGENT_API_TOKEN).toMatch(/^[A-Za-z0-9_-]{43}$/);
  expect(readFileSync(join(directory, SECRET_FILES.agentToken), 'utf8').trim()).toBe(agent.AGENT_API_TOKEN);
  const coding = parseEnv(readFileSync(join(directory, SECRET_FILES.coding), 'utf8'));
  expect(coding.ENVIRONMENT).toBe('production');
  expect(coding.CODING_AGENT_API_TOKEN).toMatch(/^[A-Za-z0-9_-]{43}$/);
  expect(agent.CODING_AGENT_TOKEN).toBe(coding.CODING_AGENT_API_TOKEN);
  expect(gateway.AUDIT_HMAC_KEY).toMatch(/^[A-Za-z0-9_-]{43}$/);
  expect(agent.AUDIT_HMAC_KEY).toMatch(/^[A-Za-z0-9_-]{43}$/);
  const distinct = [agent.AGENT_API_TOKEN, gateway.AI_COMMAND_GATEWAY_TOKEN, webhookPassword, coding.CODING_AGENT_API_TOKEN, gateway.AUDIT_HMAC_KEY, agent.AUDIT_HMAC_KEY];
  expect(new Set(distinct).size).toBe(distinct.length);

  expect(statSync(directory).mode & 0o777).toBe(0o700);
  expect(statSync(join(directory, SECRET_FILES.gateway)).mode & 0o777).toBe(0o600);
  expect(statSync(join(directory, SECRET_FILES.agent)).mode & 0o777).toBe(0o600);
  expect(statSync(join(directory, SECRET_FILES.coding)).mode & 0o777).toBe(0o600);
  expect(statSync(join(directory, SECRET_FILES.webhookPassword)).mode & 0o777).toBe(0o644);
});

it('refuses to replace existing secrets without --force, and replaces them with it', async () => {
  const directory = mkdtempSync(join(tmpdir(), 'atb-secrets-'));
  directories.push(directory);
  await secretsInit('--dir', directory);
  const first = readFileSync(join(directory, SECRET_FILES.agent), 'utf8');

  await secretsInit('--dir', directory);
  expect(process.exitCode).toBe(1);
  expect(readFileSync(join(directory, SECRET_FILES.agent), 'utf8')).toBe(first);

  process.exitCode = undefined;
  await secretsInit('--dir', directory, '--force');
  expect(process.exitCode).toBeUndefined();
  expect(readFileSync(join(directory, SECRET_FILES.agent), 'utf8')).not.toBe(first);
});
