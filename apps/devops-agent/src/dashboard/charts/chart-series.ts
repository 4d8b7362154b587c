import type { RunbookEffectiveness } from '../../store/action-store.js';
import type { LearningStat } from '../../store/agent-store.js';
import type { IncidentOpening } from '../../store/incident-store.js';

/** One named line of a chart: y per x (x is a UTC day, `YYYY-MM-DD`, or a label). */
export interface Series {
  name: string;
  points: { x: string; y: number }[];
}

const day = (iso: string): string => iso.slice(0, 10);

/** The nearest-rank percentile (`q` in 0..1) of values: the smallest value with at least q of them at or below it. */
export function percentile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil(q * sorted.length));
  return sorted[rank - 1] ?? 0;
}

function groupBy<T>(items: T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const name = key(item);
    const group = groups.get(name);
    if (group) group.push(item);
    else groups.set(name, [item]);
  }
  return groups;
}

/** Time to recovery per service per day: a median and a p90 line for each service. */
export function recoverySeries(recoveries: { service: string; verified_at: string; recovery_seconds: number }[]): Series[] {
  const series: Series[] = [];
  for (const [service, rows] of [...groupBy(recoveries, (row) => row.service)].sort(([a], [b]) => a.localeCompare(b))) {
    const days = [...groupBy(rows, (row) => day(row.verified_at))].sort(([a], [b]) => a.localeCompare(b));
    const values = (q: number) => days.map(([x, group]) => ({ x, y: percentile(group.map((row) => row.recovery_seconds), q) }));
    series.push({ name: `${service} median`, points: values(0.5) }, { name: `${service} p90`, points: values(0.9) });
  }
  return series;
}

/** Incidents opened per day, one line per issue type (`unanalysed` before an analysis). */
export function incidentTypeSeries(openings: IncidentOpening[]): Series[] {
  const days = [...new Set(openings.map((opening) => day(opening.opened_at)))].sort();
  return [...groupBy(openings, (opening) => opening.issue_type ?? 'unanalysed')]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, rows]) => {
      const counts = groupBy(rows, (row) => day(row.opened_at));
      return { name, points: days.map((x) => ({ x, y: counts.get(x)?.length ?? 0 })) };
    });
}

/** Effective rate per alert name, service and action (the learning statistics are kept per alert name, not per runbook), most tried first. */
export function effectivenessBars(stats: LearningStat[]): { label: string; value: number; detail: string }[] {
  return stats.map((stat) => ({
    label: `${stat.alertname} · ${stat.service} · ${stat.action}`,
    value: stat.effective_rate,
    detail: `${stat.successes}/${stat.attempts} effective${stat.mean_time_to_recovery_s === null ? '' : `, mean recovery ${stat.mean_time_to_recovery_s}s`}`,
  }));
}

/** Effective rate per runbook (the one the incident's analysis followed) and operation, most verified first. */
export function runbookEffectivenessBars(rows: RunbookEffectiveness[]): { label: string; value: number; detail: string }[] {
  return rows.map((row) => ({
    label: `${row.runbook ?? 'no runbook'} · ${row.operation}`,
    value: row.verified === 0 ? 0 : row.effective / row.verified,
    detail: `${row.effective}/${row.verified} effective`,
  }));
}

/** Alerts received per day as one series. */
export function alertVolumeSeries(perDay: { day: string; count: number }[]): Series[] {
  return [{ name: 'alerts', points: perDay.map((row) => ({ x: row.day, y: row.count })) }];
}
