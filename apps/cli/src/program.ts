import { PRODUCT_VERSION } from '@atb/contracts';
import { Command } from 'commander';
import { registerActions } from './commands/actions.js';
import { registerAudit } from './commands/audit.js';
import { registerDrill } from './commands/drill.js';
import { registerGateway } from './commands/gateway.js';
import { registerIncidents } from './commands/incidents.js';
import { registerMonitoring } from './commands/monitoring.js';
import { registerSecrets } from './commands/secrets.js';
import { registerServices } from './commands/services.js';
import { registerStatus } from './commands/status.js';
import { registerTask } from './commands/task.js';
import { registerToken } from './commands/token.js';
import { registerUp } from './commands/up.js';
import { type CliConfig, readCliConfig } from './config.js';

/** The `atb` command tree. Each command lives in `commands/` and registers itself here. */
export function createProgram(): Command {
  let config: CliConfig | undefined;
  const lazyConfig = () => {
    config ??= readCliConfig();
    return config;
  };
  const program = new Command('atb')
    .description('Autonomous Trading Builder: run the stack and talk to its services')
    .version(PRODUCT_VERSION);
  registerUp(program, lazyConfig);
  registerStatus(program, lazyConfig);
  registerDrill(program, lazyConfig);
  registerGateway(program, lazyConfig);
  registerIncidents(program, lazyConfig);
  registerMonitoring(program, lazyConfig);
  registerServices(program, lazyConfig);
  registerActions(program, lazyConfig);
  registerAudit(program, lazyConfig);
  registerTask(program, lazyConfig);
  registerSecrets(program);
  registerToken(program, lazyConfig);
  return program;
}
