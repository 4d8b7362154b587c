import type { Incident, IncidentEvent } from '../store/agent-store.js';
import { jsonPreview } from './format.js';
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
