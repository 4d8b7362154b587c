import { type AlertmanagerWebhook, ZERO_TIME } from '@atb/contracts';
import type { AgentMetrics } from '../api/agent-metrics.js';
import type { AgentAudit } from '../audit/agent-audit.js';
import type { AgentStore, IncomingAlert, IngestOptions, IngestResult } from '../store/agent-store.js';

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

/**
 * The one intake path for webhook and polling alerts: persist alerts and their analysis jobs in
 * one transaction, audit, count, and wake the worker. Safe to call with the same alerts again.
 */
export class AlertIntake {
  constructor(
    private readonly store: AgentStore,
    private readonly audit: AgentAudit,
    private readonly metrics: AgentMetrics,
    private readonly options: IngestOptions,
    private readonly wake: () => void,
  ) {}

  async accept(alerts: IncomingAlert[], source: string): Promise<IngestResult> {
    const result = await this.store.ingest(alerts, this.options);
    const counter = this.metrics.alertsReceived;
    if (result.created) counter.inc({ status: 'firing', outcome: 'created' }, result.created);
    if (result.resolved) counter.inc({ status: 'resolved', outcome: 'resolved' }, result.resolved);
    if (result.unchanged) counter.inc({ status: 'any', outcome: 'duplicate' }, result.unchanged);
    if (result.ignored) counter.inc({ status: 'resolved', outcome: 'unknown' }, result.ignored);
    if (result.created + result.resolved > 0) {
      await this.audit.record('alerts-received', source, {
        received: result.received,
        created: result.created,
        resolved: result.resolved,
        unchanged: result.unchanged,
        ignored: result.ignored,
        fingerprints: alerts.slice(0, 50).map((alert) => `${alert.fingerprint}:${alert.status}`),
        incidents: result.touched.slice(0, 50),
      });
      for (const id of result.opened) await this.audit.record('incident-opened', id, { source });
      for (const id of result.reopened) await this.audit.record('incident-reopened', id, { source });
      this.wake();
    }
    return result;
  }
}
