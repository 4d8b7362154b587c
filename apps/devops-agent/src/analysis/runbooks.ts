import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { OPERATIONS } from '@atb/contracts';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';

const candidateSchema = z.object({
  action: z.enum([...OPERATIONS, 'escalate']),
  risk: z.enum(['low', 'medium', 'high']).default('medium'),
  code_level: z.boolean().optional(),
});
export type RunbookCandidate = z.infer<typeof candidateSchema>;

const regex = z.string().refine((value) => {
  try {
    new RegExp(value);
    return true;
  } catch {
    return false;
  }
}, 'expected a regular expression');

export const runbookSchema = z.object({
  name: z.string().min(1),
  match: z.object({ alertname: regex.default('.*'), labels: z.record(z.string(), regex).default({}) }),
  issue_type: z.string().min(1).max(100),
  root_cause: z.string().min(1),
  confidence: z.number().min(0).max(1).default(0.5),
  verify: z.enum(['health', 'alert']).default('alert'),
  code_level: z.boolean().default(false),
  promql: z.array(z.string().min(1)).default([]),
  candidates: z.array(candidateSchema).min(1),
});
export type Runbook = z.infer<typeof runbookSchema>;

export const runbookFileSchema = z.object({ runbooks: z.array(runbookSchema).min(1) });

/** Read-only operations: they gather evidence and change nothing. */
export const READ_ONLY_OPERATIONS: ReadonlySet<string> = new Set(['logs', 'inspect', 'stats', 'list']);

/** The shipped runbook file (`apps/devops-agent/config/runbooks.yaml`), from src/ or dist/src/. */
export function defaultRunbooksFile(): string {
  for (const relative of ['../../config/runbooks.yaml', '../../../config/runbooks.yaml']) {
    const path = fileURLToPath(new URL(relative, import.meta.url));
    if (existsSync(path)) return path;
  }
  throw new Error('the shipped config/runbooks.yaml was not found; set RUNBOOKS_FILE');
}

/** Loads and validates a runbook file (YAML or JSON); errors name the file and the field. */
export function loadRunbooks(file: string): Runbook[] {
  const text = readFileSync(file, 'utf8');
  const data: unknown = file.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
  const parsed = runbookFileSchema.safeParse(data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`invalid runbook file ${file}: ${issue?.path.join('.') ?? '?'}: ${issue?.message ?? 'invalid'}`);
  }
  return parsed.data.runbooks;
}

/** The first runbook matching an alert's labels. */
export function matchRunbook(runbooks: Runbook[], labels: Record<string, string>): Runbook | undefined {
  return runbooks.find((runbook) => {
    if (!new RegExp(`^(?:${runbook.match.alertname})$`, 'i').test(labels.alertname ?? '')) return false;
    return Object.entries(runbook.match.labels).every(([label, pattern]) =>
      new RegExp(`^(?:${pattern})$`, 'i').test(labels[label] ?? ''),
    );
  });
}
