import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ConfigError } from '@atb/service-kit';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import type { Config } from '../config.js';
import { catalogFileSchema, type ServiceEntry, withDefaults } from './catalog-schema.js';

/** A parsed catalog: its entries in file order and a digest of the text they came from. */
export interface CatalogSnapshot {
  services: ServiceEntry[];
  /** First 12 hex digits of the file's SHA-256 (`legacy` for the one-entry catalog of the variables). */
  version: string;
  source: string;
}

export type CatalogResult = { ok: true; value: CatalogSnapshot } | { ok: false; error: string };

/** `services[1] (name "billing"): health.timeout_seconds: expected number, received string`. */
function describeIssue(raw: unknown, issue: z.core.$ZodIssue): string {
  const [section, index, ...rest] = issue.path;
  if (section !== 'services' || typeof index !== 'number') return `${issue.path.join('.') || '(root)'}: ${issue.message}`;
  const entries = (raw as { services?: unknown[] }).services;
  const name = (entries?.[index] as { name?: unknown } | undefined)?.name;
  const entry = `services[${index}]${typeof name === 'string' ? ` (name "${name}")` : ''}`;
  return `${entry}: ${rest.length > 0 ? rest.join('.') : '(entry)'}: ${issue.message}`;
}

/** Parses a catalog file's text; the error names the entry (index and name) and the field. */
export function parseCatalog(text: string, source: string): CatalogResult {
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (error) {
    return { ok: false, error: `${source} is not valid YAML: ${(error as Error).message.split('\n')[0]}` };
  }
  const parsed = catalogFileSchema.safeParse(raw ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    return { ok: false, error: `${source}: ${describeIssue(raw, issue)}` };
  }
  const services = parsed.data.services.map(withDefaults);
  const seen = new Map<string, number>();
  for (const [index, service] of services.entries()) {
    const first = seen.get(service.name);
    if (first !== undefined) return { ok: false, error: `${source}: services[${index}] (name "${service.name}"): name: already used by services[${first}]` };
    seen.set(service.name, index);
  }
  const version = createHash('sha256').update(text).digest('hex').slice(0, 12);
  return { ok: true, value: { services, version, source } };
}

/** Reads and parses SERVICES_FILE; never throws. */
export function readCatalogFile(file: string): CatalogResult {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    return { ok: false, error: `cannot read ${file}: ${(error as Error).message}` };
  }
  return parseCatalog(text, file);
}

/**
 * The one-entry catalog of the single-service variables (no SERVICES_FILE): MONITORED_SERVICE
 * polled at MARKET_PREDICTOR_URL, coding tasks on CODING_TASK_REPOSITORY. It takes every alert
 * and targets the alert's container label, else its service, else MONITORED_SERVICE.
 */
export function legacyCatalog(
  config: Pick<Config, 'MONITORED_SERVICE' | 'MARKET_PREDICTOR_URL' | 'MONITORING_INTERVAL' | 'HEALTH_CHECK_TIMEOUT' | 'SLOW_RESPONSE_THRESHOLD_MS' | 'CODING_TASK_REPOSITORY'>,
): CatalogSnapshot {
  const service: ServiceEntry = {
    name: config.MONITORED_SERVICE,
    alerts: [{}],
    health: {
      url: config.MARKET_PREDICTOR_URL,
      interval_seconds: config.MONITORING_INTERVAL,
      timeout_seconds: config.HEALTH_CHECK_TIMEOUT,
      slow_threshold_ms: config.SLOW_RESPONSE_THRESHOLD_MS,
    },
    target: { container: config.MONITORED_SERVICE, fromAlert: true },
    owners: [],
    escalation_channel: undefined,
    repository: config.CODING_TASK_REPOSITORY,
    runbooks: [],
    autonomous: true,
  };
  return { services: [service], version: 'legacy', source: 'MONITORED_SERVICE' };
}

/**
 * The catalog at start-up: SERVICES_FILE when set, else the one-entry catalog of the variables.
 * Throws a ConfigError naming SERVICES_FILE, the entry and the field: the agent does not start.
 */
export function startupCatalog(config: Parameters<typeof legacyCatalog>[0] & Pick<Config, 'SERVICES_FILE'>): CatalogSnapshot {
  if (config.SERVICES_FILE === undefined) return legacyCatalog(config);
  const result = readCatalogFile(config.SERVICES_FILE);
  if (!result.ok) throw new ConfigError([{ variable: 'SERVICES_FILE', message: result.error, received: config.SERVICES_FILE }]);
  return result.value;
}
