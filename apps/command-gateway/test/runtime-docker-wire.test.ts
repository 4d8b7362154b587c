import { describe, expect, it } from 'vitest';
import { demultiplexDockerLogs, lastLines } from '../src/runtime/docker-log-stream.js';
import { computeContainerStats, hasPreviousCpuSample } from '../src/runtime/docker-stats.js';

/** One frame of the Docker Engine API's multiplexed log stream. */
function frame(stream: 1 | 2, text: string): Buffer {
  const payload = Buffer.from(text);
  const header = Buffer.alloc(8);
  header[0] = stream;
  header.writeUInt32BE(payload.length, 4);
  return Buffer.concat([header, payload]);
}

describe('Docker log stream', () => {
  it('demultiplexes stdout and stderr frames, even a line split across frames', () => {
    const body = Buffer.concat([frame(1, 'first line\nsec'), frame(2, 'ond line\n'), frame(1, 'third\n')]);
    expect(lastLines(demultiplexDockerLogs(body, false), 10)).toEqual(['first line', 'second line', 'third']);
  });

  it('passes a TTY body through and keeps the last lines only', () => {
    const body = Buffer.from('a\r\nb\r\nc\r\n');
    expect(lastLines(demultiplexDockerLogs(body, true), 2)).toEqual(['b', 'c']);
    expect(lastLines(demultiplexDockerLogs(Buffer.alloc(0), false), 5)).toEqual([]);
  });
});

describe('Docker stats', () => {
  // Shape from Docker's API reference (GET /containers/{id}/stats, cgroup v2), trimmed.
  const docker = {
    cpu_stats: { cpu_usage: { total_usage: 400_000_000 }, system_cpu_usage: 20_000_000_000, online_cpus: 4 },
    precpu_stats: { cpu_usage: { total_usage: 300_000_000 }, system_cpu_usage: 19_000_000_000, online_cpus: 4 },
    memory_stats: { usage: 60_000_000, limit: 2_000_000_000, stats: { inactive_file: 10_000_000 } },
    pids_stats: { current: 7 },
  };

  it('computes CPU percent as docker stats does, and memory without the page cache', () => {
    expect(hasPreviousCpuSample(docker)).toBe(true);
    // (100 M / 1,000 M) × 4 CPUs × 100 = 40 %
    expect(computeContainerStats(docker)).toEqual({ cpu_percent: 40, memory_bytes: 50_000_000, memory_limit_bytes: 2_000_000_000, pids: 7 });
  });

  it('uses a second sample when the engine gave no previous one (Podman one-shot), cgroup v1 cache too', () => {
    const first = {
      cpu_stats: { cpu_usage: { total_usage: 1_000, percpu_usage: [500, 500] }, system_cpu_usage: 10_000 },
      precpu_stats: { cpu_usage: { total_usage: 0 } },
      memory_stats: { usage: 9_000_000, limit: 25_000_000_000 },
    };
    const second = {
      ...first,
      cpu_stats: { cpu_usage: { total_usage: 1_500, percpu_usage: [700, 800] }, system_cpu_usage: 12_000 },
      memory_stats: { usage: 9_500_000, limit: 25_000_000_000, stats: { cache: 500_000 } },
    };
    expect(hasPreviousCpuSample(first)).toBe(false);
    // (500 / 2,000) × 2 CPUs × 100 = 50 %
    expect(computeContainerStats(second, first)).toEqual({ cpu_percent: 50, memory_bytes: 9_000_000, memory_limit_bytes: 25_000_000_000 });
    expect(computeContainerStats({}).cpu_percent).toBe(0);
  });
});
