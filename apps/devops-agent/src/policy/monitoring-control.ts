import type { AgentAudit } from '../audit/agent-audit.js';
import type { FleetMonitor } from '../monitoring/fleet-monitor.js';
import { type Decider, deciderData } from './approvals.js';

/** What starting and stopping the polling need: the monitor and the audit. */
export interface MonitoringControlPorts {
  monitor: Pick<FleetMonitor, 'start' | 'stop' | 'running'>;
  audit: AgentAudit;
}

export type MonitoringCommand = 'start' | 'stop';
export type MonitoringOutcome = 'started' | 'already_running' | 'stopped' | 'not_running';

/**
 * A human starts or stops polling (the API's `POST /control/start-monitoring|stop-monitoring` or
 * the dashboard's form): the monitor changes (or already was so) and the audit records
 * `monitoring-started` / `monitoring-stopped` under subject `monitoring`, with the outcome, the
 * decider's principal and how it authenticated, acted by the principal's name. The caller has
 * checked the operator role.
 */
export async function controlMonitoring(ports: MonitoringControlPorts, command: MonitoringCommand, decider: Decider): Promise<MonitoringOutcome> {
  const outcome: MonitoringOutcome =
    command === 'start' ? (ports.monitor.start() ? 'started' : 'already_running') : (await ports.monitor.stop()) ? 'stopped' : 'not_running';
  const action = command === 'start' ? 'monitoring-started' : 'monitoring-stopped';
  await ports.audit.record(action, 'monitoring', { outcome, ...deciderData(decider) }, decider.principal.name);
  return outcome;
}
