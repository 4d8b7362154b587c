import type { FastifyBaseLogger } from 'fastify';
import type { ServiceEntry } from '../catalog/catalog-schema.js';
import type { AlertIntake } from '../intake/alert-intake.js';
import type { IncidentStore } from '../store/incident-store.js';
import { HealthMonitor } from './health-monitor.js';
import { ProbeSlots } from './probe-slots.js';

/** The services a fleet polls, and word when they change (the service catalog). */
export interface FleetSource {
  list(): readonly ServiceEntry[];
  onChange(listener: (services: readonly ServiceEntry[]) => void): () => void;
  /** The one-entry catalog of the single-service variables adds no catalog label to its alerts. */
  state(): { version: string };
}

export interface FleetMonitorOptions {
  /** Most probes in flight at once. */
  concurrency: number;
  /** Across replicas: whether this one probes the service now (it leads it). Default: always. */
  shouldProbe?: (service: string) => Promise<boolean>;
  /** Seconds before a first failure is re-checked (0: raise on the first failure), and the re-check's timeout. */
  recheckDelaySeconds?: number;
  recheckTimeoutSeconds?: number;
  /** Uniform in [0, 1): where in its first interval a service's first probe falls; default Math.random. */
  random?: () => number;
}

type CycleResult = Awaited<ReturnType<HealthMonitor['cycle']>>;

/** One polled service: its monitor, its schedule and how late its probes started. */
interface Polled {
  entry: ServiceEntry;
  key: string;
  monitor: HealthMonitor;
  timer: NodeJS.Timeout | undefined;
  nextAt: number | undefined;
  inFlight: Promise<unknown> | undefined;
  skipped: number;
  /** Milliseconds between scheduled and actual start of the last probes (newest last, at most 200). */
  lags: number[];
}

const LAGS_KEPT = 200;
const LAG_SAMPLES_KEPT = 20_000;
const keyOf = (entry: ServiceEntry) => JSON.stringify([entry.name, entry.health]);
const percentile = (sorted: number[], fraction: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil(sorted.length * fraction) - 1)]! : null);

/**
 * Polling mode for every catalog service with a health check. Each service has its own timer:
 * its first probe falls at a random point within its interval (so a fleet does not probe in
 * lockstep), then at a fixed rate. At most `concurrency` probes run at once; a probe still
 * running when the next is due skips that one, so a slow or hung service never delays another.
 * Catalog reloads add, drop and re-schedule services while it runs.
 */
export class FleetMonitor {
  private readonly polled = new Map<string, Polled>();
  private readonly slots: ProbeSlots;
  private active = false;
  private startedAt: string | undefined;
  /** The last {@link LAG_SAMPLES_KEPT} probe lags across the fleet (a ring). */
  private readonly lagSamples: number[] = [];
  private lagCursor = 0;

  constructor(
    private readonly incidents: Pick<IncidentStore, 'firingAlerts'>,
    private readonly intake: AlertIntake,
    private readonly logger: FastifyBaseLogger,
    private readonly source: FleetSource,
    private readonly options: FleetMonitorOptions,
  ) {
    this.slots = new ProbeSlots(options.concurrency);
    this.apply(source.list());
    source.onChange((services) => this.apply(services));
  }

  get running(): boolean {
    return this.active;
  }

  /** Names of the polled services, in catalog order. */
  names(): string[] {
    return [...this.polled.keys()];
  }

  start(): boolean {
    if (this.active) return false;
    this.active = true;
    this.startedAt = new Date().toISOString();
    for (const polled of this.polled.values()) this.scheduleFirst(polled);
    return true;
  }

  async stop(): Promise<boolean> {
    if (!this.active) return false;
    this.active = false;
    for (const polled of this.polled.values()) this.unschedule(polled);
    await Promise.all([...this.polled.values()].map((polled) => polled.inFlight?.catch(() => {})));
    return true;
  }

  /** One check now of `name`, or of every polled service (in catalog order). */
  async cycle(name?: string): Promise<{ service: string; result: CycleResult }[]> {
    const chosen = name === undefined ? [...this.polled.values()] : [this.polled.get(name)].filter((polled) => polled !== undefined);
    return Promise.all(chosen.map(async (polled) => ({ service: polled.entry.name, result: await this.slots.run(() => polled.monitor.cycle()) })));
  }

  /** Lags (ms) of the last probes across the fleet (at most 20,000), for benchmarks; cleared by the call. */
  takeLagSamples(): number[] {
    this.lagCursor = 0;
    return this.lagSamples.splice(0);
  }

  /** `GET /monitoring/status`: the first service's state at the top (as with one service), and every service's. */
  status() {
    const services = [...this.polled.values()].map((polled) => this.serviceState(polled));
    const first = [...this.polled.values()][0];
    const top = first ? first.monitor.status() : undefined;
    return {
      ...(top ?? emptyStatus()),
      monitoring_active: this.active,
      started_at: this.startedAt ?? null,
      concurrency: { limit: this.options.concurrency, busy: this.slots.busy },
      lag_ms: this.fleetLag(),
      services,
    };
  }

  /** Lag (scheduled → actual probe start) over the last probes of the whole fleet. */
  private fleetLag() {
    const sorted = [...this.lagSamples].sort((left, right) => left - right);
    return { p50: percentile(sorted, 0.5), p99: percentile(sorted, 0.99), max: sorted.at(-1) ?? null, samples: sorted.length };
  }

