import {
  type ActionListResponse,
  type ActionView,
  type AgentAuditQuery,
  type ApproveActionRequest,
  actionListResponseSchema,
  actionSchema,
  auditListResponseSchema,
  auditVerificationSchema,
  type AuditListResponse,
  type AuditVerificationContract,
  type HealthResponse,
  healthResponseSchema,
  type IncidentDetail,
  type IncidentListResponse,
  incidentDetailSchema,
  incidentListResponseSchema,
  type LearningStatsQuery,
  type LearningStatsResponse,
  type ListActionsQuery,
  type ListIncidentsQuery,
  learningStatsResponseSchema,
  type ServiceDetail,
  type ServiceListResponse,
  serviceDetailSchema,
  serviceListResponseSchema,
  type MonitoringControlResponse,
  type MonitoringCycleResponse,
  type MonitoringStatus,
  monitoringControlResponseSchema,
  monitoringCycleResponseSchema,
  monitoringStatusSchema,
  type RejectActionRequest,
  type StatusResponse,
  statusResponseSchema,
} from '@atb/contracts';
import { JsonClient, type ServiceClientOptions } from './json-client.js';

const segment = (id: string) => encodeURIComponent(id);

/**
 * The devops agent's API, typed by the shared contract: incidents, actions and approvals,
 * learning statistics, audit, polling controls, health and status. Approvals and controls
 * need the agent's API token.
 *
 * @example
 * const agent = new DevopsAgentClient({ baseUrl: 'http://127.0.0.1:8001', token });
 * const { incidents } = await agent.listIncidents({ state: 'escalated' });
 */
export class DevopsAgentClient {
  readonly http: JsonClient;

  constructor(options: ServiceClientOptions) {
    this.http = new JsonClient('devops-agent', options);
  }

  /** `GET /health` (503 answers with a body too: the agent is unhealthy, not unreachable). */
  health(): Promise<HealthResponse> {
    return this.http.request('/health', { schema: healthResponseSchema, statuses: [200, 503] });
  }

  status(): Promise<StatusResponse> {
    return this.http.request('/status', { schema: statusResponseSchema });
  }

  listIncidents(query: ListIncidentsQuery = {}): Promise<IncidentListResponse> {
    return this.http.request('/incidents', { schema: incidentListResponseSchema, query });
  }

  getIncident(id: string): Promise<IncidentDetail> {
    return this.http.request(`/incidents/${segment(id)}`, { schema: incidentDetailSchema });
  }

  /** `GET /services`: the service catalog with each service's health and open incidents. */
  listServices(): Promise<ServiceListResponse> {
    return this.http.request('/services', { schema: serviceListResponseSchema });
  }

  /** `GET /services/{name}`: one service's open incidents, last actions, learning statistics and health. */
  getService(name: string): Promise<ServiceDetail> {
    return this.http.request(`/services/${encodeURIComponent(name)}`, { schema: serviceDetailSchema });
  }

  listActions(query: ListActionsQuery = {}): Promise<ActionListResponse> {
    return this.http.request('/actions', { schema: actionListResponseSchema, query });
  }

  getAction(id: string): Promise<ActionView> {
    return this.http.request(`/actions/${segment(id)}`, { schema: actionSchema });
  }

  approveAction(id: string, body: ApproveActionRequest): Promise<ActionView> {
    return this.http.request(`/actions/${segment(id)}/approve`, { method: 'POST', body, schema: actionSchema });
  }

  rejectAction(id: string, body: RejectActionRequest): Promise<ActionView> {
    return this.http.request(`/actions/${segment(id)}/reject`, { method: 'POST', body, schema: actionSchema });
  }

  learningStats(query: LearningStatsQuery = {}): Promise<LearningStatsResponse> {
    return this.http.request('/learning/stats', { schema: learningStatsResponseSchema, query });
  }

  listAudit(query: AgentAuditQuery = {}): Promise<AuditListResponse> {
    return this.http.request('/audit', { schema: auditListResponseSchema, query });
  }

  /** `GET /audit/verify`: 200 when the chain is intact, 409 (same shape) when it is broken. */
  verifyAudit(): Promise<AuditVerificationContract> {
    return this.http.request('/audit/verify', { schema: auditVerificationSchema, statuses: [200, 409], timeoutMs: 60_000 });
  }

  monitoringStatus(): Promise<MonitoringStatus> {
    return this.http.request('/monitoring/status', { schema: monitoringStatusSchema });
  }

  startMonitoring(): Promise<MonitoringControlResponse> {
    return this.http.request('/control/start-monitoring', { method: 'POST', schema: monitoringControlResponseSchema });
  }

  stopMonitoring(): Promise<MonitoringControlResponse> {
    return this.http.request('/control/stop-monitoring', { method: 'POST', schema: monitoringControlResponseSchema });
  }

  /** One health check now of `service`, or of every polled service. */
  runMonitoringCycle(service?: string): Promise<MonitoringCycleResponse> {
    return this.http.request('/monitoring/cycle', { method: 'POST', schema: monitoringCycleResponseSchema, query: { service } });
  }
}
