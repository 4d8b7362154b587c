import { type AlertmanagerWebhook, ZERO_TIME } from '@atb/contracts';
import type { AgentMetrics } from '../api/agent-metrics.js';
import type { AgentAudit } from '../audit/agent-audit.js';
import type { IncomingAlert } from '../store/agent-store.js';
import type { UnitOfWork } from '../store/unit-of-work.js';
import { type IngestOptions, type IngestResult, ingestBatches } from './ingest-alerts.js';

/** Turns an Alertmanager v4 notification into intake alerts. */
export function alertsOfNotification(notification: AlertmanagerWebhook): IncomingAlert[] {
  return notification.alerts.map((alert) => ({
    fingerprint: alert.fingerprint,
    status: alert.status,
    starts_at: alert.startsAt,
    ends_at: alert.endsAt || ZERO_TIME,
    labels: alert.labels,
    annotations: alert.annotations,
    generator_url: alert.generatorURL,
  }));
}

interface ReceivedSummary {
  source: string;
  result: IngestResult;
  fingerprints: string[];
  resolve: () => void;
  reject: (error: unknown) => void;
}

/**
 * The one intake path for webhook and polling alerts: persist alerts and their analysis jobs in
 * one transaction, audit, count, and wake the worker. Safe to call with the same alerts again.
 *
 * Audit records of received alerts are group-committed: while one `alerts-received` record is
 * being appended, the next requests' summaries gather and are written as one record per source.
 * Every request still answers only after its alerts are in the audit log.
 */
export class AlertIntake {
  private readonly waiting: ReceivedSummary[] = [];
  private readonly pendingIngest: { alerts: IncomingAlert[]; resolve: (result: IngestResult) => void; reject: (error: unknown) => void }[] = [];
  private draining: Promise<void> | undefined;

  constructor(
    private readonly store: Pick<UnitOfWork, 'intake'>,
    private readonly audit: AgentAudit,
    private readonly metrics: AgentMetrics,
    private readonly options: IngestOptions,
    private readonly wake: () => void,
    /** Names an alert's catalog service in its labels (the service catalog's `label`). */
    private readonly labelService: (alert: IncomingAlert) => IncomingAlert = (alert) => alert,
  ) {}

  async accept(received: IncomingAlert[], source: string): Promise<IngestResult> {
    const alerts = received.map(this.labelService);
    const result = await this.ingest(alerts);
    const counter = this.metrics.alertsReceived;
    if (result.created) counter.inc({ status: 'firing', outcome: 'created' }, result.created);
    if (result.resolved) counter.inc({ status: 'resolved', outcome: 'resolved' }, result.resolved);
    if (result.unchanged) counter.inc({ status: 'any', outcome: 'duplicate' }, result.unchanged);
    if (result.ignored) counter.inc({ status: 'resolved', outcome: 'unknown' }, result.ignored);
    if (result.stale) counter.inc({ status: 'firing', outcome: 'stale' }, result.stale);
    if (result.queued > 0) this.wake();
    if (result.created + result.resolved + result.stale > 0) {
      await new Promise<void>((resolve, reject) => {
        this.waiting.push({ source, result, fingerprints: alerts.slice(0, 50).map((alert) => `${alert.fingerprint}:${alert.status}`), resolve, reject });
        this.draining ??= this.drain();
      });
    }
    return result;
  }

  /**
   * Group commit of the intake itself: notifications that arrive in the same turn of the event
   * loop are written in one transaction (each keeps its own result; all commit or none).
   */
  private ingest(alerts: IncomingAlert[]): Promise<IngestResult> {
    return new Promise((resolve, reject) => {
      this.pendingIngest.push({ alerts, resolve, reject });
      if (this.pendingIngest.length === 1) {
        setImmediate(() => {
          const batch = this.pendingIngest.splice(0);
          ingestBatches(
            this.store,
            batch.map((entry) => entry.alerts),
            this.options,
          ).then(
            (results) => {
              for (const [index, entry] of batch.entries()) entry.resolve(results[index]!);
            },
            (error: unknown) => {
              for (const entry of batch) entry.reject(error);
            },
          );
        });
      }
    });
  }

  private async drain(): Promise<void> {
    // Let requests already read off their sockets join this record (group commit).
    await new Promise((resolve) => setImmediate(resolve));
    while (this.waiting.length > 0) {
      const batch = this.waiting.splice(0);
      const sources = new Map<string, ReceivedSummary[]>();
      for (const summary of batch) sources.set(summary.source, [...(sources.get(summary.source) ?? []), summary]);
      for (const [source, summaries] of sources) {
        const sum = (key: 'received' | 'created' | 'resolved' | 'unchanged' | 'ignored' | 'stale') =>
          summaries.reduce((total, summary) => total + summary.result[key], 0);
        try {
          await this.audit.record('alerts-received', source, {
            notifications: summaries.length,
            received: sum('received'),
            created: sum('created'),
            resolved: sum('resolved'),
            unchanged: sum('unchanged'),
            ignored: sum('ignored'),
            stale: sum('stale'),
            fingerprints: summaries.flatMap((summary) => summary.fingerprints).slice(0, 200),
            incidents: [...new Set(summaries.flatMap((summary) => summary.result.touched))].slice(0, 100),
            // Incidents this intake opened or re-opened (also on each incident's timeline).
            opened: summaries.flatMap((summary) => summary.result.opened),
            reopened: summaries.flatMap((summary) => summary.result.reopened),
          });
          for (const summary of summaries) summary.resolve();
        } catch (error) {
          for (const summary of summaries) summary.reject(error);
        }
      }
    }
    this.draining = undefined;
  }
}
