import { statfs } from 'node:fs/promises';
import { measureDirectorySize } from '../workspace/workspace-size.js';
import { BoundedOutput } from './bounded-output.js';
import type { SandboxRunOptions } from './sandbox.js';

/**
 * The limits every sandbox enforces the same way while a command runs: the time limit, the
 * caller's abort signal and the workspace-size watchdog all call `kill` once; output goes into
 * two bounded buffers. `stop()` when the command has ended.
 */
export class ProcessTermination {
  readonly stdout: BoundedOutput;
  readonly stderr: BoundedOutput;
  timedOut = false;
  diskLimitExceeded = false;
  killed = false;
  private readonly timer: NodeJS.Timeout;
  private watchdog: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly onAbort = (): void => this.terminate();

  constructor(
    private readonly options: SandboxRunOptions,
    private readonly workspace: string,
    outputLimitBytes: number,
    private readonly kill: () => void,
  ) {
    this.stdout = new BoundedOutput(outputLimitBytes);
    this.stderr = new BoundedOutput(outputLimitBytes);
    this.timer = setTimeout(() => {
      this.timedOut = true;
      this.terminate();
    }, options.timeoutMs);
    if (options.signal?.aborted) queueMicrotask(this.onAbort);
    else options.signal?.addEventListener('abort', this.onAbort, { once: true });
    if (options.workspaceLimitBytes !== undefined) this.scheduleWatchdog(100);
  }

  /** Kills the command (once). */
  terminate(): void {
    if (this.killed || this.stopped) return;
    this.killed = true;
    this.kill();
  }

  /** The command has ended: clears the timer, the watchdog and the abort listener. */
  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    if (this.watchdog) clearTimeout(this.watchdog);
    this.options.signal?.removeEventListener('abort', this.onAbort);
  }

  /**
   * The workspace watchdog: every 100 ms a cheap `statfs` of the workspace's file system; an
   * exact measurement of the workspace when the file system grew by a quarter of the limit (at
   * most 16 MiB) since the last one, or when the last one is older than twice its own duration
   * (at least 250 ms). Measuring a large tree is not free; this keeps it to about a third of the
   * time while a fast writer is still caught within a few tens of MiB.
   */
  private scheduleWatchdog(delayMs: number): void {
    const limit = this.options.workspaceLimitBytes!;
    const growthTrigger = Math.min(16 * 1024 ** 2, Math.max(1, Math.floor(limit / 4)));
    let lastUsed: number | undefined;
    let lastExact = 0;
    let exactEvery = 250;
    const used = async (): Promise<number | undefined> => {
      try {
        const stats = await statfs(this.workspace);
        return (stats.blocks - stats.bfree) * stats.bsize;
      } catch {
        return undefined;
      }
    };
    const tick = async (): Promise<void> => {
      if (this.stopped) return;
      const now = performance.now();
      const current = await used();
      const grew = current !== undefined && lastUsed !== undefined && current - lastUsed >= growthTrigger;
      if (grew || lastUsed === undefined || now - lastExact >= exactEvery) {
        lastUsed = current ?? lastUsed ?? 0;
        const started = performance.now();
        const size = await measureDirectorySize(this.workspace, limit);
        lastExact = performance.now();
        exactEvery = Math.max(250, 2 * (lastExact - started));
        if (this.stopped) return;
        if (size > limit) {
          this.diskLimitExceeded = true;
          this.terminate();
          return;
        }
      }
      this.watchdog = setTimeout(tick, 100);
      this.watchdog.unref();
    };
    this.watchdog = setTimeout(tick, delayMs);
    this.watchdog.unref();
  }
}
