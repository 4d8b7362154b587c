import { describe, expect, it } from 'vitest';
import { ContainerRuns, type DockerEngineEvent, mapDockerEvent } from './docker-events.js';

// Shapes as Podman 4.3's compat API and Docker send them.
const actor = (attributes: Record<string, string> = {}) => ({
  ID: '757d50839a61',
  Attributes: { 'atb.role': 'service', containerExitCode: '0', image: 'localhost/atb-node-base:latest', name: 'web', podId: '', ...attributes },
});
const at = { time: 1796170697, timeNano: 1796170697467505200 };

describe('mapDockerEvent', () => {
  const cases: [string, DockerEngineEvent, Record<string, unknown> | undefined][] = [
    ['start', { Type: 'container', Action: 'start', Actor: actor(), ...at }, { type: 'container-started' }],
    ['stop', { Type: 'container', Action: 'stop', Actor: actor(), ...at }, { type: 'container-stopped' }],
    ['restart', { Type: 'container', Action: 'restart', Actor: actor(), ...at }, { type: 'container-restarted' }],
    ['oom', { Type: 'container', Action: 'oom', Actor: actor(), ...at }, { type: 'container-oom' }],
    [
      'die with exitCode',
      { Type: 'container', Action: 'die', Actor: actor({ exitCode: '137', containerExitCode: '137' }), ...at },
      { type: 'container-died', exit_code: 137 },
    ],
    ['die, Docker form', { Type: 'container', Action: 'die', Actor: { ID: 'abc', Attributes: { name: 'web', exitCode: '1' } }, ...at }, { exit_code: 1 }],
    ['health, Docker form', { Type: 'container', Action: 'health_status: unhealthy', Actor: actor(), ...at }, { type: 'container-health-changed', health_status: 'unhealthy' }],
    ['health, Podman form', { Type: 'container', Action: 'health_status', Actor: actor(), HealthStatus: 'healthy', ...at }, { health_status: 'healthy' }],
    ['exec_died is not a death', { Type: 'container', Action: 'exec_died', Actor: actor({ containerExitCode: '1' }), ...at }, undefined],
    ['create', { Type: 'container', Action: 'create', Actor: actor(), ...at }, undefined],
    ['an image event', { Type: 'image', Action: 'pull', Actor: actor(), ...at }, undefined],
    ['no actor', { Type: 'container', Action: 'die', ...at }, undefined],
  ];
  for (const [name, raw, expected] of cases) {
    it(name, () => {
      const event = mapDockerEvent(raw);
      if (expected === undefined) expect(event).toBeUndefined();
      else expect(event).toMatchObject(expected);
    });
  }

  it('keeps the labels, not the engine attributes, and the time in ms from timeNano', () => {
    const event = mapDockerEvent({ Type: 'container', Action: 'die', Actor: actor({ exitCode: '0' }), ...at });
    expect(event).toEqual({
      type: 'container-died',
      target: 'web',
      container_id: '757d50839a61',
      time: '2026-12-02T00:18:17.467Z',
      labels: { 'atb.role': 'service' },
      exit_code: 0,
    });
  });
});

describe('ContainerRuns', () => {
  it('reports one death per run, placing each by its own time even when it arrives after the next start', () => {
    const runs = new ContainerRuns();
    runs.started('c', 100);
    expect(runs.firstDeath('c', 200)).toBe(true);
    // The same exit recorded again (Podman's API service syncing after a restart): a repeat.
    expect(runs.firstDeath('c', 250)).toBe(false);
    runs.started('c', 300);
    // A repeat of the earlier exit that arrives only after the next start: still the old run.
    expect(runs.firstDeath('c', 260)).toBe(false);
    expect(runs.firstDeath('c', 400)).toBe(true);
    expect(runs.firstDeath('other', 400)).toBe(true);
  });
});
