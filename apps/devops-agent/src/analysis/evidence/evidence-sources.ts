import { randomUUID } from 'node:crypto';
import type { AnalysisContext, LogEvidence } from '@atb/contracts';
import type { Config } from '../../config.js';
import { type HealthReading, probeHealth } from '../../monitoring/health-probe.js';
import type { GatewayClient } from '../../remediation/gateway-client.js';
import type { EvidencePorts } from './gather-evidence.js';
import { healthDetail } from './health-detail.js';
import { logSignatures } from './log-signatures.js';
import { lokiEvidenceQuery, readLokiLines } from './loki-lines.js';
import { readMetrics } from './metric-queries.js';
import { runtimeView } from './runtime-view.js';

/** Log lines read for error signatures. */
const LOG_TAIL = 200;
/** How far back Loki is asked for error lines. */
const LOKI_WINDOW_MINUTES = 15;

const message = (error: unknown) => (error instanceof Error ? error.message : String(error));

export interface EvidenceTarget {
  service: string;
  /** The runtime target (container) name; the service name unless a label says otherwise. */
  container: string;
  /** Health URL base when the agent knows how to probe this service. */
  healthUrl?: string;
  /** A health reading already taken for this incident (by the detector), reused instead of probing again. */
  healthReading?: HealthReading;
  /** Told the raw reading the health evidence was made from. */
  onHealth?: (reading: HealthReading) => void;
  /** Reads health another way (the detector's evidence, or a short recheck); `undefined` when there is none. */
  readHealth?: () => Promise<ProbedHealth | undefined>;
}

/** A health reading as the analysis context holds it (no HTTP status or time of check). */
export type ProbedHealth = NonNullable<AnalysisContext['health']>;

/** One read-only gateway operation; a refusal or failure becomes an error naming the gateway's reason. */
async function readThroughGateway(gateway: Pick<GatewayClient, 'execute'>, container: string, intent: string, signal: AbortSignal): Promise<unknown> {
  const result = await gateway.execute({ target: container, intent, context: { reason: 'evidence (read-only)' }, priority: 'LOW', idempotencyKey: randomUUID() }, signal);
  if (!result.ok) throw new Error(result.error);
  const { overall_status, execution_details, reason } = result.response;
  if (overall_status !== 'success') throw new Error(`gateway ${overall_status}: ${reason ?? JSON.stringify(execution_details.execution_result).slice(0, 200)}`);
  return execution_details.execution_result;
}

/**
 * The log source: the container's newest lines through the gateway's read-only `logs`; with
 * `LOKI_URL` set, Loki's newest error lines of the target (LogQL, asked at the same time) when
 * the gateway cannot read them. Both failing is one error naming both reasons.
 */
function logSource(config: Config, gateway: Pick<GatewayClient, 'execute'>, target: EvidenceTarget): (signal: AbortSignal) => Promise<LogEvidence> {
  const containerLogs = async (signal: AbortSignal): Promise<LogEvidence> => {
    const lines = await readThroughGateway(gateway, target.container, `show the last ${LOG_TAIL} log lines`, signal);
    return { ...logSignatures(Array.isArray(lines) ? lines.map(String) : String(lines).split('\n')), origin: 'container' };
  };
  if (!config.LOKI_URL) return containerLogs;
  const base = config.LOKI_URL;
  const query = lokiEvidenceQuery(config.LOKI_EVIDENCE_SELECTOR, target);
  return async (signal) => {
    const fromLoki = readLokiLines(base, query, { limit: LOG_TAIL, sinceMinutes: LOKI_WINDOW_MINUTES }, signal);
    // Awaited only when the gateway fails; its failure must not go unhandled meanwhile.
    fromLoki.catch(() => {});
    try {
      return await containerLogs(signal);
    } catch (gatewayError) {
      try {
        return { ...logSignatures(await fromLoki), origin: 'loki' };
      } catch (lokiError) {
        throw new Error(`container logs: ${message(gatewayError)}; Loki: ${message(lokiError)}`);
      }
    }
  };
}

/**
 * The live evidence sources for one incident: the health probe (or the detector's reading),
 * inspect through the gateway's read-only operations, logs ({@link logSource}), Prometheus when
 * `PROMETHEUS_URL` is set.
 */
export function evidencePorts(config: Config, gateway: Pick<GatewayClient, 'execute'>, target: EvidenceTarget): EvidencePorts {
  const slowMs = config.SLOW_RESPONSE_THRESHOLD_MS;
  const ports: EvidencePorts = {
    runtime: async (signal) => runtimeView(await readThroughGateway(gateway, target.container, 'inspect the container', signal)),
    logs: logSource(config, gateway, target),
  };
  const read = async (reading: HealthReading) => {
    target.onHealth?.(reading);
    return healthDetail(reading, slowMs);
  };
  if (target.readHealth) {
    const readHealth = target.readHealth;
    ports.health = async () => {
      const health = await readHealth();
      return health ? healthDetail({ ...health, response_time_ms: health.response_time_ms ?? 0, checked_at: '' }, slowMs) : undefined;
    };
  } else if (target.healthReading) {
    const reading = target.healthReading;
    ports.health = () => read(reading);
  } else if (target.healthUrl) {
    const url = target.healthUrl;
    ports.health = async () => read(await probeHealth(url, config.HEALTH_CHECK_TIMEOUT * 1000));
  }
  if (config.PROMETHEUS_URL) {
    const base = config.PROMETHEUS_URL;
    ports.metrics = (signal) => readMetrics(base, target.service, signal);
  }
  return ports;
}
