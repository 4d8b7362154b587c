import { runService } from '@atb/service-kit';
import { buildMarketPredictor } from './app.js';
import { readConfig } from './config.js';

await runService(async () => buildMarketPredictor(readConfig()));
