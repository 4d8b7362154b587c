import { unwatchFile, watchFile } from 'node:fs';
import type { FastifyBaseLogger } from 'fastify';
import type { Runbook } from '../analysis/runbooks.js';
import type { AgentAudit } from '../audit/agent-audit.js';
import { CATALOG_SERVICE_LABEL } from '../incidents/grouping.js';
import type { ServiceEntry } from './catalog-schema.js';
import { type CatalogSnapshot, readCatalogFile } from './load-catalog.js';

export { CATALOG_SERVICE_LABEL };

/** True when every label of one of the entry's matchers is equal in `labels` (an empty matcher takes every alert). */
export function entryMatches(entry: ServiceEntry, labels: Record<string, string>): boolean {
  return entry.alerts.some((matcher) => Object.entries(matcher).every(([label, value]) => labels[label] === value));
}

/** The entry an alert belongs to: the one the intake named, else the first whose matchers match. */
export function matchService(services: readonly ServiceEntry[], labels: Record<string, string>): ServiceEntry | undefined {
  const named = labels[CATALOG_SERVICE_LABEL];
  return (named ? services.find((entry) => entry.name === named) : undefined) ?? services.find((entry) => entryMatches(entry, labels));
}

/**
 * The container an action on the service goes to: its `target.container`; for a service
 * known by its containers' labels, the alert's `container` label. Undefined when neither names one.
 */
export function targetOfService(entry: ServiceEntry, labels: Record<string, string>): string | undefined {
  if (entry.target.container && !entry.target.fromAlert) return entry.target.container;
  return labels.container ?? entry.target.container;
}

/**
 * The entry whose runtime target is this container: the first whose `target.container` is its
 * name, else the first whose `target.labels` it all carries. The one-entry catalog of the
 * single-service variables owns every container (as it takes every alert). Undefined: no
 * entry owns it.
 */
export function ownerOfContainer(services: readonly ServiceEntry[], container: { name: string; labels?: Record<string, string> | undefined }): ServiceEntry | undefined {
  const labels = container.labels ?? {};
  const carries = (wanted: Record<string, string>) => Object.entries(wanted).every(([label, value]) => labels[label] === value);
  return (
    services.find((entry) => entry.target.container === container.name) ??
    services.find((entry) => entry.target.labels !== undefined && carries(entry.target.labels)) ??
    services.find((entry) => entry.target.fromAlert)
  );
}

/** The runbooks for an alert of `entry`: the entry's own first, then the shared ones. */
export function runbooksOf(entry: ServiceEntry | undefined, shared: Runbook[]): Runbook[] {
  return entry && entry.runbooks.length > 0 ? [...entry.runbooks, ...shared] : shared;
}

/** A fixed list of entries with the catalog's look-ups (tests, and callers given no live catalog). */
export class ServiceCatalogView {
  constructor(private readonly services: readonly ServiceEntry[]) {}

  list(): readonly ServiceEntry[] {
    return this.services;
  }

  get(name: string): ServiceEntry | undefined {
    return this.services.find((entry) => entry.name === name);
  }
}

/** What `/status` says about the catalog. */
export interface CatalogState {
  source: string;
  version: string;
  services: number;
  loaded_at: string;
  /** The last reload that was refused (the catalog in force is the one before it); null when none was. */
  last_error: { at: string; error: string } | null;
}

/**
 * The catalog in force. Reloads SERVICES_FILE when it changes; a file that does not validate is
 * refused — the catalog before it stays in force — and the refusal is logged, kept for `/status`
 * and audited as `catalog-reload-rejected`.
 */
export class ServiceCatalog {
  private snapshot: CatalogSnapshot;
  private loadedAt = new Date().toISOString();
  private lastError: CatalogState['last_error'] = null;
  private readonly listeners = new Set<(services: readonly ServiceEntry[]) => void>();
  private watching: string | undefined;

  constructor(
    initial: CatalogSnapshot,
    private readonly dependencies: { logger: FastifyBaseLogger; audit: AgentAudit },
  ) {
    this.snapshot = initial;
  }

  list(): readonly ServiceEntry[] {
    return this.snapshot.services;
  }

  get(name: string): ServiceEntry | undefined {
    return this.snapshot.services.find((entry) => entry.name === name);
  }

  match(labels: Record<string, string>): ServiceEntry | undefined {
    return matchService(this.snapshot.services, labels);
  }

  /**
   * The alert with the name of its catalog entry as the `catalog_service` label (unchanged when
   * it matches none). Not for the one-entry catalog of the variables, which takes every alert.
   */
  label<T extends { labels: Record<string, string> }>(alert: T): T {
    if (this.snapshot.version === 'legacy') return alert;
    const entry = matchService(this.snapshot.services, alert.labels);
    if (!entry || alert.labels[CATALOG_SERVICE_LABEL] === entry.name) return alert;
    return { ...alert, labels: { ...alert.labels, [CATALOG_SERVICE_LABEL]: entry.name } };
  }

  /** Called with the new entries after every accepted reload. */
  onChange(listener: (services: readonly ServiceEntry[]) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  state(): CatalogState {
    const { source, version, services } = this.snapshot;
    return { source, version, services: services.length, loaded_at: this.loadedAt, last_error: this.lastError };
  }

  /** Re-reads `file`: the new catalog when valid (and changed), else the old one stays and the refusal is recorded. */
  async reload(file: string): Promise<{ ok: true; changed: boolean } | { ok: false; error: string }> {
    const result = readCatalogFile(file);
    if (!result.ok) {
      this.lastError = { at: new Date().toISOString(), error: result.error };
      this.dependencies.logger.warn({ file, error: result.error, version: this.snapshot.version }, `services file refused, keeping the catalog in force: ${result.error}`);
      await this.dependencies.audit.record('catalog-reload-rejected', file, { error: result.error, kept_version: this.snapshot.version }).catch(() => {});
      return { ok: false, error: result.error };
    }
    if (result.value.version === this.snapshot.version) return { ok: true, changed: false };
    const previous = this.snapshot.version;
    this.snapshot = result.value;
    this.loadedAt = new Date().toISOString();
    this.lastError = null;
    this.dependencies.logger.info({ file, version: result.value.version, services: result.value.services.length }, 'services file reloaded');
    await this.dependencies.audit
      .record('catalog-reloaded', file, { version: result.value.version, previous_version: previous, services: result.value.services.map((entry) => entry.name) })
      .catch(() => {});
    for (const listener of this.listeners) listener(result.value.services);
    return { ok: true, changed: true };
  }

  /** Watches `file` (polled every `intervalMs`, which also sees editors that replace the file) and reloads on change. */
  watch(file: string, intervalMs: number): void {
    if (this.watching) return;
    this.watching = file;
    watchFile(file, { interval: intervalMs, persistent: false }, (current, previous) => {
      if (current.mtimeMs === previous.mtimeMs && current.size === previous.size) return;
      void this.reload(file);
    });
  }

  close(): void {
    if (this.watching) unwatchFile(this.watching);
    this.watching = undefined;
  }
}
