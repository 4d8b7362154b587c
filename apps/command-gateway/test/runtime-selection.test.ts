import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig } from '@atb/service-kit';
import { describeWithComponent } from '@atb/testing';
import { type PodmanEngine, probePodman, startPodman } from '@atb/testing/podman';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createRuntime } from '../src/runtime/create-runtime.js';
import { runtimeConfigShape } from '../src/runtime/runtime-config.js';

const schema = z.object(runtimeConfigShape);
const nowhere = mkdtempSync(join(tmpdir(), 'atb-runtime-selection-'));
const noEngine = [`unix://${join(nowhere, 'docker.sock')}`, `unix://${join(nowhere, 'podman.sock')}`];

afterAll(() => rmSync(nowhere, { recursive: true, force: true }));

describe('runtime configuration', () => {
  it('defaults to auto and the control file under .data/atb', () => {
    expect(loadConfig(schema, {})).toEqual({ GATEWAY_RUNTIME: 'auto', ATB_CONTROL_FILE: '.data/atb/control.json' });
  });

  it('names the variable and what it expects', () => {
    expect(() => loadConfig(schema, { GATEWAY_RUNTIME: 'kubernetes' })).toThrow(/GATEWAY_RUNTIME: expected one of auto, docker, process/);
    expect(() => loadConfig(schema, { DOCKER_HOST: 'ssh://host' })).toThrow(ConfigError);
    expect(() => loadConfig(schema, { DOCKER_HOST: 'ssh://host' })).toThrow(/DOCKER_HOST: the scheme ssh:\/\/ is not supported; expected unix:\/\/\/path/);
    expect(() => loadConfig(schema, { DOCKER_HOST: 'tcp://host:99999' })).toThrow(/DOCKER_HOST: port 99999 is outside 1..65535/);
    expect(loadConfig(schema, { DOCKER_HOST: 'tcp://10.0.0.5:2375' }).DOCKER_HOST).toBe('tcp://10.0.0.5:2375');
  });

  it('chooses the process runtime when asked, or when no engine answers', async () => {
    const asked = await createRuntime(loadConfig(schema, { GATEWAY_RUNTIME: 'process', DOCKER_HOST: noEngine[0] }));
    expect(asked.kind).toBe('process');
    const auto = await createRuntime(loadConfig(schema, {}), { defaultDockerHosts: noEngine });
    expect(auto.kind).toBe('process');
  });

  it('keeps docker when asked for, even if the engine does not answer (its errors then say so)', async () => {
    const runtime = await createRuntime(loadConfig(schema, { GATEWAY_RUNTIME: 'docker' }), { defaultDockerHosts: noEngine });
    expect(runtime.kind).toBe('docker');
    expect(await runtime.ping()).toBe(false);
    await expect(runtime.list()).rejects.toThrow(noEngine[0] ?? '');
  });
});

describeWithComponent('Podman', await probePodman(), 'install it: bash scripts/install-system-deps.sh', () => {
  let engine: PodmanEngine;
  beforeAll(async () => {
    engine = await startPodman();
  });
  afterAll(async () => {
    await engine?.close();
  });

  it('auto chooses docker when a default engine socket answers', async () => {
    const runtime = await createRuntime(loadConfig(schema, {}), { defaultDockerHosts: [...noEngine, engine.dockerHost] });
    expect(runtime.kind).toBe('docker');
    expect(await runtime.ping()).toBe(true);
  });

  it('auto uses DOCKER_HOST when it is set', async () => {
    const runtime = await createRuntime(loadConfig(schema, { DOCKER_HOST: engine.dockerHost }), { defaultDockerHosts: noEngine });
    expect(runtime.kind).toBe('docker');
    expect(await runtime.ping()).toBe(true);
  });
});
