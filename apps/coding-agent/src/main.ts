import { runService } from '@atb/service-kit';
import { buildCodingAgent } from './app.js';
import { readConfig } from './config.js';

await runService(async () => buildCodingAgent(readConfig()));
