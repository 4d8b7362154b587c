import { z } from 'zod';

/**
 * Configuration is read from the environment once, at start-up, validated with a zod schema
 * whose keys are the environment variable names, and then passed in. Nothing else reads
 * `process.env`.
 */
export class ConfigError extends Error {
  constructor(readonly problems: { variable: string; message: string; received: string | undefined }[]) {
    super(
      `invalid configuration:\n${problems
        .map(
          (problem) =>
            `  ${problem.variable}: ${problem.message}${
              problem.received === undefined ? ' (not set)' : ` (received ${JSON.stringify(problem.received)})`
            }`,
        )
        .join('\n')}`,
    );
    this.name = 'ConfigError';
  }
}

export type Environment = Record<string, string | undefined>;

/**
 * Validates `environment` against `schema`; explicit `overrides` win over the environment.
 * Throws a {@link ConfigError} naming every bad variable and what it expects.
 *
 * @example
 * const config = loadConfig(z.object({ API_PORT: port(8000) }));
 */
export function loadConfig<Schema extends z.ZodObject>(
  schema: Schema,
  environment: Environment = process.env,
  overrides: Partial<Record<keyof z.input<Schema>, string | undefined>> = {},
): z.output<Schema> {
  const input: Record<string, string | undefined> = {};
  for (const key of Object.keys(schema.shape)) {
    const override = (overrides as Record<string, string | undefined>)[key];
    const value = override ?? environment[key];
    // An empty variable counts as unset, as in most shells' `VAR= command`.
    input[key] = value === '' ? undefined : value;
  }
  const result = schema.safeParse(input);
  if (!result.success) {
    throw new ConfigError(
      result.error.issues.map((issue) => {
        const variable = String(issue.path[0] ?? '?');
        return { variable, message: issue.message, received: input[variable] };
      }),
    );
  }
  return result.data;
}

/** Reads the process environment once; for config modules only. */
export function processEnvironment(): Environment {
  return process.env;
}

// Field builders: each documents and applies its default.

/** A TCP port, 0..65535 (0 lets the system pick a free one, for tests). */
export const port = (defaultValue: number) =>
  z.coerce
    .number({ error: 'expected a port number' })
    .int('expected an integer port')
    .min(0, 'expected a port between 0 and 65535')
    .max(65535, 'expected a port between 0 and 65535')
    .default(defaultValue);

/** A whole number within bounds. */
export const integer = (defaultValue: number, min = 0, max = Number.MAX_SAFE_INTEGER) =>
  z.coerce
    .number({ error: 'expected a number' })
    .int(`expected an integer between ${min} and ${max}`)
    .min(min, `expected an integer between ${min} and ${max}`)
    .max(max, `expected an integer between ${min} and ${max}`)
    .default(defaultValue);

/** A number within bounds. */
export const decimal = (defaultValue: number, min = 0, max = Number.MAX_VALUE) =>
  z.coerce
    .number({ error: 'expected a number' })
    .min(min, `expected a number between ${min} and ${max}`)
    .max(max, `expected a number between ${min} and ${max}`)
    .default(defaultValue);

/** `true|false|1|0|yes|no|on|off`, case-insensitive. */
export const boolean = (defaultValue: boolean) =>
  z
    .string()
    .optional()
    .transform((value, context) => {
      if (value === undefined) return defaultValue;
      const normalized = value.trim().toLowerCase();
      if (['true', '1', 'yes', 'on'].includes(normalized)) return true;
      if (['false', '0', 'no', 'off'].includes(normalized)) return false;
      context.addIssue({ code: 'custom', message: 'expected true or false' });
      return z.NEVER;
    });

/** An http(s) URL. */
export const url = (defaultValue: string) =>
  z
    .string()
    .url('expected an http(s) URL')
    .refine((value) => /^https?:\/\//.test(value), 'expected an http(s) URL')
    .default(defaultValue);

/** An optional http(s) URL (unset means the feature is off). */
export const optionalUrl = () =>
  z
    .string()
    .url('expected an http(s) URL')
    .refine((value) => /^https?:\/\//.test(value), 'expected an http(s) URL')
    .optional();

/** A comma-separated list. */
export const list = (defaultValue: string[] = []) =>
  z
    .string()
    .optional()
    .transform((value) =>
      value === undefined
        ? defaultValue
        : value
            .split(',')
            .map((item) => item.trim())
            .filter((item) => item.length > 0),
    );

export const ENVIRONMENTS = ['development', 'test', 'production'] as const;
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/**
 * The settings every service shares (seeds 000, 001, 004): `ENVIRONMENT`, `LOG_LEVEL`,
 * `API_HOST`, `API_PORT` and `DATA_DIR`.
 */
export function baseConfigShape(defaults: { port: number; dataDirectory: string }) {
  return {
    /** development (default) | test | production. Production requires secrets to be set. */
    ENVIRONMENT: z.enum(ENVIRONMENTS, { error: `expected one of ${ENVIRONMENTS.join(', ')}` }).default('development'),
    /** pino level; default info. */
    LOG_LEVEL: z.enum(LOG_LEVELS, { error: `expected one of ${LOG_LEVELS.join(', ')}` }).default('info'),
    /** Interface to listen on; default 127.0.0.1. */
    API_HOST: z.string().min(1).default('127.0.0.1'),
    /** Port to listen on; default the service's own port (8000 predictor, 8001 agent, 8002 coding agent, 8003 gateway). */
    API_PORT: port(defaults.port),
    /** Where the service keeps its SQLite file and generated secrets. */
    DATA_DIR: z.string().min(1).default(defaults.dataDirectory),
  };
}

/**
 * The settings of a service whose replicas share a Redis: `REDIS_URL` (`redis://…`; default
 * none — the service's database does Redis's part) and `REDIS_PREFIX` (of every key, so several
 * deployments can share one Redis; default `atb`). What Redis carries is the service's to say.
 */
export function redisConfigShape() {
  return {
    /** `redis://…` or `rediss://…`; default none. */
    REDIS_URL: z
      .string()
      .regex(/^rediss?:\/\//, 'expected a redis:// or rediss:// URL')
      .optional(),
    /** Prefix of the service's Redis keys; default `atb`. */
    REDIS_PREFIX: z
      .string()
      .regex(/^[A-Za-z0-9_.-]+$/, 'expected letters, digits, _ . or -')
      .default('atb'),
  };
}
