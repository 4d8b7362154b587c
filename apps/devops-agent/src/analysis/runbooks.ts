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

const fact = z.string().regex(/^[a-z0-9-]+$/, 'expected a fact name like "oom-killed"');

export const runbookSchema = z.object({
  name: z.string().min(1),
  match: z.object({
    /** The alert's name (whole, case-insensitive): one agreeing signal. */
    alertname: regex.optional(),
    /** Labels that must all match (a filter, not a signal). */
    labels: z.record(z.string(), regex).default({}),
    /** Summary and description text (anywhere, case-insensitive): one agreeing signal. */
    text: regex.optional(),
    /** Evidence facts; each one that holds is two agreeing signals. */
    evidence: z.array(fact).default([]),
    /** Facts that must all hold: a runbook whose requirements hold outranks one without. */
    requires: z.array(fact).default([]),
    /** Facts that rule the runbook out. */
    unless: z.array(fact).default([]),
  }),
  /** False for alerts that are not a problem (heartbeats, benign readings): the analysis detects no issue. */
  detected: z.boolean().default(true),
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

/** What a runbook is matched against: the alert's labels, its annotation text, the evidence facts. */
export interface RunbookSubject {
  labels: Record<string, string>;
  text?: string;
  facts?: readonly string[];
}

/** How well one runbook fits: which signals agree (for confidence and the narration). */
export interface RunbookMatch {
  runbook: Runbook;
  /** Evidence facts of the runbook that hold. */
  agreeing: string[];
  /** Whether the alert name / the annotation text agreed. */
  name: boolean;
  text: boolean;
  score: number;
}

const whole = (pattern: string, value: string) => new RegExp(`^(?:${pattern})$`, 'i').test(value);

/** Scores one runbook on a subject; `undefined` when a filter rules it out or nothing agrees. */
export function scoreRunbook(runbook: Runbook, subject: RunbookSubject): RunbookMatch | undefined {
  const { match } = runbook;
  const facts = new Set(subject.facts ?? []);
  if (!Object.entries(match.labels).every(([label, pattern]) => whole(pattern, subject.labels[label] ?? ''))) return undefined;
  if (!match.requires.every((required) => facts.has(required))) return undefined;
  if (match.unless.some((excluded) => facts.has(excluded))) return undefined;
  const name = match.alertname !== undefined && whole(match.alertname, subject.labels.alertname ?? '');
  const text = match.text !== undefined && subject.text !== undefined && new RegExp(match.text, 'i').test(subject.text);
  const agreeing = match.evidence.filter((entry) => facts.has(entry));
  const signals = (name ? 1 : 0) + (text ? 1 : 0) + 2 * agreeing.length;
  const catchAll = match.alertname === undefined && match.text === undefined && match.evidence.length === 0 && match.requires.length === 0;
  if (signals === 0 && !catchAll) return undefined;
  // A runbook whose requirements hold is more specific than any without: it outranks them.
  return { runbook, agreeing, name, text, score: signals + (match.requires.length > 0 ? 100 : 0) };
}

/**
 * The runbook that fits best: the highest score (requirements met, then evidence facts,
 * then name and text), the earlier in the file on a tie. A catch-all (a runbook matching on
 * nothing) answers when nothing else fits.
 */
export function bestRunbook(runbooks: Runbook[], subject: RunbookSubject): RunbookMatch | undefined {
  let best: RunbookMatch | undefined;
  for (const runbook of runbooks) {
    const scored = scoreRunbook(runbook, subject);
    if (scored && (!best || scored.score > best.score)) best = scored;
  }
  return best;
}

/** The best runbook for an alert's labels (and, when known, its text and evidence facts). */
export function matchRunbook(runbooks: Runbook[], labels: Record<string, string>, more: Omit<RunbookSubject, 'labels'> = {}): Runbook | undefined {
  return bestRunbook(runbooks, { labels, ...more })?.runbook;
}

/** The runbook an analysis named, else the best match for the labels. */
export function runbookFor(runbooks: Runbook[], name: string | undefined, labels: Record<string, string>): Runbook | undefined {
  return (name ? runbooks.find((runbook) => runbook.name === name) : undefined) ?? matchRunbook(runbooks, labels);
}
