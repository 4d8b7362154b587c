import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { baseConfigShape, boolean, ConfigError, integer, list, loadConfig, optionalUrl, port, url } from '../src/config.js';

const schema = z.object({
  ...baseConfigShape({ port: 8000, dataDirectory: '.data/x' }),
  SAFETY_MODE: boolean(true),
  MONITORING_INTERVAL: integer(30, 1, 3600),
  PROMETHEUS_URL: optionalUrl(),
  MARKET_PREDICTOR_URL: url('http://127.0.0.1:8000'),
  ALLOWED_REPOSITORIES: list(),
});

describe('loadConfig', () => {
  it('applies every default when the environment is empty', () => {
    expect(loadConfig(schema, {})).toEqual({
      ENVIRONMENT: 'development',
      LOG_LEVEL: 'info',
      API_HOST: '127.0.0.1',
      API_PORT: 8000,
      DATA_DIR: '.data/x',
      SAFETY_MODE: true,
      MONITORING_INTERVAL: 30,
      PROMETHEUS_URL: undefined,
      MARKET_PREDICTOR_URL: 'http://127.0.0.1:8000',
      ALLOWED_REPOSITORIES: [],
    });
  });

  it('reads and converts values', () => {
    const config = loadConfig(schema, {
      API_PORT: '9100',
      SAFETY_MODE: 'off',
      ALLOWED_REPOSITORIES: 'acme/a, acme/b,,',
      PROMETHEUS_URL: 'http://127.0.0.1:9090',
    });
    expect(config.API_PORT).toBe(9100);
    expect(config.SAFETY_MODE).toBe(false);
    expect(config.ALLOWED_REPOSITORIES).toEqual(['acme/a', 'acme/b']);
    expect(config.PROMETHEUS_URL).toBe('http://127.0.0.1:9090');
  });

  it('treats an empty variable as unset', () => {
    expect(loadConfig(schema, { API_PORT: '' }).API_PORT).toBe(8000);
  });

  it('lets an explicit override beat the environment', () => {
    expect(loadConfig(schema, { API_PORT: '1234' }, { API_PORT: '4321' }).API_PORT).toBe(4321);
  });

  it('names every bad variable, what it expects and what it got', () => {
    let caught: unknown;
    try {
      loadConfig(schema, { API_PORT: 'eighty', SAFETY_MODE: 'maybe', ENVIRONMENT: 'staging', PROMETHEUS_URL: 'ftp://x' });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    const problems = (caught as ConfigError).problems;
    expect(problems.map((problem) => problem.variable).sort()).toEqual(['API_PORT', 'ENVIRONMENT', 'PROMETHEUS_URL', 'SAFETY_MODE']);
    const message = (caught as ConfigError).message;
    expect(message).toContain('API_PORT: expected a port number (received "eighty")');
    expect(message).toContain('SAFETY_MODE: expected true or false (received "maybe")');
    expect(message).toContain('ENVIRONMENT: expected one of development, test, production');
  });

  it('rejects out-of-range numbers', () => {
    expect(() => loadConfig(z.object({ P: port(1) }), { P: '70000' })).toThrow(/P: expected a port between 0 and 65535/);
    expect(() => loadConfig(schema, { MONITORING_INTERVAL: '0' })).toThrow(/MONITORING_INTERVAL: expected an integer between 1 and 3600/);
  });
});
