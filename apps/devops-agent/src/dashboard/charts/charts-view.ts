import type { AgentStore } from '../../store/agent-store.js';
import { learningStats } from '../../learning/learning-stats.js';
import { html, type SafeHtml } from '../html.js';
import { alertVolumeSeries, effectivenessBars, incidentTypeSeries, recoverySeries, runbookEffectivenessBars } from './chart-series.js';
import { barChart, lineChart } from './svg.js';

/** How far back the charts look. */
export const CHART_DAYS = 30;

/** The charts panel: time to recovery, incidents by issue type, action effectiveness (per runbook, and the learning statistics), alert volume. */
export async function renderCharts(store: Pick<AgentStore, 'incidents' | 'actions' | 'learning'>, now: number = Date.now()): Promise<SafeHtml> {
  const since = new Date(now - CHART_DAYS * 86_400_000).toISOString();
  const [recoveries, openings, byRunbook, stats, alerts] = await Promise.all([
    store.actions.recoveries(since),
    store.incidents.openedSince(since),
    store.actions.effectivenessByRunbook(since),
    learningStats(store.learning),
    store.incidents.alertsPerDay(since),
  ]);
  return html`<h2>Charts <span class="muted">last ${CHART_DAYS} days (UTC)</span></h2>
<div class="charts">
${lineChart({ id: 'chart-recovery', title: 'Time to recovery per service (median and p90 per day)', unit: 's', series: recoverySeries(recoveries) })}
${lineChart({ id: 'chart-incidents', title: 'Incidents per day by issue type', unit: '', series: incidentTypeSeries(openings) })}
${barChart({ id: 'chart-runbook-effectiveness', title: 'Action effectiveness per runbook · action', bars: runbookEffectivenessBars(byRunbook) })}
${barChart({ id: 'chart-effectiveness', title: 'Learning statistics: effectiveness per alert name · service · action', bars: effectivenessBars(stats) })}
${lineChart({ id: 'chart-alerts', title: 'Alert volume per day', unit: '', series: alertVolumeSeries(alerts) })}
</div>`;
}
