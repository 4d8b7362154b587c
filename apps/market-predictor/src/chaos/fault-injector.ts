import type { Socket } from 'node:net';

/** The faults that stay active until cleared (a crash is not a state: the process is gone). */
export const FAULT_NAMES = ['latency', 'errors', 'memory_leak', 'hang'] as const;
export type FaultName = (typeof FAULT_NAMES)[number];

/** Exit status of the `/chaos/crash` drill (EX_SOFTWARE), so supervisors see a failure. */
export const CRASH_EXIT_CODE = 70;

const MEBIBYTE = 1024 * 1024;
const LEAK_TICK_MS = 100;

export interface LatencyFault {
  ms: number;
  probability: number;
  since: string;
}

export interface ErrorFault {
  rate: number;
  since: string;
}

export interface MemoryLeakFault {
  mb_per_second: number;
  max_mb: number;
  leaked_bytes: number;
  since: string;
}

export interface HangFault {
  since: string;
  held_requests: number;
}

/** What `/status` and `/chaos` responses show. */
export interface FaultReport {
  active_faults: FaultName[];
  latency?: LatencyFault;
  errors?: ErrorFault;
  memory_leak?: MemoryLeakFault;
  hang?: HangFault;
}

export interface FaultInjectorOptions {
  /** Source of randomness for probabilities and error rates; default Math.random. */
  random?: () => number;
  /** Ends the process for the crash drill; default process.exit. */
  exit?: (code: number) => void;
  /** Current time; default Date.now. */
  now?: () => number;
}

/**
 * The state of the drills: which faults are active and what they do. Routes turn faults on
 * and off; hooks ask it whether to delay, fail or hold a request. Every fault stops on
 * {@link FaultInjector.clear} (or, for hang and crash, when the process restarts).
 */
export class FaultInjector {
  #latency: LatencyFault | undefined;
  #errors: ErrorFault | undefined;
  #leak: (MemoryLeakFault & { chunks: Buffer[]; timer: NodeJS.Timeout }) | undefined;
  #hang: { since: string } | undefined;
  readonly #heldSockets = new Set<Socket>();
  readonly #random: () => number;
  readonly #exit: (code: number) => void;
  readonly #now: () => number;

  constructor(options: FaultInjectorOptions = {}) {
    this.#random = options.random ?? Math.random;
    this.#exit = options.exit ?? ((code) => process.exit(code));
    this.#now = options.now ?? Date.now;
  }

  #since(): string {
    return new Date(this.#now()).toISOString();
  }

  /** Delays `probability` of business requests by `ms`; 0 for either turns the fault off. */
  setLatency(ms: number, probability = 1): void {
    this.#latency = ms > 0 && probability > 0 ? { ms, probability, since: this.#since() } : undefined;
  }

  /** Fails `rate` (0..1) of business requests with 500; 0 turns the fault off. */
  setErrors(rate: number): void {
    this.#errors = rate > 0 ? { rate, since: this.#since() } : undefined;
  }

  /**
   * Retains `mbPerSecond` MiB per second (in 100 ms steps) until `maxMb` MiB are held. The
   * buffers are filled, not just reserved, so the resident set really grows.
   */
  startMemoryLeak(mbPerSecond: number, maxMb: number): void {
    this.#stopLeak();
    const limit = Math.round(maxMb * MEBIBYTE);
    const step = Math.max(1, Math.round((mbPerSecond * MEBIBYTE * LEAK_TICK_MS) / 1000));
    const timer = setInterval(() => {
      const leak = this.#leak;
      if (!leak) return;
      const size = Math.min(step, limit - leak.leaked_bytes);
      if (size <= 0) {
        clearInterval(timer);
        return;
      }
      leak.chunks.push(Buffer.alloc(size, 0x5a));
      leak.leaked_bytes += size;
    }, LEAK_TICK_MS);
    timer.unref();
    this.#leak = { mb_per_second: mbPerSecond, max_mb: maxMb, leaked_bytes: 0, since: this.#since(), chunks: [], timer };
  }

  #stopLeak(): void {
    if (!this.#leak) return;
    clearInterval(this.#leak.timer);
    this.#leak.chunks.length = 0;
    this.#leak = undefined;
  }

  /** From now on no request is answered until the process restarts (or {@link clear} is called in-process). */
  hang(): void {
    this.#hang ??= { since: this.#since() };
  }

  /** Exits the process with {@link CRASH_EXIT_CODE} after `delayMs`. */
  scheduleCrash(delayMs: number): void {
    setTimeout(() => this.#exit(CRASH_EXIT_CODE), delayMs);
  }

  /** Stops every fault and frees the leaked memory; returns the faults that were active. */
  clear(): FaultName[] {
    const cleared = this.activeFaults();
    this.#latency = undefined;
    this.#errors = undefined;
    this.#stopLeak();
    this.#hang = undefined;
    this.releaseHeldRequests();
    return cleared;
  }

  get hung(): boolean {
    return this.#hang !== undefined;
  }

  /** Bytes the memory-leak drill holds right now. */
  get leakedBytes(): number {
    return this.#leak?.leaked_bytes ?? 0;
  }

  activeFaults(): FaultName[] {
    const active: FaultName[] = [];
    if (this.#latency) active.push('latency');
    if (this.#errors) active.push('errors');
    if (this.#leak) active.push('memory_leak');
    if (this.#hang) active.push('hang');
    return active;
  }

  report(): FaultReport {
    const report: FaultReport = { active_faults: this.activeFaults() };
    if (this.#latency) report.latency = { ...this.#latency };
    if (this.#errors) report.errors = { ...this.#errors };
    if (this.#leak) {
      const { chunks: _chunks, timer: _timer, ...leak } = this.#leak;
      report.memory_leak = leak;
    }
    if (this.#hang) report.hang = { ...this.#hang, held_requests: this.#heldSockets.size };
    return report;
  }

  /** Milliseconds to delay the current business request (0 when the latency fault does not hit it). */
  latencyFor(): number {
    const latency = this.#latency;
    if (!latency) return 0;
    return this.#random() < latency.probability ? latency.ms : 0;
  }

  /** Whether the current business request must fail with the injected error. */
  shouldFail(): boolean {
    const errors = this.#errors;
    return errors !== undefined && this.#random() < errors.rate;
  }

  /**
   * Holds a request forever while hung: the returned promise never settles. The socket is
   * remembered so that {@link releaseHeldRequests} (on shutdown) can destroy it and let the
   * server close.
   */
  holdRequest(socket: Socket | undefined): Promise<never> {
    if (socket) {
      this.#heldSockets.add(socket);
      socket.once('close', () => this.#heldSockets.delete(socket));
    }
    return new Promise<never>(() => {});
  }

  /** Destroys the sockets of held requests (called before the server closes). */
  releaseHeldRequests(): void {
    for (const socket of this.#heldSockets) socket.destroy();
    this.#heldSockets.clear();
  }
}
