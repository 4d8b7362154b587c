/**
 * The one error model of every service. Each error has a stable `code`, a category that says
 * whose fault it is, and an HTTP status; the error handler in `server.ts` maps them to
 * responses in one place. 4xx bodies name the offending field whenever there is one.
 */
export type ErrorCategory = 'user' | 'system' | 'upstream';

export interface ErrorIssue {
  /** Dotted path of the field, e.g. `body.prices.3` or `API_PORT`. */
  field: string;
  message: string;
}

export interface AppErrorOptions {
  field?: string;
  issues?: ErrorIssue[];
  details?: Record<string, unknown>;
  cause?: unknown;
}

export class AppError extends Error {
  readonly field: string | undefined;
  readonly issues: ErrorIssue[];
  readonly details: Record<string, unknown> | undefined;

  constructor(
    readonly code: string,
    readonly category: ErrorCategory,
    readonly statusCode: number,
    message: string,
    options: AppErrorOptions = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.field = options.field ?? options.issues?.[0]?.field;
    this.issues = options.issues ?? (options.field ? [{ field: options.field, message }] : []);
    this.details = options.details;
  }
}

/** Malformed input that could not be read at all (bad JSON, wrong content type): 400. */
export class InputError extends AppError {
  constructor(message: string, options?: AppErrorOptions) {
    super('invalid_input', 'user', 400, message, options);
  }
}

/** Well-formed input that breaks the schema or a rule: 422, naming the field. */
export class ValidationError extends AppError {
  constructor(message: string, options?: AppErrorOptions) {
    super('validation_failed', 'user', 422, message, options);
  }
}

export class AuthenticationError extends AppError {
  constructor(message = 'missing or invalid credentials', options?: AppErrorOptions) {
    super('unauthenticated', 'user', 401, message, options);
  }
}

export class NotAllowedError extends AppError {
  constructor(message: string, options?: AppErrorOptions) {
    super('not_allowed', 'user', 403, message, options);
  }
}

/** An authenticated principal whose role does not allow this request: 403 `forbidden`. */
export class ForbiddenError extends AppError {
  constructor(message: string, options?: AppErrorOptions) {
    super('forbidden', 'user', 403, message, options);
  }
}

export class NotFoundError extends AppError {
  constructor(message: string, options?: AppErrorOptions) {
    super('not_found', 'user', 404, message, options);
  }
}

export class ConflictError extends AppError {
  constructor(message: string, options?: AppErrorOptions) {
    super('conflict', 'user', 409, message, options);
  }
}

export class PayloadTooLargeError extends AppError {
  constructor(message: string, options?: AppErrorOptions) {
    super('payload_too_large', 'user', 413, message, options);
  }
}

export class RateLimitedError extends AppError {
  constructor(message: string, options?: AppErrorOptions) {
    super('rate_limited', 'user', 429, message, options);
  }
}

/** A dependency (Docker engine, LLM provider, forge) failed: 502. */
export class UpstreamError extends AppError {
  constructor(message: string, options?: AppErrorOptions) {
    super('upstream_failed', 'upstream', 502, message, options);
  }
}

export class ServiceUnavailableError extends AppError {
  constructor(message: string, options?: AppErrorOptions) {
    super('unavailable', 'system', 503, message, options);
  }
}

/** A bug or a broken invariant on our side: 500. The message is logged, not sent. */
export class SystemError extends AppError {
  constructor(message: string, options?: AppErrorOptions) {
    super('internal_error', 'system', 500, message, options);
  }
}

/** The JSON body of every error response. */
export interface ErrorBody {
  error: string;
  message: string;
  field?: string;
  issues?: ErrorIssue[];
  details?: Record<string, unknown>;
  request_id?: string;
}
