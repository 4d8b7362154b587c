import { randomUUID } from 'node:crypto';
import { PredictorClient } from '@atb/clients';
import type { InvestigationPorts } from '@atb/llm';
import type { Config } from '../config.js';
import { legacyCatalog } from '../catalog/load-catalog.js';
import { type ServiceCatalog, ServiceCatalogView } from '../catalog/service-catalog.js';
import { probeHealth } from '../monitoring/health-probe.js';
import type { GatewayClient } from '../remediation/gateway-client.js';
import type { LearningStore } from '../store/learning-store.js';
import { learningStats } from '../learning/learning-stats.js';

const QUERY_TIMEOUT_MS = 10_000;

async function getJson(url: URL, signal?: AbortSignal): Promise<unknown> {
  const timeout = AbortSignal.timeout(QUERY_TIMEOUT_MS);
  const response = await fetch(url, { signal: signal ? AbortSignal.any([signal, timeout]) : timeout });
  const text = await response.text();
  if (!response.ok) throw new Error(`${url.origin}${url.pathname} answered ${response.status}: ${text.slice(0, 300)}`);
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/**
 * The read-only tools an LLM investigation may use, built from the agent's own clients:
 * PromQL (`PROMETHEUS_URL`), LogQL (`LOKI_URL`), container logs/inspect/stats through the
 * gateway's read-only operations (audited there like every other request), the target's
 * `/health` and `/status`, past incidents and learning statistics from the store. A tool whose
 * backend is not configured is simply not offered.
 */
export function createInvestigationPorts(
  config: Config,
  learning: LearningStore,
  gateway: Pick<GatewayClient, 'execute'>,
  catalog: Pick<ServiceCatalog, 'get' | 'list'> = new ServiceCatalogView(legacyCatalog(config).services),
): InvestigationPorts {
  const readThroughGateway = async (container: string, intent: string, signal?: AbortSignal) => {
    const result = await gateway.execute(
      { target: container, intent, context: { reason: 'llm investigation (read-only)' }, priority: 'LOW', idempotencyKey: randomUUID() },
      signal,
    );
    if (!result.ok) throw new Error(result.error);
    const { overall_status, execution_details, reason } = result.response;
    if (overall_status !== 'success') throw new Error(`gateway ${overall_status}: ${reason ?? JSON.stringify(execution_details.execution_result)}`);
    return execution_details.execution_result;
  };
  const ports: InvestigationPorts = {
    containerLogs: (container, { tail }, signal) => readThroughGateway(container, `show the last ${tail} log lines`, signal),
    containerInspect: (container, signal) => readThroughGateway(container, 'inspect the container', signal),
    containerStats: (container, signal) => readThroughGateway(container, 'show resource usage stats', signal),
    async serviceHealth(service) {
      const entry = catalog.get(service);
      if (!entry?.health) return `unknown service "${service}"; this agent watches ${catalog.list().filter((known) => known.health).map((known) => known.name).join(', ') || 'no service'}`;
      const health = await probeHealth(entry.health.url, entry.health.timeout_seconds * 1000);
      const status = health.reachable
        ? await new PredictorClient({ baseUrl: entry.health.url, timeoutMs: QUERY_TIMEOUT_MS }).status().catch((error: Error) => `unavailable: ${error.message}`)
        : 'not read (health unreachable)';
      return { health, status };
    },
    pastIncidents: ({ alertname, service, limit }) => learning.similarIncidents(alertname, service, '', limit),
    learningStats: ({ alertname, service }) => learningStats(learning, { alertname, service }),
  };
  if (config.PROMETHEUS_URL) {
    const base = config.PROMETHEUS_URL;
    ports.prometheusQuery = async (query, signal) => {
      const url = new URL('/api/v1/query', base);
      url.searchParams.set('query', query);
      return ((await getJson(url, signal)) as { data?: unknown }).data ?? null;
    };
  }
  if (config.LOKI_URL) {
    const base = config.LOKI_URL;
    ports.lokiQuery = async (query, { since_minutes, limit }, signal) => {
      const url = new URL('/loki/api/v1/query_range', base);
      url.searchParams.set('query', query);
      url.searchParams.set('since', `${since_minutes}m`);
      url.searchParams.set('limit', String(limit));
      url.searchParams.set('direction', 'backward');
      const body = (await getJson(url, signal)) as { data?: { result?: { stream?: Record<string, string>; values?: [string, string][] }[] } };
      // Newest first (direction=backward); answered oldest first like container logs.
      const lines = (body.data?.result ?? []).flatMap((stream) => (stream.values ?? []).map(([, line]) => line));
      return lines.reverse().join('\n');
    };
  }
  return ports;
}
