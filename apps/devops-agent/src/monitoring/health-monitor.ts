import { createHash } from 'node:crypto';
import { ZERO_TIME } from '@atb/contracts';
import type { FastifyBaseLogger } from 'fastify';
import { AVAILABILITY } from '../incidents/container-failure.js';
import type { AlertIntake } from '../intake/alert-intake.js';
import type { IncomingAlert } from '../store/agent-store.js';
import type { IncidentStore } from '../store/incident-store.js';
import { type HealthReading, probeHealth } from './health-probe.js';

/** The synthetic alerts of polling mode. */
export const SYNTHETIC_ALERTS = {
  down: { alertname: 'TargetDown', severity: 'critical', summary: 'is not answering its health check', category: AVAILABILITY },
  slow: { alertname: 'TargetSlow', severity: 'warning', summary: 'answers its health check slowly', category: 'latency' },
  degraded: { alertname: 'TargetDegraded', severity: 'warning', summary: 'reports itself degraded', category: 'degraded' },
} as const;
export type Condition = keyof typeof SYNTHETIC_ALERTS;

export interface HealthMonitorOptions {
  targetUrl: string;
  service: string;
  intervalSeconds: number;
  timeoutSeconds: number;
  slowThresholdMs: number;
  /** The one HTTP status that counts as up; unset: any answer below 500 whose body does not say unhealthy. */
  expectedStatus?: number | undefined;
  /** Labels added to every synthetic alert (e.g. the catalog entry's name). */
  labels?: Record<string, string>;
  /** Seconds to wait before re-checking a first failure; 0 raises on the first failure. */
  recheckDelaySeconds?: number;
  /** Timeout of the re-check (at most the probe's own timeout). */
  recheckTimeoutSeconds?: number;
  /** Across replicas: whether this one probes the service now (it leads it). Default: always. */
  shouldProbe?: (service: string) => Promise<boolean>;
}

/** What a health reading says is wrong (nothing, down, slow or degraded). */
export function conditionOf(reading: HealthReading, slowThresholdMs: number, expectedStatus?: number): Condition | undefined {
  if (!reading.reachable || (reading.http_status ?? 500) >= 500 || reading.status === 'unhealthy') return 'down';
  if (expectedStatus !== undefined && reading.http_status !== expectedStatus) return 'down';
  if (reading.status === 'degraded') return 'degraded';
  if (reading.response_time_ms > slowThresholdMs) return 'slow';
  return undefined;
}

/** The probe result carried on a synthetic alert (annotation `probe`), so the analysis need not probe again. */
export function probeEvidence(reading: HealthReading) {
  return {
    reachable: reading.reachable,
    ...(reading.status ? { status: reading.status } : {}),
    ...(reading.http_status !== undefined ? { http_status: reading.http_status } : {}),
    response_time_ms: reading.response_time_ms,
    ...(reading.error ? { error: reading.error } : {}),
    checked_at: reading.checked_at,
  };
}

/**
 * Polling mode: checks the target's `/health` every MONITORING_INTERVAL and turns
 * what it sees into synthetic alerts — target down, slow, degraded, and their resolution — fed
 * through the same intake as Alertmanager's, so the whole loop works without Prometheus.
 */
export class HealthMonitor {
  private timer: NodeJS.Timeout | undefined;
  private cycleRunning: Promise<unknown> | undefined;
  private readonly active = new Map<Condition, string>();
  private restored = false;
  private readonly recent: { at: string; response_time_ms: number; condition: string }[] = [];
  private counts = { cycles: 0, failures: 0, transient: 0, alerts_fired: 0, alerts_resolved: 0 };
  private last: HealthReading | undefined;
  private startedAt: string | undefined;
  private leading = true;

  constructor(
    private readonly incidents: Pick<IncidentStore, 'firingAlerts'>,
    private readonly intake: AlertIntake,
    private readonly logger: FastifyBaseLogger,
    private readonly options: HealthMonitorOptions,
  ) {}

