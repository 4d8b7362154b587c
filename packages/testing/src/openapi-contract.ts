import { isDeepStrictEqual } from 'node:util';
import { z } from 'zod';

/** One route as a client calls it, with the shared schemas it is declared with. */
export interface ContractRoute {
  method: 'get' | 'post' | 'delete';
  /** In OpenAPI form: `/tasks/{id}`. */
  path: string;
  body?: z.ZodType;
  query?: z.ZodType;
  /** Status → schema of the answer. */
  responses: Record<number, z.ZodType>;
}

type JsonObject = Record<string, unknown>;

/** The server's OpenAPI document, read from `GET /docs/json` over its socket. */
export async function fetchOpenApiDocument(baseUrl: string): Promise<JsonObject> {
  const response = await fetch(`${baseUrl.replace(/\/+$/, '')}/docs/json`);
  if (!response.ok) throw new Error(`GET /docs/json answered ${response.status}`);
  return (await response.json()) as JsonObject;
}

/** `const: x` as `enum: [x]`, the way @fastify/swagger writes it into the document. */
function constAsEnum(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(constAsEnum);
  if (!value || typeof value !== 'object') return value;
  const entries = Object.entries(value as JsonObject).map(([key, entry]) => (key === 'const' ? ['enum', [entry]] : [key, constAsEnum(entry)]));
  return Object.fromEntries(entries);
}

/** The JSON Schema a route serves for `schema` (as Fastify's zod type provider and @fastify/swagger write it). */
export function expectedJsonSchema(schema: z.ZodType, io: 'input' | 'output'): JsonObject {
  const generated = z.toJSONSchema(schema, { target: 'draft-2020-12', io, unrepresentable: 'any', reused: 'inline' }) as JsonObject;
  const { $schema: _schema, id: _id, ...rest } = generated;
  return constAsEnum(rest) as JsonObject;
}

const at = (value: unknown, ...keys: string[]): unknown =>
  keys.reduce<unknown>((current, key) => (current && typeof current === 'object' ? (current as JsonObject)[key] : undefined), value);

function compare(problems: string[], where: string, served: unknown, expected: JsonObject): void {
  if (served === undefined) problems.push(`${where}: the document has no schema`);
  else if (!isDeepStrictEqual(served, expected)) {
    problems.push(`${where}: the document's schema differs from the shared one\n  served:   ${JSON.stringify(served)}\n  expected: ${JSON.stringify(expected)}`);
  }
}

/**
 * Where the OpenAPI document and the shared schemas disagree: a route a client calls that the
 * document lacks, a body, query or answer schema that is not the one generated from the shared
 * zod schema. Empty when they agree.
 */
export function contractMismatches(document: JsonObject, routes: ContractRoute[]): string[] {
  const problems: string[] = [];
  for (const route of routes) {
    const name = `${route.method.toUpperCase()} ${route.path}`;
    const operation = at(document, 'paths', route.path, route.method);
    if (operation === undefined) {
      problems.push(`${name}: not in the OpenAPI document`);
      continue;
    }
    if (route.body) compare(problems, `${name} body`, at(operation, 'requestBody', 'content', 'application/json', 'schema'), expectedJsonSchema(route.body, 'input'));
    if (route.query) {
      const served = ((at(operation, 'parameters') as JsonObject[] | undefined) ?? []).filter((parameter) => parameter.in === 'query').map((parameter) => String(parameter.name));
      const expected = Object.keys((expectedJsonSchema(route.query, 'input').properties as JsonObject | undefined) ?? {});
      if (!isDeepStrictEqual([...served].sort(), [...expected].sort())) problems.push(`${name} query: served ${served.join(', ')}; expected ${expected.join(', ')}`);
    }
    for (const [status, schema] of Object.entries(route.responses)) {
      compare(problems, `${name} ${status}`, at(operation, 'responses', status, 'content', 'application/json', 'schema'), expectedJsonSchema(schema, 'output'));
    }
  }
  return problems;
}
