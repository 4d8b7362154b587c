import { randomUUID } from 'node:crypto';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController, type RawServerDefault } from 'fastify';
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  jsonSchemaTransform,
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import type { LoggerOptions } from 'pino';
import { errorHandler } from './error-handler.js';
import { loggerOptions } from './logger.js';
import { createServiceMetrics, type ServiceMetrics } from './metrics.js';

export type App = FastifyInstance<
  RawServerDefault,
  IncomingMessage,
  ServerResponse,
  FastifyBaseLogger,
  ZodTypeProvider
>;

export type HealthState = 'healthy' | 'degraded' | 'unhealthy';

export interface HealthCheck {
  status: HealthState;
  message?: string;
  [key: string]: unknown;
}

export interface HealthReport {
  status: HealthState;
  checks?: Record<string, HealthCheck>;
  [key: string]: unknown;
}

export interface ServiceOptions {
  name: string;
  version: string;
  description?: string;
  config: { ENVIRONMENT: string; LOG_LEVEL: string; API_HOST: string; API_PORT: number };
  /** Largest request body accepted, in bytes; larger ones get 413. Default 1 MiB. */
  bodyLimit?: number;
  /** pino options or `false` to log nothing (tests). Defaults to JSON logs at LOG_LEVEL. */
  logger?: LoggerOptions | false;
  /** Extra fields and checks for `GET /health`. The worst check decides the status. */
  health?: () => HealthReport | Promise<HealthReport>;
  /** Extra fields for `GET /status`. */
  status?: () => Record<string, unknown> | Promise<Record<string, unknown>>;
  /** Routes never logged at info (probes and scrapes). */
  quietRoutes?: string[];
}

/** A running service: its Fastify app, its metrics, and how to start and stop it. */
export interface Service {
  app: App;
  metrics: ServiceMetrics;
  name: string;
  version: string;
  startedAt: Date;
  /** Registers cleanup (closing stores, stopping timers) run on close after in-flight requests finish. */
  onClose(cleanup: () => void | Promise<void>): void;
  /** Starts listening on API_HOST:API_PORT (port 0 picks a free one); returns the base URL. */
  listen(): Promise<string>;
  close(): Promise<void>;
}

const REQUEST_ID = /^[\w.:-]{1,128}$/;

const worst = (states: HealthState[]): HealthState =>
  states.includes('unhealthy') ? 'unhealthy' : states.includes('degraded') ? 'degraded' : 'healthy';

/**
 * Builds a Fastify 5 server with zod validation, OpenAPI at `/docs` (assets served locally),
 * `/health`, `/status`, `/metrics`, request ids, redacted JSON logs and the one error handler.
 * Register the service's own routes on `service.app` after this resolves.
 *
 * @example
 * const service = await createService({ name: 'market-predictor', version, config });
 * service.app.post('/predict', { schema: { body } }, handler);
 * await service.listen();
 */
export async function createService(options: ServiceOptions): Promise<Service> {
  const { name, version, config } = options;
  const metrics = createServiceMetrics(name);
  const startedAt = new Date();
  const quietRoutes = new Set(options.quietRoutes ?? ['/health', '/metrics', '/status']);
  const app = Fastify({
    logger: options.logger === false ? false : (options.logger ?? loggerOptions(config.LOG_LEVEL, name)),
    bodyLimit: options.bodyLimit ?? 1024 * 1024,
    logController: new LogController({ disableRequestLogging: true }),
    requestIdHeader: false,
    genReqId: (request) => {
      const header = request.headers['x-request-id'];
      return typeof header === 'string' && REQUEST_ID.test(header) ? header : randomUUID();
    },
    return503OnClosing: true,
  }).withTypeProvider<ZodTypeProvider>();

  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.setErrorHandler(errorHandler);
  app.setNotFoundHandler((request, reply) =>
    reply.status(404).send({
      error: 'not_found',
      message: `no route ${request.method} ${request.url.split('?')[0]}`,
      request_id: request.id,
    }),
  );

  let closing = false;
  app.addHook('onSend', async (request, reply, payload) => {
    reply.header('x-request-id', request.id);
    // While shutting down, let keep-alive clients go after their last answer.
    if (closing) reply.header('connection', 'close');
    return payload;
  });
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    const labels = { method: request.method, route, status_code: String(reply.statusCode) };
    metrics.httpRequests.inc(labels);
    metrics.httpRequestDuration.observe(labels, reply.elapsedTime / 1000);
    const line = { method: request.method, url: request.url, statusCode: reply.statusCode, ms: reply.elapsedTime };
    if (quietRoutes.has(route)) request.log.debug(line, 'request completed');
    else request.log.info(line, 'request completed');
  });

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: name, version, ...(options.description ? { description: options.description } : {}) },
    },
    transform: jsonSchemaTransform,
  });
  await app.register(swaggerUi, { routePrefix: '/docs', staticCSP: true });

  app.get('/health', { schema: { hide: false, tags: ['operations'], summary: 'Liveness and dependency health' } }, async (_request, reply) => {
    const extra = options.health ? await options.health() : { status: 'healthy' as const };
    const checks = extra.checks ?? {};
    const status = worst([extra.status, ...Object.values(checks).map((check) => check.status)]);
    return reply.status(status === 'unhealthy' ? 503 : 200).send({
      ...extra,
      status,
      service: name,
      version,
      timestamp: new Date().toISOString(),
      checks,
    });
  });

  app.get('/status', { schema: { tags: ['operations'], summary: 'Version, uptime and service state' } }, async () => ({
    service: name,
    version,
    environment: config.ENVIRONMENT,
    started_at: startedAt.toISOString(),
    uptime_seconds: Math.round((Date.now() - startedAt.getTime()) / 1000),
    node_version: process.version,
    ...(options.status ? await options.status() : {}),
  }));

  app.get('/metrics', { schema: { tags: ['operations'], summary: 'Prometheus exposition' } }, async (_request, reply) => {
    reply.header('content-type', metrics.registry.contentType);
    return metrics.registry.metrics();
  });

  const cleanups: (() => void | Promise<void>)[] = [];
  app.addHook('onClose', async () => {
    for (const cleanup of cleanups.reverse()) {
      try {
        await cleanup();
      } catch (error) {
        app.log.error({ err: error }, 'cleanup failed during shutdown');
      }
    }
  });

  return {
    app,
    metrics,
    name,
    version,
    startedAt,
    onClose: (cleanup) => {
      cleanups.push(cleanup);
    },
    listen: async () => {
      await app.listen({ host: config.API_HOST, port: config.API_PORT });
      const address = app.server.address();
      const port = typeof address === 'object' && address ? address.port : config.API_PORT;
      const host = config.API_HOST.includes(':') ? `[${config.API_HOST}]` : config.API_HOST;
      return `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`;
    },
    close: async () => {
      closing = true;
      // Fastify closes idle keep-alive connections once, when close starts; connections whose
      // request was still in flight become idle later, so keep closing idle ones until done.
      const sweeper = setInterval(() => app.server.closeIdleConnections?.(), 50);
      try {
        await app.close();
      } finally {
        clearInterval(sweeper);
      }
    },
  };
}