  get running(): boolean {
    return this.timer !== undefined;
  }

  fingerprintOf(condition: Condition): string {
    return createHash('sha256').update(`health-check:${this.options.service}:${condition}`).digest('hex').slice(0, 16);
  }

  start(): boolean {
    if (this.timer) return false;
    this.startedAt = new Date().toISOString();
    const tick = () => {
      this.scheduledCycle().catch((error: unknown) => this.logger.error({ err: error }, 'monitoring cycle failed'));
    };
    this.timer = setInterval(tick, this.options.intervalSeconds * 1000);
    this.timer.unref?.();
    tick();
    return true;
  }

  async stop(): Promise<boolean> {
    if (!this.timer) return false;
    clearInterval(this.timer);
    this.timer = undefined;
    await this.cycleRunning?.catch(() => {});
    return true;
  }

  /**
   * A scheduled check, run only while this replica leads the service. A follower forgets what it
   * knew of the service's alerts, and reloads them from the store when it leads again.
   */
  async scheduledCycle(): Promise<void> {
    const leads = this.options.shouldProbe ? await this.options.shouldProbe(this.options.service) : true;
    this.leading = leads;
    if (!leads) {
      this.restored = false;
      this.active.clear();
      return;
    }
    await this.cycle();
  }

  /** One check; overlapping calls share the one in flight. */
  cycle(): Promise<{ reading: HealthReading; condition: Condition | undefined; fired: string[]; resolved: string[] }> {
    if (this.cycleRunning) return this.cycleRunning as ReturnType<HealthMonitor['cycle']>;
    const running = this.runCycle().finally(() => {
      this.cycleRunning = undefined;
    });
    this.cycleRunning = running;
    return running;
  }

  private async restore(): Promise<void> {
    if (this.restored) return;
    const conditions = Object.keys(SYNTHETIC_ALERTS) as Condition[];
    const firing = await this.incidents.firingAlerts(conditions.map((condition) => this.fingerprintOf(condition)));
    for (const condition of conditions) {
      const alert = firing.find((entry) => entry.fingerprint === this.fingerprintOf(condition));
      if (alert) this.active.set(condition, alert.starts_at);
    }
    this.restored = true;
  }

  private alert(condition: Condition, status: 'firing' | 'resolved', startsAt: string, reading: HealthReading): IncomingAlert {
    const definition = SYNTHETIC_ALERTS[condition];
    return {
      fingerprint: this.fingerprintOf(condition),
      status,
      starts_at: startsAt,
      ends_at: status === 'resolved' ? reading.checked_at : ZERO_TIME,
      labels: { alertname: definition.alertname, service: this.options.service, severity: definition.severity, category: definition.category, source: 'health-check', ...this.options.labels },
      annotations: {
        summary: `${this.options.service} ${definition.summary}`,
        description: reading.reachable
          ? `GET ${this.options.targetUrl}/health answered ${reading.http_status} (${reading.status}) in ${reading.response_time_ms} ms${
              this.options.expectedStatus !== undefined && reading.http_status !== this.options.expectedStatus ? `, expected ${this.options.expectedStatus}` : ''
            }`
          : `GET ${this.options.targetUrl}/health failed: ${reading.error}`,
        probe: JSON.stringify(probeEvidence(reading)),
      },
      generator_url: `${this.options.targetUrl}/health`,
    };
  }

