import { readFile, readdir } from 'node:fs/promises';
import { totalmem } from 'node:os';

/** Resource usage of one process, in the gateway's `ContainerStats` shape. */
export interface ProcessStats {
  cpu_percent: number;
  memory_bytes: number;
  memory_limit_bytes: number;
  pids: number;
}

/** Linux reports CPU times in clock ticks; USER_HZ is 100 on every mainstream kernel configuration. */
const TICKS_PER_SECOND = 100;

/**
 * CPU percent over `sampleMilliseconds` (two readings of `/proc/<pid>/stat`), resident memory
 * from `/proc/<pid>/status` (VmRSS), threads as `pids`, and the host's memory as the limit.
 * Linux only: elsewhere it throws saying so.
 */
export async function readProcessStats(pid: number, sampleMilliseconds = 200): Promise<ProcessStats> {
  if (process.platform !== 'linux') throw new Error(`process stats need /proc (Linux); this is ${process.platform}`);
  const before = await cpuTicks(pid);
  const startedAt = performance.now();
  await new Promise((resolve) => setTimeout(resolve, sampleMilliseconds));
  const after = await cpuTicks(pid);
  const elapsedSeconds = (performance.now() - startedAt) / 1000;
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const residentKilobytes = Number(/^VmRSS:\s+(\d+)\s+kB/m.exec(status)?.[1] ?? 0);
  const threads = Number(/^Threads:\s+(\d+)/m.exec(status)?.[1] ?? (await readdir(`/proc/${pid}/task`)).length);
  const cpuPercent = ((after - before) / TICKS_PER_SECOND / elapsedSeconds) * 100;
  return {
    cpu_percent: Math.max(0, Math.round(cpuPercent * 100) / 100),
    memory_bytes: residentKilobytes * 1024,
    memory_limit_bytes: totalmem(),
    pids: threads,
  };
}

/** utime + stime of the process, in clock ticks (fields 14 and 15 of /proc/<pid>/stat). */
async function cpuTicks(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) is in parentheses and may contain spaces: split after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]);
}
