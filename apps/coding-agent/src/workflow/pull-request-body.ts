import type { Task, TestRun } from '../tasks/task.js';

function runLine(label: string, run: TestRun | undefined): string {
  if (!run) return `- ${label}: not run`;
  const counts = run.tests ? ` (${run.tests.filter((test) => test.passed).length}/${run.tests.length} tests passed)` : '';
  return `- ${label}: ${run.passed ? 'passed' : 'failed'}${counts}, \`${run.command.join(' ')}\`, ${run.duration_ms} ms`;
}

/** The pull request's body: requirement, incident link, plan, test results, edits, findings, cost. */
export function pullRequestBody(task: Task, incidentUrl?: string): string {
  const plan = task.plan;
  const sections = [
    `Automated change by the coding agent, task \`${task.task_id}\`.`,
    `## Requirement\n${task.requirement}`,
    task.incident_id ? `## Incident\n${incidentUrl ? `[${task.incident_id}](${incidentUrl})` : task.incident_id}` : '',
    plan
      ? [
          '## Plan',
          plan.summary ?? '',
          `- complexity: ${plan.complexity}/5, estimated ${plan.estimated_time_minutes} min`,
          `- files to modify: ${plan.files_to_modify.join(', ') || 'none'}`,
          `- new files: ${plan.new_files_needed.join(', ') || 'none'}`,
          `- dependencies: ${plan.dependencies.join(', ') || 'none'}`,
          `- risks: ${plan.risks.join('; ') || 'none stated'}`,
        ]
          .filter(Boolean)
          .join('\n')
      : '',
    [
      '## Tests (run in the sandbox)',
      runLine('before the change', task.test_results.baseline),
      runLine('after the change', task.test_results.final),
      `- iterations: ${task.iterations}`,
    ].join('\n'),
    task.diff_summary
      ? `## Changes\n${task.diff_summary.files.map((file) => `- \`${file.path}\` +${file.additions} −${file.deletions}`).join('\n')}`
      : '',
    task.security_findings.length > 0
      ? `## Security notes\n${task.security_findings.map((finding) => `- ${finding.rule}${finding.path ? ` \`${finding.path}\`` : ''}: ${finding.message}`).join('\n')}`
      : '',
    `---\nTokens: ${task.tokens.total} (input ${task.tokens.input}, output ${task.tokens.output}); cost ≈ $${task.cost_usd.toFixed(4)}.`,
  ];
  return sections.filter(Boolean).join('\n\n');
}