  /**
   * One probe; a condition not yet raised is re-checked once, shortly after and with a short
   * timeout, and only the re-check's verdict counts — one lost packet is not an incident. A
   * check that waited its whole timeout already rode out a short stall: its re-check runs at once.
   */
  private async probe(): Promise<{ reading: HealthReading; condition: Condition | undefined; rechecked: boolean }> {
    const { targetUrl, timeoutSeconds, slowThresholdMs, expectedStatus, recheckDelaySeconds = 0, recheckTimeoutSeconds = timeoutSeconds } = this.options;
    const first = await probeHealth(targetUrl, timeoutSeconds * 1000);
    const condition = conditionOf(first, slowThresholdMs, expectedStatus);
    if (!condition || this.active.has(condition) || recheckDelaySeconds <= 0) return { reading: first, condition, rechecked: false };
    if (!first.timed_out) await new Promise((resolve) => setTimeout(resolve, recheckDelaySeconds * 1000));
    const reading = await probeHealth(targetUrl, Math.min(timeoutSeconds, recheckTimeoutSeconds) * 1000);
    return { reading, condition: conditionOf(reading, slowThresholdMs, expectedStatus), rechecked: true };
  }

  private async runCycle() {
    await this.restore();
    const { reading, condition, rechecked } = await this.probe();
    if (rechecked && !condition) this.counts.transient += 1;
    this.last = reading;
    this.counts.cycles += 1;
    if (condition) this.counts.failures += 1;
    this.recent.push({ at: reading.checked_at, response_time_ms: reading.response_time_ms, condition: condition ?? 'ok' });
    if (this.recent.length > 100) this.recent.shift();
    const alerts: IncomingAlert[] = [];
    const fired: string[] = [];
    const resolved: string[] = [];
    for (const [active, startsAt] of this.active) {
      if (active !== condition) {
        alerts.push(this.alert(active, 'resolved', startsAt, reading));
        resolved.push(SYNTHETIC_ALERTS[active].alertname);
      }
    }
    if (condition && !this.active.has(condition)) {
      alerts.push(this.alert(condition, 'firing', reading.checked_at, reading));
      fired.push(SYNTHETIC_ALERTS[condition].alertname);
    }
    if (alerts.length > 0) {
      await this.intake.accept(alerts, 'health-check');
      for (const name of resolved) {
        const key = (Object.keys(SYNTHETIC_ALERTS) as Condition[]).find((entry) => SYNTHETIC_ALERTS[entry].alertname === name)!;
        this.active.delete(key);
      }
      if (condition && fired.length > 0) this.active.set(condition, reading.checked_at);
      this.counts.alerts_fired += fired.length;
      this.counts.alerts_resolved += resolved.length;
    }
    return { reading, condition, fired, resolved };
  }

  /** `GET /monitoring/status`. */
  status() {
    const times = this.recent.map((entry) => entry.response_time_ms).sort((left, right) => left - right);
    const average = times.length ? times.reduce((sum, value) => sum + value, 0) / times.length : null;
    return {
      monitoring_active: this.running,
      /** False while another replica polls this service. */
      leading: this.leading,
      started_at: this.startedAt ?? null,
      target_url: this.options.targetUrl,
      service: this.options.service,
      interval_seconds: this.options.intervalSeconds,
      timeout_seconds: this.options.timeoutSeconds,
      slow_threshold_ms: this.options.slowThresholdMs,
      recheck_delay_seconds: this.options.recheckDelaySeconds ?? 0,
      ...this.counts,
      last_check: this.last
        ? {
            checked_at: this.last.checked_at,
            reachable: this.last.reachable,
            status: this.last.status ?? null,
            http_status: this.last.http_status ?? null,
            response_time_ms: this.last.response_time_ms,
            error: this.last.error ?? null,
          }
        : null,
      active_alerts: [...this.active.keys()].map((condition) => SYNTHETIC_ALERTS[condition].alertname),
      response_time_ms: {
        average: average === null ? null : Math.round(average * 10) / 10,
        p50: times.length ? times[Math.floor((times.length - 1) * 0.5)]! : null,
        p95: times.length ? times[Math.floor((times.length - 1) * 0.95)]! : null,
        max: times.length ? times[times.length - 1]! : null,
        samples: times.length,
      },
      recent_checks: this.recent.slice(-10),
    };
  }
}
