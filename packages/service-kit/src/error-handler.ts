import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors, isResponseSerializationError } from 'fastify-type-provider-zod';
import { AppError, type ErrorBody, type ErrorIssue } from './errors.js';

/** Converts any thrown error into the one error body and status. 5xx details are logged, never sent. */
export function toErrorResponse(error: unknown, requestId?: string): { statusCode: number; body: ErrorBody } {
  if (error instanceof AppError) {
    const body: ErrorBody = { error: error.code, message: error.message };
    if (error.field) body.field = error.field;
    if (error.issues.length > 0) body.issues = error.issues;
    if (error.details) body.details = error.details;
    if (error.statusCode >= 500 && error.category === 'system') body.message = 'internal error';
    if (requestId) body.request_id = requestId;
    return { statusCode: error.statusCode, body };
  }
  if (hasZodFastifySchemaValidationErrors(error)) {
    const context = (error as { validationContext?: string }).validationContext ?? 'body';
    const issues: ErrorIssue[] = error.validation.map((issue) => ({
      field: [context, ...issue.instancePath.split('/').filter(Boolean)].join('.'),
      message: issue.message ?? 'invalid value',
    }));
    const first = issues[0];
    return {
      statusCode: 422,
      body: {
        error: 'validation_failed',
        message: first ? `${first.field}: ${first.message}` : 'request failed validation',
        ...(first ? { field: first.field } : {}),
        issues,
        ...(requestId ? { request_id: requestId } : {}),
      },
    };
  }
  const fastifyError = error as Partial<FastifyError>;
  const code = fastifyError.code;
  const known: Record<string, { statusCode: number; error: string; message: string; field?: string }> = {
    FST_ERR_CTP_BODY_TOO_LARGE: { statusCode: 413, error: 'payload_too_large', message: 'request body is too large', field: 'body' },
    FST_ERR_CTP_INVALID_JSON_BODY: { statusCode: 400, error: 'invalid_json', message: 'request body is not valid JSON', field: 'body' },
    FST_ERR_CTP_EMPTY_JSON_BODY: { statusCode: 400, error: 'invalid_json', message: 'request body is empty; expected JSON', field: 'body' },
    FST_ERR_CTP_INVALID_MEDIA_TYPE: { statusCode: 415, error: 'unsupported_media_type', message: 'expected Content-Type: application/json', field: 'content-type' },
    FST_ERR_CTP_INVALID_CONTENT_LENGTH: { statusCode: 400, error: 'invalid_content_length', message: 'Content-Length does not match the body', field: 'content-length' },
  };
  const mapped = code ? known[code] : undefined;
  if (mapped) {
    return {
      statusCode: mapped.statusCode,
      body: {
        error: mapped.error,
        message: mapped.message,
        ...(mapped.field ? { field: mapped.field } : {}),
        ...(requestId ? { request_id: requestId } : {}),
      },
    };
  }
  if (error instanceof SyntaxError && (error as { statusCode?: number }).statusCode === 400) {
    return { statusCode: 400, body: { error: 'invalid_json', message: 'request body is not valid JSON', field: 'body' } };
  }
  const statusCode = fastifyError.statusCode;
  if (typeof statusCode === 'number' && statusCode >= 400 && statusCode < 500 && !isResponseSerializationError(error)) {
    return {
      statusCode,
      body: {
        error: code?.toLowerCase() ?? 'bad_request',
        message: fastifyError.message ?? 'bad request',
        ...(requestId ? { request_id: requestId } : {}),
      },
    };
  }
  return {
    statusCode: 500,
    body: { error: 'internal_error', message: 'internal error', ...(requestId ? { request_id: requestId } : {}) },
  };
}

export function errorHandler(error: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const { statusCode, body } = toErrorResponse(error, request.id);
  if (statusCode >= 500) request.log.error({ err: error }, 'request failed');
  else request.log.info({ statusCode, error: body.error, field: body.field }, 'request rejected');
  return reply.status(statusCode).send(body);
}
