import { type Analyzer, PRODUCT_VERSION } from '@atb/contracts';
import { createService, type Service } from '@atb/service-kit';
import type { LoggerOptions } from 'pino';
import { registerAgentAuthentication } from './api/token-routes.js';
import { resolveApiToken } from './auth/api-token.js';
import { composeAgent, type DevopsAgentParts } from './composition/compose-agent.js';
import { openDashboardAuth } from './composition/open-dashboard-auth.js';
import { openAgentStorage } from './composition/open-storage.js';
import { startupCatalog } from './catalog/load-catalog.js';
import { registerAgentRoutes } from './composition/register-routes.js';
import { agentHealth, agentStatus } from './composition/service-reports.js';
import type { Config } from './config.js';

export type { DevopsAgentParts } from './composition/compose-agent.js';

export interface BuildOptions {
  logger?: LoggerOptions | false;
  /** Replaces the configured analyzer (tests of the analyzer seam). */
  analyzer?: Analyzer;
}

export type DevopsAgentService = Service & { agent: DevopsAgentParts };

/** Builds the devops-agent from its configuration: storage, the composed parts, the HTTP API; then starts the worker. */
export async function buildDevopsAgent(config: Config, options: BuildOptions = {}): Promise<DevopsAgentService> {
  // First: with ENVIRONMENT=production and no AGENT_API_TOKEN this throws before anything opens.
  const apiToken = resolveApiToken({ configured: config.AGENT_API_TOKEN, environment: config.ENVIRONMENT, dataDirectory: config.DATA_DIR });
  // Then: a services file that does not validate stops the agent, naming the entry and the field.
  const catalog = startupCatalog(config);
  const storage = await openAgentStorage(config);
  let parts: DevopsAgentParts | undefined;
  const service = await createService({
    name: 'devops-agent',
    version: PRODUCT_VERSION,
    description:
      'Alert intake, incidents, analysis, policy and approvals, remediation through the command gateway, verification, learning, escalation, audit.',
    config,
    quietRoutes: ['/health', '/metrics', '/status', '/webhook/alerts'],
    ...(options.logger === undefined ? {} : { logger: options.logger }),
    health: () => agentHealth(config, storage, parts),
    status: () => agentStatus(config, storage, parts),
  });
  if (apiToken.origin === 'generated') service.app.log.info({ file: apiToken.file }, 'generated an API token');
  const tokens = await registerAgentAuthentication(service.app, storage.database, apiToken.token, { reads: config.AGENT_API_READ_AUTH });
  const dashboardAuth = await openDashboardAuth(config, storage.database, tokens);
  const composed = await composeAgent(config, service, storage, { catalog, ...(options.analyzer ? { analyzer: options.analyzer } : {}) });
  parts = composed;
  registerAgentRoutes(service.app, config, composed, { auditLog: storage.auditLog, dashboardAuth });
  service.onClose(async () => {
    composed.ports.catalog.close();
    await composed.monitor.stop();
    await composed.events.stop();
    await composed.probes.stop();
    await composed.worker.stop();
    await storage.auditLog.close();
    await storage.database.close();
  });
  await composed.worker.start();
  if (config.SERVICES_FILE) composed.ports.catalog.watch(config.SERVICES_FILE, config.SERVICES_RELOAD_INTERVAL * 1000);
  if (config.MONITORING_AUTOSTART) composed.monitor.start();
  if (config.GATEWAY_EVENTS) composed.events.start();
  return Object.assign(service, { agent: composed });
}
