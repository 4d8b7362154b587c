import {
  type AnalysisContext,
  type AnalysisOutcome,
  type AnalysisResult,
  type Analyzer,
  analysisResultSchema,
  type Severity,
} from '@atb/contracts';
import { matchRunbook, READ_ONLY_OPERATIONS, type Runbook } from './runbooks.js';

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

/**
 * The rule-based analyzer: the runbook that matches the alert gives the issue type, the likely
 * cause and a base confidence; evidence moves the confidence — the target's health, PromQL
 * results, how the candidate actions fared before (learning), similar past incidents, flapping.
 * Always available, needs no LLM; LLM analyzers fall back to it.
 */
export class RuleAnalyzer implements Analyzer {
  readonly name = 'rules';

  constructor(private readonly runbooks: Runbook[]) {}

  async analyze(context: AnalysisContext): Promise<AnalysisOutcome> {
    const firing = context.alerts.filter((alert) => alert.status === 'firing');
    const first = firing[0] ?? context.alerts[0];
    const labels = first?.labels ?? { alertname: context.alertname };
    const runbook = matchRunbook(this.runbooks, labels);
    const severity = SEVERITY_OF_LABEL[context.severity.toLowerCase()] ?? 'medium';
    const evidence: string[] = [];
    let confidence = runbook?.confidence ?? 0.3;

    const health = context.health;
    if (health) {
      const healthy = health.reachable && (health.status === 'healthy' || health.status === 'ok');
      if (runbook?.verify === 'health') {
        if (!health.reachable) {
          confidence += 0.15;
          evidence.push(`health check failed: ${health.error ?? 'unreachable'}`);
        } else if (healthy) {
          confidence -= 0.2;
          evidence.push(`health answers ${health.status} in ${health.response_time_ms ?? '?'} ms, contradicting the alert`);
        } else {
          confidence += 0.1;
          evidence.push(`health answers ${health.status}`);
        }
      } else if (health.reachable) {
        evidence.push(`health answers ${health.status} in ${health.response_time_ms ?? '?'} ms`);
      } else {
        evidence.push(`health check failed: ${health.error ?? 'unreachable'}`);
      }
    }
    for (const [query, value] of Object.entries(context.metrics ?? {})) {
      if (value === null) continue;
      evidence.push(`PromQL ${query} = ${value}`);
      if (value > 0) confidence += 0.05;
    }
    const top = context.candidate_actions.find((candidate) => candidate.action !== 'escalate')?.action;
    const stat = context.learning.find((entry) => entry.action === top);
    if (stat && stat.attempts > 0) {
      evidence.push(`${top} was effective ${stat.successes} of ${stat.attempts} times for this alert`);
      confidence += stat.attempts >= 2 ? (stat.effective_rate - 0.5) * 0.3 : 0;
    }
    const pastFixes = context.history.filter((past) => past.effective === true && past.action === top).length;
    if (pastFixes > 0) {
      evidence.push(`${pastFixes} similar past incident(s) were fixed by ${top}`);
      confidence += 0.05;
    }
    if (context.flap_count > 0) {
      evidence.push(`the alert re-opened ${context.flap_count} time(s) recently (flapping)`);
      confidence -= Math.min(0.3, 0.1 * context.flap_count);
    }
    const issueDetected = firing.length > 0;
    if (!issueDetected) confidence -= 0.3;

    const summary = first?.annotations.summary ?? first?.annotations.description ?? `${context.alertname} on ${context.service}`;
    const description = [summary, first?.annotations.description && first.annotations.description !== summary ? first.annotations.description : undefined]
      .filter(Boolean)
      .join(' — ');
    const recommended = context.candidate_actions.slice(0, 10).map((candidate) => ({
      action: candidate.action,
      target: context.service,
      risk: candidate.risk,
      reason: candidate.action === 'escalate' ? 'the runbook hands this to a human' : `runbook ${runbook?.name ?? '(none)'}, ranked by learning`,
    }));
    const mutating = context.candidate_actions.map((candidate) => candidate.action).filter((action) => action !== 'escalate' && !READ_ONLY_OPERATIONS.has(action));
    const analysis: AnalysisResult = {
      issue_detected: issueDetected,
      severity,
      issue_type: runbook?.issue_type ?? 'unknown',
      description: description.slice(0, 4000),
      root_cause: `${runbook?.root_cause ?? 'No runbook matches this alert.'}${evidence.length ? ` Evidence: ${evidence.join('; ')}.` : ''}`.slice(0, 4000),
      recommended_actions: recommended,
      confidence: clamp(confidence),
      requires_immediate_action: issueDetected && (severity === 'critical' || severity === 'high'),
      risk_assessment:
        mutating.length > 0
          ? `${mutating.join(', ')} interrupts ${context.service} briefly (seconds); in-flight requests may fail. Runbook: ${runbook?.name ?? 'none'}.`
          : `Read-only or escalation only; no risk to ${context.service}. Runbook: ${runbook?.name ?? 'none'}.`,
    };
    return { analysis: analysisResultSchema.parse(analysis), analyzer: this.name };
  }
}
