import {
  type AnalysisContext,
  type AnalysisOutcome,
  type AnalysisResult,
  type Analyzer,
  analysisResultSchema,
  describeEvidence,
  type Severity,
} from '@atb/contracts';
import { runbookSubject } from './choose-runbook.js';

import { failingDependency } from './evidence/evidence-facts.js';
import { bestRunbook, READ_ONLY_OPERATIONS, type Runbook, type RunbookMatch, scoreRunbook } from './runbooks.js';

const SEVERITY_OF_LABEL: Record<string, Severity> = {
  critical: 'critical',
  page: 'critical',
  error: 'high',
  high: 'high',
  warning: 'medium',
  medium: 'medium',
  info: 'low',
  low: 'low',
  none: 'low',
};

const clamp = (value: number) => Math.round(Math.min(0.99, Math.max(0.05, value)) * 100) / 100;

/** Health and PromQL readings of a context without gathered evidence (older callers). */
function legacyEvidence(context: AnalysisContext, runbook: Runbook | undefined): { lines: string[]; delta: number } {
  const lines: string[] = [];
  let delta = 0;
  const health = context.health;
  if (health) {
    const healthy = health.reachable && (health.status === 'healthy' || health.status === 'ok');
    if (!health.reachable) lines.push(`health check failed: ${health.error ?? 'unreachable'}`);
    else lines.push(`health answers ${health.status} in ${health.response_time_ms ?? '?'} ms${healthy && runbook?.verify === 'health' ? ', contradicting the alert' : ''}`);
    if (runbook?.verify === 'health') delta += !health.reachable ? 0.15 : healthy ? -0.2 : 0.1;
  }
  for (const [query, value] of Object.entries(context.metrics ?? {})) {
    if (value === null) continue;
    lines.push(`PromQL ${query} = ${value}`);
    if (value > 0) delta += 0.05;
  }
  return { lines, delta };
}

/** How learning and history move confidence in the top candidate, and what they say. */
function experience(context: AnalysisContext): { lines: string[]; delta: number } {
  const lines: string[] = [];
  let delta = 0;
  const top = context.candidate_actions.find((candidate) => candidate.action !== 'escalate')?.action;
  const stat = context.learning.find((entry) => entry.action === top);
  if (stat && stat.attempts > 0) {
    lines.push(`${top} was effective ${stat.successes} of ${stat.attempts} times for this alert`);
    delta += stat.attempts >= 2 ? (stat.effective_rate - 0.5) * 0.3 : 0;
  }
  const pastFixes = context.history.filter((past) => past.effective === true && past.action === top).length;
  if (pastFixes > 0) {
    lines.push(`${pastFixes} similar past incident(s) were fixed by ${top}`);
    delta += 0.05;
  }
  if (context.flap_count > 0 && !context.evidence) {
    lines.push(`the alert re-opened ${context.flap_count} time(s) recently (flapping)`);
    delta -= Math.min(0.3, 0.1 * context.flap_count);
  }
  return { lines, delta };
}

/**
 * The rule-based analyzer: the runbook the alert and the gathered evidence fit best gives the
 * issue type, the likely cause and a base confidence; every agreeing fact raises the
 * confidence, as do learning and past fixes of the top candidate. Alert text only ever
 * selects among runbooks — it is never obeyed. Always available, needs no LLM; LLM analyzers
 * fall back to it.
 */
export class RuleAnalyzer implements Analyzer {
  readonly name = 'rules';

  constructor(private readonly runbooks: Runbook[]) {}

  private match(context: AnalysisContext): RunbookMatch | undefined {
    const subject = runbookSubject(context.alerts, { alertname: context.alertname }, context.evidence);
    const named = context.runbook ? this.runbooks.find((runbook) => runbook.name === context.runbook) : undefined;
    return (named && scoreRunbook(named, subject)) ?? bestRunbook(this.runbooks, subject);
  }

  async analyze(context: AnalysisContext): Promise<AnalysisOutcome> {
    const firing = context.alerts.filter((alert) => alert.status === 'firing');
    const first = firing[0] ?? context.alerts[0];
    const match = this.match(context);
    const runbook = match?.runbook;
    const severity = SEVERITY_OF_LABEL[context.severity.toLowerCase()] ?? 'medium';
    const gathered = context.evidence ? { lines: describeEvidence(context.evidence), delta: 0 } : legacyEvidence(context, runbook);
    const learned = experience(context);
    const agreement = match ? 0.1 * match.agreeing.length + (match.name ? 0.05 : 0) + (match.text ? 0.05 : 0) : 0;
    let confidence = (runbook?.confidence ?? 0.3) + agreement + gathered.delta + learned.delta;
    const issueDetected = firing.length > 0 && (runbook?.detected ?? true);
    if (firing.length === 0) confidence -= 0.3;
    const evidence = [...gathered.lines, ...learned.lines];
    const dependency = context.evidence && runbook?.issue_type === 'dependency_outage' ? failingDependency(context.evidence) : undefined;

    const summary = first?.annotations.summary ?? first?.annotations.description ?? `${context.alertname} on ${context.service}`;
    const description = [
      summary,
      first?.annotations.description && first.annotations.description !== summary ? first.annotations.description : undefined,
      match?.agreeing.length ? `The evidence shows ${match.agreeing.join(', ')}.` : undefined,
      dependency ? `Failing dependency: ${dependency}.` : undefined,
    ]
      .filter(Boolean)
      .join(' — ');
    const recommended = issueDetected
      ? context.candidate_actions.slice(0, 10).map((candidate) => ({
          action: candidate.action,
          target: context.service,
          risk: candidate.risk,
          reason:
            candidate.action === 'escalate'
              ? `runbook ${runbook?.name ?? '(none)'} hands this to a human${dependency ? ` (dependency ${dependency})` : ''}`
              : `runbook ${runbook?.name ?? '(none)'}, ranked by learning`,
        }))
      : [];
    const mutating = recommended.map((entry) => entry.action).filter((action) => action !== 'escalate' && !READ_ONLY_OPERATIONS.has(action));
    const analysis: AnalysisResult = {
      issue_detected: issueDetected,
      severity: issueDetected ? severity : 'low',
      // Nothing firing any more: whatever it was cleared before the analysis.
      issue_type: firing.length === 0 ? 'resolved' : (runbook?.issue_type ?? 'unknown'),
      description: description.slice(0, 4000),
      root_cause: `${runbook?.root_cause ?? 'No runbook fits this alert.'}${evidence.length ? ` Evidence: ${evidence.join('; ')}.` : ''}`.slice(0, 4000),
      recommended_actions: recommended,
      confidence: clamp(confidence),
      requires_immediate_action: issueDetected && (severity === 'critical' || severity === 'high'),
      risk_assessment:
        mutating.length > 0
          ? `${mutating.join(', ')} interrupts ${context.service} briefly (seconds); in-flight requests may fail. Runbook: ${runbook?.name ?? 'none'}.`
          : `Read-only or escalation only; no risk to ${context.service}. Runbook: ${runbook?.name ?? 'none'}.`,
    };
    return { analysis: analysisResultSchema.parse(analysis), analyzer: this.name, ...(runbook ? { runbook: runbook.name } : {}) };
  }
}
