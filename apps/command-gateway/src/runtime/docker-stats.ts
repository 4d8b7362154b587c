import type { ContainerStats } from './container-runtime.js';

/** The parts of a Docker (or Podman compat) `GET /containers/{id}/stats?stream=false` body we read. */
export interface DockerStatsBody {
  cpu_stats?: CpuSample;
  precpu_stats?: CpuSample;
  memory_stats?: {
    usage?: number;
    limit?: number;
    stats?: Record<string, number | undefined>;
  };
  pids_stats?: { current?: number };
}

interface CpuSample {
  cpu_usage?: { total_usage?: number; percpu_usage?: number[] };
  system_cpu_usage?: number;
  online_cpus?: number;
}

/** Whether the body carries a previous CPU sample (Docker does; Podman's one-shot stats do not). */
export function hasPreviousCpuSample(body: DockerStatsBody): boolean {
  return (body.precpu_stats?.system_cpu_usage ?? 0) > 0;
}

/**
 * CPU percent as `docker stats` shows it: the container's CPU time delta over the host's,
 * times the number of CPUs. `previous` replaces `precpu_stats` (a second one-shot sample when the
 * engine gave none). Memory excludes the page cache, like `docker stats`.
 */
export function computeContainerStats(body: DockerStatsBody, previous?: DockerStatsBody): ContainerStats {
  const current = body.cpu_stats;
  const before = previous ? previous.cpu_stats : body.precpu_stats;
  const cpuDelta = (current?.cpu_usage?.total_usage ?? 0) - (before?.cpu_usage?.total_usage ?? 0);
  const systemDelta = (current?.system_cpu_usage ?? 0) - (before?.system_cpu_usage ?? 0);
  const cpus = current?.online_cpus || current?.cpu_usage?.percpu_usage?.length || 1;
  const cpuPercent = cpuDelta > 0 && systemDelta > 0 ? (cpuDelta / systemDelta) * cpus * 100 : 0;

  const memory = body.memory_stats ?? {};
  const cache = memory.stats?.inactive_file ?? memory.stats?.total_inactive_file ?? memory.stats?.cache ?? 0;
  const usage = Math.max(0, (memory.usage ?? 0) - cache);
  const stats: ContainerStats = {
    cpu_percent: Math.round(cpuPercent * 100) / 100,
    memory_bytes: usage,
    memory_limit_bytes: memory.limit ?? 0,
  };
  if (body.pids_stats?.current !== undefined) stats.pids = body.pids_stats.current;
  return stats;
}
