import { PRODUCT_VERSION } from '@atb/contracts';
import { createService, type Service } from '@atb/service-kit';
import type { LoggerOptions } from 'pino';
import type { Config } from './config.js';

export interface BuildOptions {
  logger?: LoggerOptions | false;
}

/** Builds the devops-agent from its configuration. */
export async function buildDevopsAgent(config: Config, options: BuildOptions = {}): Promise<Service> {
  const service = await createService({
    name: 'devops-agent',
    version: PRODUCT_VERSION,
    description: 'Alert intake, incidents, analysis, policy and approvals, remediation, verification, learning, audit.',
    config,
    ...(options.logger === undefined ? {} : { logger: options.logger }),
  });
  return service;
}
