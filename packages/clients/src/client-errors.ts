import { AppError, type ErrorIssue } from '@atb/service-kit';
import type { z } from 'zod';

/**
 * What a client call can fail with, each an upstream error (502 when an API passes it on)
 * with a stable code:
 * - `upstream_unreachable`: no connection, or no answer within the timeout;
 * - `upstream_refused`: the service answered with an error status (its `error`, `message`
 *   and `field` are kept);
 * - `contract_violation`: the answer does not match the shared schema; the error names the
 *   field, what was expected and what was found. A client never guesses a shape.
 */

export class UpstreamUnreachableError extends AppError {
  constructor(
    readonly service: string,
    message: string,
    options: { timedOut?: boolean; cause?: unknown } = {},
  ) {
    super(options.timedOut ? 'upstream_timeout' : 'upstream_unreachable', 'upstream', 502, message, { cause: options.cause });
  }
}

/** The body of an error answer, as far as it could be read. */
export interface UpstreamErrorBody {
  error?: string;
  message?: string;
  field?: string;
  issues?: ErrorIssue[];
}

export class UpstreamRefusedError extends AppError {
  constructor(
    readonly service: string,
    /** The HTTP status the service answered. */
    readonly status: number,
    readonly body: UpstreamErrorBody,
    message: string,
  ) {
    super('upstream_refused', 'upstream', 502, message, {
      ...(body.field ? { field: body.field } : {}),
      ...(body.issues ? { issues: body.issues } : {}),
      details: { service, status, ...(body.error ? { upstream_error: body.error } : {}) },
    });
  }
}

export class ContractViolationError extends AppError {
  constructor(
    readonly service: string,
    message: string,
    /** The offending field of the response, dotted (`incidents.0.state`); `(root)` for the whole body. */
    field: string,
    issues: ErrorIssue[],
  ) {
    super('contract_violation', 'upstream', 502, message, { field, issues });
  }
}

function valueAt(value: unknown, path: readonly PropertyKey[]): unknown {
  let current = value;
  for (const key of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<PropertyKey, unknown>)[key];
  }
  return current;
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  const text = JSON.stringify(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/**
 * Parses an answer with its contract schema; a mismatch is a {@link ContractViolationError}
 * naming the first offending field and the value found there.
 */
export function parseAnswer<Schema extends z.ZodType>(service: string, route: string, schema: Schema, body: unknown): z.output<Schema> {
  const parsed = schema.safeParse(body);
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues.map((issue) => ({
    field: issue.path.map(String).join('.') || '(root)',
    message: `${issue.message}; found ${describe(valueAt(body, issue.path))}`,
  }));
  const first = issues[0] ?? { field: '(root)', message: 'does not match' };
  throw new ContractViolationError(service, `${service} ${route}: response field ${first.field}: ${first.message}`, first.field, issues);
}
