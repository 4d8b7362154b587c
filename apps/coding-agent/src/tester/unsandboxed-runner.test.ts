import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UnsandboxedRunner } from './unsandboxed-runner.js';

describe('UnsandboxedRunner (ENABLE_SANDBOXING=false)', () => {
  let workspace: string;
  const runner = new UnsandboxedRunner();
  beforeAll(async () => {
    workspace = await mkdtemp(join(tmpdir(), 'atb-unsandboxed-'));
  });
  afterAll(async () => {
    await rm(workspace, { recursive: true, force: true });
  });

  it('runs in the workspace with only the given environment', async () => {
    const result = await runner.run({ workspace, command: ['sh', '-c', 'pwd; echo "[$SECRET_THING]"; exit 3'], env: { PATH: '/usr/bin:/bin' }, timeoutMs: 10_000, memoryBytes: 1e9 });
    expect(result).toMatchObject({ exitCode: 3, timedOut: false });
    expect(result.stdout).toBe(`${workspace}\n[]\n`);
  });

  it('kills the whole process group on timeout', async () => {
    const result = await runner.run({ workspace, command: ['sh', '-c', 'sleep 876543 & sleep 876543'], env: { PATH: '/usr/bin:/bin' }, timeoutMs: 300, memoryBytes: 1e9 });
    expect(result.timedOut).toBe(true);
    let leftovers = '';
    try {
      leftovers = execFileSync('pgrep', ['-f', 'sleep 876543'], { encoding: 'utf8' });
    } catch {
      leftovers = '';
    }
    expect(leftovers).toBe('');
  });

  it('bounds the output it keeps', async () => {
    const result = await runner.run({ workspace, command: ['sh', '-c', 'head -c 100000 /dev/zero'], env: { PATH: '/usr/bin:/bin' }, timeoutMs: 10_000, memoryBytes: 1e9, outputLimitBytes: 1000 });
    expect(result.stdout.length).toBeLessThanOrEqual(1000);
    expect(result.truncatedBytes).toBeGreaterThan(0);
  });
});
