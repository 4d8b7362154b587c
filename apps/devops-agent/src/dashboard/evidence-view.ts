import { describeEvidence, type Evidence, queryValueText } from '@atb/contracts';
import type { Incident, IncidentEvent } from '../store/agent-store.js';
import { badge, jsonPreview } from './format.js';
import { html, type SafeHtml } from './html.js';

/** The `docker` command equivalent to a gateway operation on a target (what an operator would type). */
export function dockerCommand(operation: string, target: string): string {
  switch (operation) {
    case 'restart':
    case 'start':
    case 'stop':
    case 'inspect':
      return `docker ${operation} ${target}`;
    case 'logs':
      return `docker logs --tail 200 ${target}`;
    case 'stats':
      return `docker stats --no-stream ${target}`;
    case 'list':
      return 'docker ps --all';
    default:
      return `docker ${operation} ${target}`;
  }
}

const entries = (value: unknown): [string, unknown][] =>
  typeof value === 'object' && value !== null && !Array.isArray(value) ? Object.entries(value as Record<string, unknown>) : [];

/** One piece of evidence: its kind (health, runtime, query, logs …) and what it held. */
function renderItem(key: string, value: unknown): SafeHtml {
  if (typeof value === 'string') return html`<dt>${key}</dt><dd><pre class="evidence-text">${value.slice(0, 4000)}</pre></dd>`;
  return html`<dt>${key}</dt><dd><code>${jsonPreview(value, 2000)}</code></dd>`;
}

/**
 * What the analyzer used: the `evidence` an analysis carries (health detail, runtime state,
 * queries with their values, log excerpts — each shown under its own name), else the health
 * the latest `analysis-completed` entry recorded.
 */
export function renderEvidence(incident: Incident, timeline: IncidentEvent[]): SafeHtml {
  const carried = (incident.analysis as { evidence?: unknown } | null)?.evidence;
  const items: [string, unknown][] = Array.isArray(carried)
    ? carried.map((item, index) => [String((item as { kind?: unknown })?.kind ?? `evidence ${index + 1}`), item])
    : entries(carried);
  const analysed = [...timeline].reverse().find((event) => event.type === 'analysis-completed');
  if (items.length === 0 && analysed?.data.health !== undefined) items.push(['health', analysed.data.health]);
  if (items.length === 0) return html`<p class="muted" id="no-evidence">No evidence recorded.</p>`;
  return html`<dl class="facts evidence">${items.map(([key, value]) => renderItem(key, value))}</dl>`;
}

/** A field name for people: `exit_code` → `exit code`. */
const fieldName = (key: string) => key.replaceAll('_', ' ');

/** Each field an evidence record holds, under its name (lists joined). */
function renderFields(className: string, record: Record<string, unknown>): SafeHtml {
  const shown = Object.entries(record).filter(([, value]) => value !== undefined && value !== '');
  return html`<dl class="facts ${className}">${shown.map(
    ([key, value]) => html`<dt>${fieldName(key)}</dt><dd>${Array.isArray(value) ? value.join(', ') : String(value)}</dd>`,
  )}</dl>`;
}

/** Each PromQL query as sent, and its value in its unit with the raw number beside it. */
function renderQueries(queries: NonNullable<Evidence['queries']>): SafeHtml {
  return html`<table class="queries">
  <thead><tr><th>reading</th><th>query (PromQL)</th><th class="number">value</th></tr></thead>
  <tbody>${queries.map(
    (query) => html`<tr><td>${query.name}</td><td><code class="promql">${query.query}</code></td><td class="number">${queryValueText(query)}${
      query.value !== undefined && queryValueText(query) !== String(query.value) ? html` <span class="muted">(${String(query.value)})</span>` : ''
    }</td></tr>`,
  )}</tbody>
</table>`;
}

/** The error signatures counted in the newest logs, then the lines kept, as written. */
function renderLogs(logs: NonNullable<Evidence['logs']>): SafeHtml {
  const signatures = logs.signatures.length
    ? html`<table class="log-signatures"><thead><tr><th class="number">count</th><th>kind</th><th>dependency</th></tr></thead>
  <tbody>${logs.signatures.map((signature) => html`<tr><td class="number">${signature.count}</td><td>${signature.kind}</td><td>${signature.dependency ?? '—'}</td></tr>`)}</tbody></table>`
    : html`<p class="muted">No error lines in the ${logs.lines_read} lines read.</p>`;
  const excerpt = logs.excerpt ?? logs.signatures.map((signature) => signature.example);
  return html`${signatures}${excerpt.length ? html`<pre class="log-excerpt">${excerpt.join('\n')}</pre>` : ''}`;
}

/**
 * The evidence an analysis was made on: its facts, each source's status, a summary in
 * sentences, then each source in full — the health detail, the runtime state, every query with
 * its value, the log lines, the history.
 */
export function renderGatheredEvidence(evidence: Evidence): SafeHtml {
  const tone = (status: string) => (status === 'ok' ? 'good' : status === 'unavailable' ? 'bad' : 'warn');
  const { health, runtime, queries, logs, history } = evidence;
  return html`<h3>Evidence <span class="muted">(${evidence.duration_ms} ms of ${evidence.budget_ms} ms)</span></h3>
<p class="facts-list">${evidence.facts.map((fact) => html`<code>${fact}</code> `)}</p>
<p>${evidence.sources.map((source) => html`${source.source} ${badge(source.status, tone(source.status))} `)}</p>
<ul class="evidence">${describeEvidence(evidence).map((line) => html`<li>${line}</li>`)}</ul>
${health ? html`<h4>Health</h4>${renderFields('evidence-health', health)}` : ''}
${runtime ? html`<h4>Runtime</h4>${renderFields('evidence-runtime', runtime)}` : ''}
${queries?.length ? html`<h4>Queries</h4>${renderQueries(queries)}` : ''}
${logs ? html`<h4>Logs <span class="muted">(${logs.lines_read} lines read)</span></h4>${renderLogs(logs)}` : ''}
${history ? html`<h4>History</h4>${renderFields('evidence-history', history)}` : ''}`;
}
