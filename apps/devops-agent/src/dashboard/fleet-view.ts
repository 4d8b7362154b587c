import type { Action, AgentStore } from '../store/agent-store.js';
import { badge, stateBadge, timeAgo } from './format.js';
import { html, type SafeHtml } from './html.js';

/** A catalog service as the fleet view needs it. */
export interface FleetService {
  name: string;
  container?: string | undefined;
}

/** What the health monitor last saw of one polled service. */
export interface MonitorReading {
  name: string;
  interval_seconds: number;
  last_check: { checked_at: string; reachable: boolean; status: string | null } | null;
}

/** One tile: what the on-call engineer reads at a glance. */
export interface FleetTile {
  service: string;
  health: 'down' | 'degraded' | 'healthy' | 'unknown';
  /** Active incidents of the service (a count, however many), and how many of them are critical. */
  open: number;
  critical: number;
  last_action: Action | undefined;
  circuit_open: boolean;
  /** Seconds since the last health check beyond its interval; null when this agent does not poll the service. */
  monitoring_lag_s: number | null;
}

/** How urgent a tile is: an open circuit, then down, critical incidents, open incidents, a failed last action. */
export function urgency(tile: FleetTile): number {
  let score = 0;
  if (tile.circuit_open) score += 1000;
  if (tile.health === 'down') score += 500;
  score += tile.critical * 50 + tile.open * 10;
  if (tile.health === 'degraded') score += 5;
  if (tile.last_action && (tile.last_action.status === 'failed' || tile.last_action.effective === false)) score += 3;
  return score;
}

/** The tiles of the fleet, most urgent first (then by name). */
export async function fleetTiles(
  store: Pick<AgentStore, 'incidents' | 'actions'>,
  services: readonly FleetService[],
  circuits: readonly string[],
  monitor: readonly MonitorReading[],
  now: number = Date.now(),
): Promise<FleetTile[]> {
  const active = await store.incidents.activeCounts();
  const tiles = await Promise.all(
    services.map(async (service): Promise<FleetTile> => {
      const [last] = await store.actions.list({ service: service.name, limit: 1 });
      const { open, critical } = active[service.name] ?? { open: 0, critical: 0 };
      const polled = monitor.find((candidate) => candidate.name === service.name);
      const reading = polled?.last_check ?? null;
      // Seconds the last check is overdue: how far polling of this service lags behind its interval.
      const lag = polled && reading ? Math.max(0, Math.round((now - Date.parse(reading.checked_at)) / 1000 - polled.interval_seconds)) : null;
      const health = reading ? (!reading.reachable ? 'down' : reading.status === 'healthy' ? 'healthy' : 'degraded') : open > 0 ? 'degraded' : 'unknown';
      const target = service.container ?? service.name;
      return { service: service.name, health, open, critical, last_action: last, circuit_open: circuits.includes(target), monitoring_lag_s: lag };
    }),
  );
  return tiles.sort((a, b) => urgency(b) - urgency(a) || a.service.localeCompare(b.service));
}

const HEALTH_TONE = { down: 'bad', degraded: 'warn', healthy: 'good', unknown: 'info' } as const;

function lastAction(action: Action | undefined, now: number): SafeHtml {
  if (!action) return html`none`;
  const outcome = action.effective === true ? badge('effective', 'good') : action.effective === false ? badge('ineffective', 'bad') : '';
  return html`${action.operation} ${stateBadge(action.status)} ${outcome} <span class="muted">${timeAgo(action.created_at, now)}</span>`;
}

/** The incidents list of the ones a tile counts: the service's active incidents (every state but resolved, escalated and failed). */
const activeIncidents = (service: string): string => `/dashboard/incidents?${new URLSearchParams({ service, active: 'true' }).toString()}`;

/** The fleet: one tile per catalog service, most urgent first; the open count links its incidents. */
export function renderFleet(tiles: FleetTile[], now: number = Date.now()): SafeHtml {
  if (tiles.length === 0) return html`<h2>Fleet</h2><p class="muted">No services in the catalog.</p>`;
  return html`<h2>Fleet <span class="count">${tiles.length}</span></h2>
<ul class="fleet">${tiles.map(
    (tile) => html`<li class="tile ${HEALTH_TONE[tile.health]}" data-service="${tile.service}" data-urgency="${urgency(tile)}">
  <h3>${tile.service} ${badge(tile.health, HEALTH_TONE[tile.health])}</h3>
  <dl class="facts">
    <dt>Open incidents</dt><dd class="open-count">${tile.open > 0 ? html`<a href="${activeIncidents(tile.service)}">${tile.open}</a>` : '0'}</dd>
    <dt>Last action</dt><dd class="last-action">${lastAction(tile.last_action, now)}</dd>
    <dt>Circuit</dt><dd class="circuit">${tile.circuit_open ? badge('open', 'bad') : 'closed'}</dd>
    <dt>Monitoring lag</dt><dd class="lag">${tile.monitoring_lag_s === null ? '—' : `${tile.monitoring_lag_s}s`}</dd>
  </dl>
</li>`,
  )}</ul>`;
}
