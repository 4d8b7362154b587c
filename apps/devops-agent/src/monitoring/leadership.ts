import { LeaderGate, type Leadership, RedisLeadership, SqlLeadership } from '@atb/queue';
import type { Database } from '@atb/storage';

/** Whether this replica should probe a service now: true on exactly one replica per service. */
export interface ProbeGate {
  shouldProbe(service: string): Promise<boolean>;
  /** Gives every leadership up (an orderly shutdown), so another replica polls at once. */
  stop(): Promise<void>;
}

/** The leadership key of polling one service. */
export const probeKey = (service: string): string => `monitor:${service}`;

/**
 * One poller per service across replicas: a replica probes a service only while it leads the
 * service's key. Leadership lives in Redis when `redisUrl` is set, otherwise in the agent's
 * database (a lease table: shared by replicas on PostgreSQL; on SQLite the one process leads).
 */
export async function openProbeGate(options: {
  database: Database<unknown>;
  redisUrl?: string | undefined;
  redisPrefix: string;
  leaseMs: number;
  owner: string;
}): Promise<ProbeGate & { leadership: Leadership }> {
  const leadership = options.redisUrl
    ? await RedisLeadership.open({ url: options.redisUrl, prefix: options.redisPrefix, leaseMs: options.leaseMs })
    : await SqlLeadership.open(options.database, { leaseMs: options.leaseMs });
  const gate = new LeaderGate(leadership, options.owner);
  return {
    leadership,
    shouldProbe: (service) => gate.leads(probeKey(service)),
    async stop() {
      await gate.stop();
      await leadership.close();
    },
  };
}
