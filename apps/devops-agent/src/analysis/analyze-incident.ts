import { capAnnotations } from '../intake/annotation-cap.js';
import type { AnalysisContext, AnalysisOutcome } from '@atb/contracts';
import type { AgentPorts } from '../composition/agent-ports.js';
import { TERMINAL_STATES } from '../incidents/incident-target.js';
import { runbooksOf, targetOfService } from '../catalog/service-catalog.js';
import { healthEvidence } from './detector-evidence.js';
import { learningStats } from '../learning/learning-stats.js';
import { ACTIVE_STATES, type Incident, type StoredAlert } from '../store/agent-store.js';
import { chooseRunbook, runbookSubject } from './choose-runbook.js';
import { type EvidenceTarget, evidencePorts } from './evidence/evidence-sources.js';
import { gatherEvidence } from './evidence/gather-evidence.js';
import { historyView } from './evidence/history-view.js';
import { queryFor } from './evidence/metric-queries.js';

/** The ports this stage uses. */
export type AnalyzePorts = Pick<
  AgentPorts,
  'analyzer' | 'audit' | 'catalog' | 'changes' | 'config' | 'fallbackAnalyzer' | 'gateway' | 'incidents' | 'learning' | 'prometheus' | 'runbooks'
>;

/** Longest an analyzer may take before the rule analyzer answers instead. */
const ANALYSIS_TIMEOUT_MS = 60_000;

/**
 * The evidence sources for an incident: the runtime target from its catalog entry, else the
 * alert's `container` label or the service; health from what the detector already saw, or one short recheck
 * (detector-evidence.ts), handed to `onHealth` for the context's `health` field.
 */
function evidenceTarget(
  config: AnalyzePorts['config'],
  incident: Incident,
  alerts: StoredAlert[],
  where: { labels: Record<string, string>; probed: { url: string; timeout_seconds: number } | undefined; catalogTarget: string | undefined },
  onHealth: (health: NonNullable<AnalysisContext['health']>) => void,
): EvidenceTarget {
  return {
    service: incident.service,
    container: where.catalogTarget ?? (where.labels.container && /^[\w.-]+$/.test(where.labels.container) ? where.labels.container : incident.service),
    readHealth: async () => {
      const health = await healthEvidence(config, where.probed, alerts);
      if (health) onHealth(health);
      return health;
    },
  };
}

/**
 * Gathers what an analyzer is given about one incident: alerts, history and learning from the
 * store, then the evidence within `EVIDENCE_BUDGET_SECONDS` (health detail, inspect and logs
 * through the gateway, PromQL); the runbook the alerts and evidence fit best gives the candidates.
 */
export async function buildAnalysisContext(dependencies: AnalyzePorts, incident: Incident, alerts: StoredAlert[]): Promise<AnalysisContext> {
  const { config, runbooks, prometheus } = dependencies;
  const firing = alerts.filter((alert) => alert.status === 'firing');
  const labels = (firing[0] ?? alerts[0])?.labels ?? { alertname: incident.alertname };
  const entry = dependencies.catalog.match(labels);
  // The service's own health check, for an incident of that service or from polling.
  const probed = entry?.health && (entry.name === incident.service || labels.source === 'health-check') ? entry.health : undefined;
  const [learning, history] = await Promise.all([
    learningStats(dependencies.learning, { alertname: incident.alertname, service: incident.service }),
    dependencies.learning.similarIncidents(incident.alertname, incident.service, incident.id, 5),
  ]);
  let health: AnalysisContext['health'];
  const target = evidenceTarget(config, incident, alerts, { labels, probed, catalogTarget: entry && !entry.target.fromAlert ? targetOfService(entry, labels) : undefined }, (reading) => {
    health = reading;
  });
  const evidence = await gatherEvidence(
    evidencePorts(config, dependencies.gateway, target),
    historyView({ flap_count: incident.flap_count, history, learning }),
    config.EVIDENCE_BUDGET_SECONDS * 1000,
  );
  // A catalog entry's own runbooks come first: they win a tie with the shared ones.
  const { match, candidates } = chooseRunbook(runbooksOf(entry, runbooks), runbookSubject(alerts, labels, evidence), learning);
  const runbook = match?.runbook;
  let metrics: Record<string, number | null> | undefined;
  if (prometheus && runbook && runbook.promql.length > 0) {
    metrics = {};
    for (const template of runbook.promql) {
      const query = queryFor(template, incident.service);
      const value = await prometheus.query(query);
      metrics[query] = value;
      // The runbook's own queries are evidence too: kept with their values beside the metric readings.
      evidence.queries = [...(evidence.queries ?? []), { name: `runbook ${runbook.name}`, query, ...(value !== null ? { value } : {}) }].slice(0, 40);
    }
  }
  return {
    incident_id: incident.id,
    alertname: incident.alertname,
    service: incident.service,
    severity: incident.severity,
    alerts: alerts.slice(0, 50).map((alert) => ({
      fingerprint: alert.fingerprint,
      status: alert.status,
      labels: alert.labels,
      annotations: capAnnotations(alert.annotations, config.ANALYSIS_ANNOTATION_LIMIT),
      startsAt: alert.starts_at,
      endsAt: alert.ends_at,
    })),
    ...(health ? { health } : {}),
    ...(metrics ? { metrics } : {}),
    history,
    learning: learning.map((stat) => ({
      action: stat.action,
      attempts: stat.attempts,
      successes: stat.successes,
      effective_rate: stat.effective_rate,
      ...(stat.mean_time_to_recovery_s !== null ? { mean_time_to_recovery_s: stat.mean_time_to_recovery_s } : {}),
    })),
    candidate_actions: candidates.map((candidate) => ({ action: candidate.action, risk: candidate.risk })),
    flap_count: incident.flap_count,
    evidence,
    ...(runbook ? { runbook: runbook.name } : {}),
  };
}

