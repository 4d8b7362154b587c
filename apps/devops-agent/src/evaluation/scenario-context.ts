import type { AnalysisContext, Evidence } from '@atb/contracts';
import type { InvestigationPorts } from '@atb/llm';
import { chooseRunbook, runbookSubject } from '../analysis/choose-runbook.js';
import { evidenceFacts } from '../analysis/evidence/evidence-facts.js';
import { historyView } from '../analysis/evidence/history-view.js';
import type { Runbook } from '../analysis/runbooks.js';
import type { LearningStat } from '../store/agent-store.js';
import type { Scenario } from './scenario.js';

/** A scenario's recorded evidence with the history and the facts derived again by the code under test. */
export function scenarioEvidence(scenario: Scenario): Evidence | undefined {
  if (!scenario.evidence) return undefined;
  const { facts: _recorded, ...recorded } = scenario.evidence;
  const evidence = { ...recorded, history: historyView(scenario) };
  return { ...evidence, facts: evidenceFacts(evidence) };
}

/**
 * The analysis context the agent would build for a scenario: alerts from the payload, the
 * recorded evidence, health/metrics/history/learning, and candidate actions from the runbook
 * the alerts and evidence fit best, ranked by the learning statistics — the same steps as
 * `buildAnalysisContext`.
 */
export function scenarioContext(scenario: Scenario, runbooks: Runbook[]): AnalysisContext {
  const alerts = scenario.alertmanager.alerts;
  const firing = alerts.filter((alert) => alert.status === 'firing');
  const labels = (firing[0] ?? alerts[0])?.labels ?? {};
  const evidence = scenarioEvidence(scenario);
  const alertname = labels.alertname ?? 'unknown';
  const service = labels.service ?? 'unknown';
  const learning: LearningStat[] = scenario.learning.map((stat) => ({
    alertname,
    service,
    action: stat.action,
    attempts: stat.attempts,
    successes: stat.successes,
    effective_rate: stat.effective_rate,
    mean_time_to_recovery_s: stat.mean_time_to_recovery_s ?? null,
  }));
  const { match, candidates } = chooseRunbook(runbooks, runbookSubject(alerts, labels, evidence), learning);
  return {
    incident_id: `eval-${scenario.id}`,
    alertname,
    service,
    severity: labels.severity ?? 'warning',
    alerts: alerts.map((alert) => ({
      fingerprint: alert.fingerprint,
      status: alert.status,
      labels: alert.labels,
      annotations: alert.annotations,
      startsAt: alert.startsAt,
      endsAt: alert.endsAt,
    })),
    ...(scenario.health ? { health: scenario.health } : {}),
    ...(scenario.metrics ? { metrics: scenario.metrics } : {}),
    history: scenario.history,
    learning: scenario.learning,
    candidate_actions: candidates.map((candidate) => ({ action: candidate.action, risk: candidate.risk })),
    flap_count: scenario.flap_count,
    ...(evidence ? { evidence } : {}),
    ...(match ? { runbook: match.runbook.name } : {}),
  };
}

/** What each tool answers from a scenario's recorded evidence when the tool itself was not recorded. */
function fromEvidence(scenario: Scenario): Record<string, unknown> {
  const evidence = scenario.evidence;
  if (!evidence) return {};
  const lines = (evidence.logs?.signatures ?? []).map((signature) => signature.example);
  return {
    container_logs: lines.join('\n'),
    loki_query: lines,
    container_inspect: evidence.runtime ?? { unavailable: evidence.sources.find((source) => source.source === 'runtime')?.detail ?? 'not recorded' },
    container_stats: evidence.metrics ?? {},
    service_health: evidence.health ?? { unavailable: 'not probed' },
    prometheus_query: { '*': { resultType: 'vector', result: [], evidence: evidence.metrics ?? {} } },
    past_incidents: scenario.history,
    learning_stats: scenario.learning,
  };
}

/** Read-only tool ports answering from the scenario's recorded outputs, else its recorded evidence (a tool with neither says so). */
export function recordedPorts(scenario: Scenario): InvestigationPorts {
  const fallback = fromEvidence(scenario);
  const recorded = (tool: string) => {
    if (tool in scenario.tools) return scenario.tools[tool];
    if (tool in fallback) return fallback[tool];
    throw new Error(`no data: ${tool} has no recording in scenario ${scenario.id}`);
  };
  return {
    async prometheusQuery(query) {
      const answers = (recorded('prometheus_query') ?? {}) as Record<string, unknown>;
      return answers[query] ?? answers['*'] ?? { resultType: 'vector', result: [] };
    },
    async lokiQuery() {
      return recorded('loki_query');
    },
    async containerLogs(_container, { tail }) {
      const logs = recorded('container_logs');
      return typeof logs === 'string' ? logs.split('\n').slice(-tail).join('\n') : logs;
    },
    async containerInspect() {
      return recorded('container_inspect');
    },
    async containerStats() {
      return recorded('container_stats');
    },
    async serviceHealth() {
      return recorded('service_health');
    },
    async pastIncidents() {
      return recorded('past_incidents');
    },
    async learningStats() {
      return recorded('learning_stats');
    },
  };
}
