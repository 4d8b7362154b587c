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
    if (options.workspaceLimitBytes !== undefined) this.scheduleWatchdog(250);
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

  private scheduleWatchdog(delayMs: number): void {
    this.watchdog = setTimeout(async () => {
      const limit = this.options.workspaceLimitBytes!;
      const started = performance.now();
      const size = await measureDirectorySize(this.workspace, limit);
      if (this.stopped) return;
      if (size > limit) {
        this.diskLimitExceeded = true;
        this.terminate();
        return;
      }
      // Measuring a large tree is not free: never spend more than ~10% of the time measuring.
      this.scheduleWatchdog(Math.max(500, 10 * (performance.now() - started)));
    }, delayMs);
    this.watchdog.unref();
  }
}
