import { registerLlmRoutes } from '@atb/llm';
import type { App } from '@atb/service-kit';
import type { KyselyAuditLog } from '@atb/storage';
import { registerActionRoutes } from '../api/action-routes.js';
import { registerAuditRoutes } from '../api/audit-routes.js';
import { registerIncidentRoutes } from '../api/incident-routes.js';
import { registerLearningRoutes } from '../api/learning-routes.js';
import { registerMonitoringRoutes } from '../api/monitoring-routes.js';
import { registerServiceRoutes } from '../api/service-routes.js';
import type { DashboardAuth } from '../auth/dashboard-auth.js';
import type { Config } from '../config.js';
import { registerDashboard } from '../dashboard/dashboard-routes.js';
import { registerWebhookRoute } from '../intake/webhook-route.js';
import { createServiceReader } from '../catalog/service-views.js';
import type { DevopsAgentParts } from './compose-agent.js';
import { dashboardSignInRequired } from './open-dashboard-auth.js';

/** Every HTTP route of the agent, on the parts the composition root built. */
export function registerAgentRoutes(app: App, config: Config, parts: DevopsAgentParts, options: { auditLog: KyselyAuditLog; dashboardAuth: DashboardAuth }): void {
  registerWebhookRoute(app, parts.intake, {
    credentials: { username: config.WEBHOOK_USERNAME, password: config.WEBHOOK_PASSWORD, bearerToken: config.WEBHOOK_BEARER_TOKEN },
    bodyLimit: config.WEBHOOK_BODY_LIMIT,
  });
  registerIncidentRoutes(app, parts.store);
  registerActionRoutes(app, parts.ports);
  registerLearningRoutes(app, parts.store);
  registerAuditRoutes(app, options.auditLog);
  registerMonitoringRoutes(app, parts.monitor, parts.ports.audit);
  const services = createServiceReader(parts.ports.catalog, parts.monitor, parts.store);
  registerServiceRoutes(app, parts.ports.catalog, services);
  registerDashboard(
    app,
    {
      store: parts.store,
      auditLog: options.auditLog,
      auth: options.dashboardAuth,
      approvals: parts.ports,
      services,
      fleet: () => parts.ports.catalog.list().map((entry) => ({ name: entry.name, container: entry.target.container })),
      monitor: () => parts.monitor.status().services,
      monitoring: { monitor: parts.monitor, audit: parts.ports.audit },
    },
    { signInRequired: dashboardSignInRequired(config), refreshMs: config.DASHBOARD_REFRESH_SECONDS * 1000 },
  );
  registerLlmRoutes(app, {
    usage: parts.llm.usage,
    ...(parts.llm.router ? { router: parts.llm.router } : {}),
    dailyTokenBudget: config.LLM_DAILY_TOKEN_BUDGET,
    incidentTokenBudget: config.LLM_INCIDENT_TOKEN_BUDGET,
  });
}
