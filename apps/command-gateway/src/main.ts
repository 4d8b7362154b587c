import { runService } from '@atb/service-kit';
import { buildCommandGateway } from './app.js';
import { readConfig } from './config.js';

await runService(async () => buildCommandGateway(readConfig()));
