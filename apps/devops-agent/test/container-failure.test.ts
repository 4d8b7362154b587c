import type { ContainerEvent } from '@atb/contracts';
import { describe, expect, it } from 'vitest';
import type { ServiceEntry } from '../src/catalog/catalog-schema.js';
import { ownerOfContainer } from '../src/catalog/service-catalog.js';
import { failureAlert, isStaleFailure, meaningOf } from '../src/incidents/container-failure.js';
import { groupKeyOf } from '../src/incidents/grouping.js';

const event = (type: ContainerEvent['type'], extra: Partial<ContainerEvent> = {}): ContainerEvent => ({
  id: '1700000000000000',
  type,
  target: 'market-predictor',
  container_id: 'abc123',
  time: '2026-01-01T00:00:00.000Z',
  runtime: 'docker',
  initiated_by: 'external',
  ...extra,
});
const byGateway = { initiated_by: 'gateway' as const, request_id: 'r-1', operation: 'restart' };

describe('container events as failures', () => {
  it('a death, an OOM kill and an unhealthy report are failures; the same by the gateway is none', () => {
    expect(meaningOf(event('container-died', { exit_code: 137 }))).toEqual({ raise: 'died' });
    expect(meaningOf(event('container-oom'))).toEqual({ raise: 'oom' });
    expect(meaningOf(event('container-health-changed', { health_status: 'unhealthy' }))).toEqual({ raise: 'unhealthy' });
    expect(meaningOf(event('container-died', { exit_code: 137, ...byGateway }))).toBeUndefined();
    expect(meaningOf(event('container-stopped', byGateway))).toBeUndefined();
    expect(meaningOf(event('container-health-changed', { health_status: 'unhealthy', ...byGateway }))).toBeUndefined();
  });

  it('a start by anyone clears every failure; a healthy report clears an unhealthy one; starting health says nothing', () => {
    expect(meaningOf(event('container-started', byGateway))).toEqual({ clear: ['died', 'oom', 'unhealthy'] });
    expect(meaningOf(event('container-restarted'))).toEqual({ clear: ['died', 'oom', 'unhealthy'] });
    expect(meaningOf(event('container-health-changed', { health_status: 'healthy' }))).toEqual({ clear: ['unhealthy'] });
    expect(meaningOf(event('container-health-changed', { health_status: 'starting' }))).toBeUndefined();
  });

  it('the alert of a death carries the event; each death is its own alert by its time', () => {
    const first = failureAlert(event('container-died', { exit_code: 70 }), 'died');
    const second = failureAlert(event('container-died', { exit_code: 70, time: '2026-01-01T00:01:00.000Z' }), 'died');
    expect(first.labels).toMatchObject({ alertname: 'ContainerDown', service: 'market-predictor', container: 'market-predictor', category: 'availability' });
    expect(JSON.parse(first.annotations.event!)).toMatchObject({ type: 'container-died', exit_code: 70 });
    expect(second.fingerprint).toBe(first.fingerprint);
    expect(second.starts_at).not.toBe(first.starts_at);
  });

  it('availability alerts of one service share a grouping key whatever their name; others keep theirs', () => {
    const groupBy = ['service', 'alertname'];
    const died = groupKeyOf(failureAlert(event('container-died'), 'died').labels, groupBy);
    expect(groupKeyOf({ alertname: 'TargetDown', service: 'market-predictor', category: 'availability' }, groupBy)).toBe(died);
    expect(groupKeyOf({ alertname: 'MarketPredictorHung', service: 'market-predictor', category: 'availability' }, groupBy)).toBe(died);
    expect(groupKeyOf({ alertname: 'ContainerDown', service: 'other', category: 'availability' }, groupBy)).not.toBe(died);
    expect(groupKeyOf({ alertname: 'MarketPredictorHighMemory', service: 'market-predictor', category: 'resources' }, groupBy)).not.toBe(died);
  });

  it('a failure an event reported before the service last recovered is stale; one at or after it, or of another source, is not', () => {
    const died = failureAlert(event('container-died', { time: '2026-01-01T00:00:00.000Z' }), 'died');
    expect(isStaleFailure(died, '2026-01-01T00:00:05.000Z')).toBe(true);
    expect(isStaleFailure(died, '2026-01-01T00:00:00.000Z')).toBe(false);
    expect(isStaleFailure(died, '2025-12-31T23:59:59.000Z')).toBe(false);
    expect(isStaleFailure(died, null)).toBe(false);
    expect(isStaleFailure({ ...died, labels: { ...died.labels, source: 'health-check' } }, '2026-01-01T00:00:05.000Z')).toBe(false);
  });

  it('the alert of an owned container names its service; the container stays the one that died', () => {
    const alert = failureAlert(event('container-died', { target: 'billing-api' }), 'died', { service: 'billing', labels: { catalog_service: 'billing' } });
    expect(alert.labels).toMatchObject({ service: 'billing', catalog_service: 'billing', container: 'billing-api' });
    expect(alert.annotations.summary).toBe('billing (container billing-api) died');
  });

  it('a container belongs to the entry that targets it by name, else by every label; the one-entry catalog owns all', () => {
    const entry = (name: string, target: ServiceEntry['target']): ServiceEntry => ({
      name,
      alerts: [{ service: name }],
      health: undefined,
      target,
      owners: [],
      escalation_channel: undefined,
      repository: undefined,
      runbooks: [],
      autonomous: true,
    });
    const catalog = [entry('billing', { container: 'billing-api' }), entry('search', { labels: { app: 'search', tier: 'web' } })];
    expect(ownerOfContainer(catalog, { name: 'billing-api' })?.name).toBe('billing');
    expect(ownerOfContainer(catalog, { name: 'search-1', labels: { app: 'search', tier: 'web', extra: 'x' } })?.name).toBe('search');
    expect(ownerOfContainer(catalog, { name: 'search-2', labels: { app: 'search' } })).toBeUndefined();
    expect(ownerOfContainer(catalog, { name: 'billing' })).toBeUndefined();
    expect(ownerOfContainer([entry('market-predictor', { container: 'market-predictor', fromAlert: true })], { name: 'anything' })?.name).toBe('market-predictor');
  });
});
