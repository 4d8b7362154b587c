import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, readFile, rmdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** Which cgroup interface holds the memory controller. */
export type CgroupVersion = 1 | 2;

/** A parent cgroup under which a child per sandboxed run can be made. */
export interface CgroupParent {
  version: CgroupVersion;
  path: string;
  /** Where a pids cgroup can be made: the same directory on v2, the v1 pids hierarchy otherwise. */
  pidsPath?: string;
}

async function canCreate(parent: string, file: string, value: string): Promise<boolean> {
  const probe = join(parent, `atb-probe-${randomBytes(4).toString('hex')}`);
  try {
    await mkdir(probe);
    await writeFile(join(probe, file), value);
    return true;
  } catch {
    return false;
  } finally {
    await rmdir(probe).catch(() => undefined);
  }
}

/**
 * Finds the memory cgroup this process is in (v2 unified with the memory controller, else the
 * v1 memory hierarchy) and checks a child can be made there. `undefined` when there is none or
 * it is not writable (not root, not delegated): the sandbox then falls back to RLIMIT_DATA only.
 */
export async function findCgroupParent(): Promise<CgroupParent | undefined> {
  let membership: string;
  try {
    membership = readFileSync('/proc/self/cgroup', 'utf8');
  } catch {
    return undefined;
  }
  const candidates: CgroupParent[] = [];
  const unified = /^0::(.*)$/m.exec(membership)?.[1];
  for (const root of ['/sys/fs/cgroup', '/sys/fs/cgroup/unified']) {
    const controllers = join(root, 'cgroup.controllers');
    if (unified !== undefined && existsSync(controllers) && readFileSync(controllers, 'utf8').split(/\s+/).includes('memory')) {
      candidates.push({ version: 2, path: join(root, unified) });
    }
  }
  const v1 = /^\d+:(?:[^:]*,)?memory(?:,[^:]*)?:(.*)$/m.exec(membership)?.[1];
  if (v1 !== undefined && existsSync('/sys/fs/cgroup/memory')) candidates.push({ version: 1, path: join('/sys/fs/cgroup/memory', v1) });
  for (const candidate of candidates) {
    const limitFile = candidate.version === 1 ? 'memory.limit_in_bytes' : 'memory.max';
    if (!(await canCreate(candidate.path, limitFile, String(64 * 1024 ** 2)))) continue;
    if (candidate.version === 2) {
      if (await canCreate(candidate.path, 'pids.max', '64')) candidate.pidsPath = candidate.path;
    } else {
      const pids = /^\d+:(?:[^:]*,)?pids(?:,[^:]*)?:(.*)$/m.exec(membership)?.[1];
      const pidsPath = pids !== undefined ? join('/sys/fs/cgroup/pids', pids) : undefined;
      if (pidsPath && existsSync(pidsPath) && (await canCreate(pidsPath, 'pids.max', '64'))) candidate.pidsPath = pidsPath;
    }
    return candidate;
  }
  return undefined;
}

/**
 * One cgroup per sandboxed run with a memory limit (and, where the pids controller is available,
 * a process-count limit) for the whole process tree. The launcher (`launcher()`: `sh -c 'echo $$
 * > …/cgroup.procs && exec …'`) joins it before anything is started, so no child escapes it.
 * `outOfMemoryKills()` reads the kernel's OOM-kill counter afterwards.
 */
export class MemoryCgroup {
  private constructor(
    readonly parent: CgroupParent,
    readonly path: string,
    /** The v1 pids cgroup (on v2 the limit lives in `path`), when one was made. */
    readonly pidsPath: string | undefined,
  ) {}

  static async create(parent: CgroupParent, memoryBytes: number, pidsLimit?: number): Promise<MemoryCgroup> {
    const name = `atb-sandbox-${randomBytes(6).toString('hex')}`;
    const path = join(parent.path, name);
    await mkdir(path);
    let pidsPath: string | undefined;
    const limit = String(Math.floor(memoryBytes));
    try {
      if (parent.version === 1) {
        await writeFile(join(path, 'memory.limit_in_bytes'), limit);
        // No swapping around the limit, where the kernel offers swap accounting.
        if (existsSync(join(path, 'memory.memsw.limit_in_bytes'))) await writeFile(join(path, 'memory.memsw.limit_in_bytes'), limit).catch(() => undefined);
      } else {
        await writeFile(join(path, 'memory.max'), limit);
        if (existsSync(join(path, 'memory.swap.max'))) await writeFile(join(path, 'memory.swap.max'), '0').catch(() => undefined);
      }
      if (pidsLimit !== undefined && parent.pidsPath) {
        if (parent.version === 2) {
          await writeFile(join(path, 'pids.max'), String(pidsLimit)).catch(() => undefined);
        } else {
          pidsPath = join(parent.pidsPath, name);
          await mkdir(pidsPath);
          await writeFile(join(pidsPath, 'pids.max'), String(pidsLimit));
        }
      }
    } catch (error) {
      await rmdir(path).catch(() => undefined);
      if (pidsPath) await rmdir(pidsPath).catch(() => undefined);
      throw error;
    }
    return new MemoryCgroup(parent, path, pidsPath);
  }

  /** The files a process writes its pid to in order to join (memory, and the v1 pids cgroup). */
  get processesFiles(): string[] {
    return [join(this.path, 'cgroup.procs'), ...(this.pidsPath ? [join(this.pidsPath, 'cgroup.procs')] : [])];
  }

  /** `/bin/sh` arguments that join the cgroup(s) and then exec `program` with `programArguments`. */
  launcher(program: string, programArguments: string[]): string[] {
    const files = this.processesFiles;
    const joins = files.map((_, index) => `echo $$ > "$${index}"`).join(' && ');
    const shift = files.length > 1 ? ` && shift ${files.length - 1}` : '';
    return ['-c', `${joins}${shift} && exec "$@"`, ...files, program, ...programArguments];
  }

  /** How many processes the kernel's OOM killer killed in this cgroup (0 when it cannot tell). */
  async outOfMemoryKills(): Promise<number> {
    try {
      if (this.parent.version === 1) {
        const control = await readFile(join(this.path, 'memory.oom_control'), 'utf8');
        const kills = /^oom_kill (\d+)$/m.exec(control)?.[1];
        if (kills !== undefined) return Number(kills);
        return Number((await readFile(join(this.path, 'memory.failcnt'), 'utf8')).trim()) > 0 ? 1 : 0;
      }
      const events = await readFile(join(this.path, 'memory.events'), 'utf8');
      return Number(/^oom_kill (\d+)$/m.exec(events)?.[1] ?? 0);
    } catch {
      return 0;
    }
  }

  /** Removes the cgroup(s) once their processes are gone (retries for up to ~5 s while the kernel reaps them). */
  async remove(): Promise<void> {
    for (const directory of [this.path, ...(this.pidsPath ? [this.pidsPath] : [])]) {
      for (let attempt = 0; attempt < 100; attempt++) {
        try {
          await rmdir(directory);
          break;
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code === 'ENOENT') break;
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      }
    }
  }
}
