import { PRODUCT_VERSION } from '@atb/contracts';
import { createService, type Service } from '@atb/service-kit';
import type { LoggerOptions } from 'pino';
import type { Config } from './config.js';

export interface BuildOptions {
  logger?: LoggerOptions | false;
}

/** Builds the market-predictor from its configuration. */
export async function buildMarketPredictor(config: Config, options: BuildOptions = {}): Promise<Service> {
  const service = await createService({
    name: 'market-predictor',
    version: PRODUCT_VERSION,
    description: 'Price-prediction API with fault injection for drills.',
    config,
    ...(options.logger === undefined ? {} : { logger: options.logger }),
  });
  return service;
}