/** Runs the configured analyzer; when it fails or times out, the rule analyzer answers. */
export async function runAnalyzer(dependencies: AnalyzePorts, context: AnalysisContext): Promise<AnalysisOutcome> {
  const { analyzer, fallbackAnalyzer } = dependencies;
  if (analyzer === fallbackAnalyzer) return analyzer.analyze(context);
  try {
    return await analyzer.analyze(context, { signal: AbortSignal.timeout(ANALYSIS_TIMEOUT_MS) });
  } catch (error) {
    const outcome = await fallbackAnalyzer.analyze(context);
    return { ...outcome, fallback_reason: `${analyzer.name} failed: ${error instanceof Error ? error.message : String(error)}`.slice(0, 500) };
  }
}

/**
 * Job `analyze`: investigate an incident and record the analysis; the decision on an action
 * follows in the same job (it is handed the incident and alerts read here). Running it twice
 * records a second analysis and nothing else.
 */
export async function analyzeIncident(
  dependencies: AnalyzePorts,
  incidentId: string,
): Promise<{ incident: Incident; alerts: StoredAlert[] } | undefined> {
  const { audit } = dependencies;
  const incident = await dependencies.incidents.get(incidentId);
  if (!incident || TERMINAL_STATES.has(incident.state)) return undefined;
  const started = await dependencies.changes.commit({
    incident: { id: incident.id, patch: { state: 'investigating' }, expectStates: ACTIVE_STATES },
    events: [{ incident_id: incident.id, type: 'investigation-started' }],
  });
  if (!started) return undefined;
  const alerts = await dependencies.incidents.alerts(incident.id);
  const context = await buildAnalysisContext(dependencies, incident, alerts);
  const analyzed = await runAnalyzer(dependencies, context);
  const outcome = { ...analyzed, ...(context.evidence ? { evidence: context.evidence } : {}), ...(context.runbook ? { runbook: context.runbook } : {}) };
  const recorded = await dependencies.changes.commit({
    incident: { id: incident.id, patch: { analysis: outcome, analyzer: outcome.analyzer }, expectStates: ACTIVE_STATES },
    events: [
      {
        incident_id: incident.id,
        type: 'analysis-completed',
        data: {
          analyzer: outcome.analyzer,
          issue_type: outcome.analysis.issue_type,
          severity: outcome.analysis.severity,
          confidence: outcome.analysis.confidence,
          recommended_actions: outcome.analysis.recommended_actions,
          candidate_actions: context.candidate_actions.map((candidate) => candidate.action),
          ...(context.runbook ? { runbook: context.runbook } : {}),
          ...(context.evidence ? { facts: context.evidence.facts, unavailable: context.evidence.sources.filter((source) => source.status === 'unavailable').map((source) => source.source) } : {}),
          ...(context.health ? { health: { reachable: context.health.reachable, status: context.health.status, response_time_ms: context.health.response_time_ms } } : {}),
          ...(outcome.fallback_reason ? { fallback_reason: outcome.fallback_reason } : {}),
        },
      },
    ],
    audit: [
      audit.entry('analysis-completed', incident.id, {
        analyzer: outcome.analyzer,
        analysis: outcome.analysis,
        ...(outcome.fallback_reason ? { fallback_reason: outcome.fallback_reason } : {}),
      }),
    ],
  });
  if (!recorded) return undefined;
  return { incident: { ...incident, state: 'investigating', analysis: outcome, analyzer: outcome.analyzer }, alerts };
}