  private serviceState(polled: Polled) {
    const state = polled.monitor.status();
    const sorted = [...polled.lags].sort((left, right) => left - right);
    return {
      name: polled.entry.name,
      target_url: state.target_url,
      interval_seconds: state.interval_seconds,
      timeout_seconds: state.timeout_seconds,
      condition: state.last_check === null ? 'unknown' : (state.recent_checks.at(-1)?.condition ?? 'unknown'),
      active_alerts: state.active_alerts,
      cycles: state.cycles,
      failures: state.failures,
      skipped: polled.skipped,
      last_check: state.last_check,
      next_probe_at: polled.nextAt === undefined ? null : new Date(polled.nextAt).toISOString(),
      lag_ms: { last: polled.lags.at(-1) ?? null, p99: percentile(sorted, 0.99), max: sorted.at(-1) ?? null },
    };
  }

  /** Brings the polled set in line with the catalog: new services join, dropped ones stop, changed ones restart. */
  private apply(services: readonly ServiceEntry[]): void {
    const wanted = new Map(services.filter((entry) => entry.health).map((entry) => [entry.name, entry]));
    for (const [name, polled] of this.polled) {
      const entry = wanted.get(name);
      if (entry && keyOf(entry) === polled.key) {
        polled.entry = entry;
        continue;
      }
      this.unschedule(polled);
      this.polled.delete(name);
    }
    const labelled = this.source.state().version !== 'legacy';
    for (const [name, entry] of wanted) {
      if (this.polled.has(name)) continue;
      const health = entry.health!;
      const monitor = new HealthMonitor(this.incidents, this.intake, this.logger, {
        targetUrl: health.url,
        service: name,
        intervalSeconds: health.interval_seconds,
        timeoutSeconds: health.timeout_seconds,
        slowThresholdMs: health.slow_threshold_ms,
        expectedStatus: health.expected_status,
        ...(labelled ? { labels: { catalog_service: name } } : {}),
        ...(this.options.shouldProbe ? { shouldProbe: this.options.shouldProbe } : {}),
        ...(this.options.recheckDelaySeconds !== undefined ? { recheckDelaySeconds: this.options.recheckDelaySeconds } : {}),
        ...(this.options.recheckTimeoutSeconds !== undefined ? { recheckTimeoutSeconds: this.options.recheckTimeoutSeconds } : {}),
      });
      const polled: Polled = { entry, key: keyOf(entry), monitor, timer: undefined, nextAt: undefined, inFlight: undefined, skipped: 0, lags: [] };
      this.polled.set(name, polled);
      if (this.active) this.scheduleFirst(polled);
    }
    // Catalog order, so that the first service is the first entry.
    const order = [...wanted.keys()];
    const sorted = [...this.polled.entries()].sort(([left], [right]) => order.indexOf(left) - order.indexOf(right));
    this.polled.clear();
    for (const [name, polled] of sorted) this.polled.set(name, polled);
  }

  private scheduleFirst(polled: Polled): void {
    const intervalMs = polled.entry.health!.interval_seconds * 1000;
    this.schedule(polled, Date.now() + (this.options.random ?? Math.random)() * intervalMs);
  }

  private schedule(polled: Polled, at: number): void {
    polled.nextAt = at;
    polled.timer = setTimeout(() => this.fire(polled, at), Math.max(0, at - Date.now()));
    polled.timer.unref?.();
  }

  private unschedule(polled: Polled): void {
    if (polled.timer) clearTimeout(polled.timer);
    polled.timer = undefined;
    polled.nextAt = undefined;
  }

  /** A probe is due: schedule the next one at the fixed rate, then probe unless the last probe still runs. */
  private fire(polled: Polled, scheduledAt: number): void {
    if (!this.active || this.polled.get(polled.entry.name) !== polled) return;
    const intervalMs = polled.entry.health!.interval_seconds * 1000;
    let next = scheduledAt + intervalMs;
    if (next <= Date.now()) next = Date.now() + intervalMs; // fell a whole interval behind: start afresh
    this.schedule(polled, next);
    if (polled.inFlight) {
      polled.skipped += 1;
      return;
    }
    polled.inFlight = this.slots
      .run(() => {
        const lag = Math.max(0, Date.now() - scheduledAt);
        polled.lags.push(lag);
        if (polled.lags.length > LAGS_KEPT) polled.lags.shift();
        this.lagSamples[this.lagCursor] = lag;
        this.lagCursor = (this.lagCursor + 1) % LAG_SAMPLES_KEPT;
        return polled.monitor.scheduledCycle();
      })
      .catch((error: unknown) => this.logger.error({ err: error, service: polled.entry.name }, 'monitoring cycle failed'))
      .finally(() => {
        polled.inFlight = undefined;
      });
  }
}

/** The top-level fields when no service is polled. */
function emptyStatus() {
  return {
    target_url: '',
    service: '',
    interval_seconds: 0,
    timeout_seconds: 0,
    slow_threshold_ms: 0,
    recheck_delay_seconds: 0,
    leading: false,
    cycles: 0,
    failures: 0,
    transient: 0,
    alerts_fired: 0,
    alerts_resolved: 0,
    last_check: null,
    active_alerts: [] as string[],
    response_time_ms: { average: null, p50: null, p95: null, max: null, samples: 0 },
    recent_checks: [] as { at: string; response_time_ms: number; condition: string }[],
  };
}
