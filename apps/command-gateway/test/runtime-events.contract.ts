import { expect, it } from 'vitest';
import type { ContainerRuntime, RuntimeEvent } from '../src/runtime/container-runtime.js';

/** What the event cases of the contract need beyond the runtime and its running target. */
export interface RuntimeEventsFixture {
  runtime: ContainerRuntime;
  target: string;
  /** Stops the engine (or control API), runs `whileDown`, and brings the engine back. */
  restartEngine(whileDown: () => Promise<void>): Promise<void>;
}

/** A subscription that records what it delivered. */
export class EventRecorder {
  readonly events: RuntimeEvent[] = [];
  connections = 0;
  private readonly subscription;

  constructor(runtime: ContainerRuntime) {
    this.subscription = runtime.subscribe((event) => this.events.push(event), {
      onConnected: () => {
        this.connections += 1;
      },
    });
  }

  of(target: string, type?: RuntimeEvent['type']): RuntimeEvent[] {
    return this.events.filter((event) => event.target === target && (type === undefined || event.type === type));
  }

  async until<T>(check: () => T | undefined | false, description: string, timeoutMs = 20_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = check();
      if (value) return value;
      if (Date.now() > deadline) {
        throw new Error(`timed out waiting for ${description}; received:\n${this.events.map(describe).join('\n')}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }

  close(): Promise<void> {
    return this.subscription.close();
  }
}

function describe(event: RuntimeEvent): string {
  return `${event.time} ${event.type} ${event.target}${event.exit_code === undefined ? '' : ` exit ${event.exit_code}`}`;
}

/** Kills the target's process from outside the runtime (as a crash or a person would). */
async function killByHand(runtime: ContainerRuntime, target: string): Promise<void> {
  const { pid } = await runtime.inspect(target);
  if (!pid) throw new Error(`${target} has no pid to kill`);
  process.kill(pid, 'SIGKILL');
}

/**
 * The event cases every runtime passes, on the real component: a kill by hand is one
 * `container-died` with exit code 137, a restart through the runtime is reported, and a
 * restarted engine loses and repeats nothing. Call inside the runtime's `describe`, after
 * the rest of the contract (the cases leave the target running).
 */
export function runtimeEventsContractSuite(fixture: () => RuntimeEventsFixture): void {
  it('reports a kill by hand as exactly one container-died with exit code 137', async () => {
    const { runtime, target } = fixture();
    const recorder = new EventRecorder(runtime);
    try {
      await recorder.until(() => recorder.connections > 0, 'the stream to open');
      await killByHand(runtime, target);
      const died = await recorder.until(() => recorder.of(target, 'container-died')[0], 'container-died');
      expect(died).toMatchObject({ target, exit_code: 137 });
      expect(Number.isNaN(Date.parse(died.time))).toBe(false);
      await runtime.start(target);
      await recorder.until(() => recorder.of(target, 'container-started')[0], 'container-started');
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(recorder.of(target, 'container-died')).toHaveLength(1);
    } finally {
      await recorder.close();
    }
  });

  it('reports a restart through the runtime as container-restarted, and the target started again', async () => {
    const { runtime, target } = fixture();
    const recorder = new EventRecorder(runtime);
    try {
      await recorder.until(() => recorder.connections > 0, 'the stream to open');
      await runtime.restart(target, { timeoutSeconds: 5 });
      await recorder.until(() => recorder.of(target, 'container-restarted')[0], 'container-restarted');
      await recorder.until(() => recorder.of(target, 'container-started')[0], 'container-started');
      expect(recorder.of(target, 'container-restarted')).toHaveLength(1);
    } finally {
      await recorder.close();
    }
  });

  it('resumes after the engine restarts: an event while it was down arrives once, none repeats', async () => {
    const { runtime, target } = fixture();
    const recorder = new EventRecorder(runtime);
    try {
      await recorder.until(() => recorder.connections > 0, 'the stream to open');
      await runtime.restart(target, { timeoutSeconds: 5 });
      await recorder.until(() => recorder.of(target, 'container-started')[0], 'container-started');
      const before = recorder.events.length;
      const { pid } = await runtime.inspect(target);
      await fixture().restartEngine(async () => {
        process.kill(pid ?? 0, 'SIGKILL');
        await new Promise((resolve) => setTimeout(resolve, 1000));
      });
      await recorder.until(() => recorder.connections > 1, 'the stream to reopen', 30_000);
      const killed = () => recorder.of(target, 'container-died').filter((event) => event.exit_code === 137);
      await recorder.until(() => killed()[0], 'the died event (137) from while the engine was down', 30_000);
      await runtime.start(target);
      await recorder.until(() => recorder.of(target, 'container-started').length >= 2, 'the second container-started');
      await new Promise((resolve) => setTimeout(resolve, 1000));
      const identities = recorder.events.map((event) => `${event.container_id}|${event.type}|${event.time}`);
      expect(new Set(identities).size).toBe(identities.length);
      expect(killed()).toHaveLength(1);
      // The restart's own exit, from before the engine restarted, came once and is not repeated.
      expect(recorder.of(target, 'container-died')).toHaveLength(2);
      expect(recorder.of(target, 'container-restarted')).toHaveLength(1);
      expect(recorder.events.length).toBeGreaterThan(before);
    } finally {
      await recorder.close();
    }
  });
}
