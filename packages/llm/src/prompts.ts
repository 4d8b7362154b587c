import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';

/**
 * Prompts are versioned template files in `packages/llm/prompts/<name>.v<N>.md` with
 * `{{variable}}` placeholders. A new wording is a new file (`investigate.v2.md`), so a
 * change of behaviour can be traced to a prompt version in usage records and evaluations.
 */
const PLACEHOLDER = /\{\{\s*([a-z_][a-z0-9_]*)\s*\}\}/gi;

function promptsDirectory(): string {
  // src/prompts.ts → ../prompts; dist/src/prompts.js → ../../prompts.
  for (const candidate of ['../prompts/', '../../prompts/']) {
    const path = fileURLToPath(new URL(candidate, import.meta.url));
    if (existsSync(path)) return path;
  }
  throw new Error('packages/llm/prompts directory not found');
}

const cache = new Map<string, string>();

/** The raw template `name` (e.g. `investigate.v1`). */
export function loadPromptTemplate(name: string): string {
  let template = cache.get(name);
  if (template === undefined) {
    if (!/^[a-z0-9-]+\.v\d+$/.test(name)) throw new Error(`prompt name must look like "investigate.v1", got "${name}"`);
    template = readFileSync(`${promptsDirectory()}${name}.md`, 'utf8');
    cache.set(name, template);
  }
  return template;
}

/** Names of all prompt templates shipped (e.g. `['command-plan.v1', 'incident.v1', …]`). */
export function listPromptTemplates(): string[] {
  return readdirSync(promptsDirectory())
    .filter((file) => file.endsWith('.md'))
    .map((file) => file.slice(0, -3))
    .sort();
}

/** The distinct variables a template uses. */
export function promptVariables(template: string): string[] {
  return [...new Set([...template.matchAll(PLACEHOLDER)].map((match) => match[1]!))];
}

/** Thrown when a template is rendered with a variable missing (or one it does not use). */
export class PromptBindingError extends Error {
  constructor(
    readonly template: string,
    readonly missing: string[],
    readonly unused: string[],
  ) {
    super(
      `prompt ${template}: ${[
        missing.length > 0 ? `unbound variables ${missing.join(', ')}` : '',
        unused.length > 0 ? `unknown variables ${unused.join(', ')}` : '',
      ]
        .filter(Boolean)
        .join('; ')}`,
    );
    this.name = 'PromptBindingError';
  }
}

/**
 * Renders template `name` with `variables`; every placeholder must be bound and every
 * variable used, or it throws {@link PromptBindingError} — a prompt never reaches a model
 * with a literal `{{…}}` in it.
 */
export function renderPrompt(name: string, variables: Record<string, string | number>): string {
  const template = loadPromptTemplate(name);
  const used = promptVariables(template);
  const missing = used.filter((variable) => !(variable in variables));
  const unused = Object.keys(variables).filter((variable) => !used.includes(variable));
  if (missing.length > 0 || unused.length > 0) throw new PromptBindingError(name, missing, unused);
  return template.replace(PLACEHOLDER, (_match, variable: string) => String(variables[variable]));
}

/** A zod schema as compact JSON Schema text, for the `{{output_schema}}` placeholder. */
export function describeSchema(schema: z.ZodType): string {
  const jsonSchema = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  delete jsonSchema.$schema;
  return JSON.stringify(jsonSchema);
}
