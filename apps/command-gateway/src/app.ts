import { PRODUCT_VERSION } from '@atb/contracts';
import { createService, type Service } from '@atb/service-kit';
import type { LoggerOptions } from 'pino';
import type { Config } from './config.js';

export interface BuildOptions {
  logger?: LoggerOptions | false;
}

/** Builds the command-gateway from its configuration. */
export async function buildCommandGateway(config: Config, options: BuildOptions = {}): Promise<Service> {
  const service = await createService({
    name: 'command-gateway',
    version: PRODUCT_VERSION,
    description: 'Intent to one allowlisted Docker Engine operation; authenticated and audited.',
    config,
    ...(options.logger === undefined ? {} : { logger: options.logger }),
  });
  return service;
}
