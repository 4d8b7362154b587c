import { runService } from '@atb/service-kit';
import { buildDevopsAgent } from './app.js';
import { readConfig } from './config.js';

await runService(async () => buildDevopsAgent(readConfig()));
