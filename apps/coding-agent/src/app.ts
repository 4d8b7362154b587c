import { PRODUCT_VERSION } from '@atb/contracts';
import { createService, type Service } from '@atb/service-kit';
import type { LoggerOptions } from 'pino';
import type { Config } from './config.js';

export interface BuildOptions {
  logger?: LoggerOptions | false;
}

/** Builds the coding-agent from its configuration. */
export async function buildCodingAgent(config: Config, options: BuildOptions = {}): Promise<Service> {
  const service = await createService({
    name: 'coding-agent',
    version: PRODUCT_VERSION,
    description: 'Coding tasks: plan, edit, test in a sandbox, commit, push, pull request.',
    config,
    ...(options.logger === undefined ? {} : { logger: options.logger }),
  });
  return service;
}
