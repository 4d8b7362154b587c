import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  type ContainerRuntime,
  RuntimeNotFoundError,
  RuntimeUnavailableError,
} from '../src/runtime/container-runtime.js';
import { runtimeEventsContractSuite } from './runtime-events.contract.js';

/** What each runtime's test file provides to the one contract suite. */
export interface RuntimeContractFixture {
  runtime: ContainerRuntime;
  /** A running target serving `runtime-fixture-server.mjs`. */
  target: string;
  /** Labels the target carries. */
  labels: Record<string, string>;
  /** The port the target's server currently listens on (written by the server), if written. */
  readPort(): string | undefined;
  /** Forgets the written port, so the next start's port can be told apart. */
  clearPort(): void;
  /** The same kind of runtime, pointed at an engine that was running and has stopped. */
  stoppedEngine(): Promise<{ runtime: ContainerRuntime; endpoint: string }>;
  /** The same kind of runtime, pointed at an engine that closes the connection mid-request. */
  droppingEngine(): Promise<{ runtime: ContainerRuntime; endpoint: string }>;
  /** The same kind of runtime, pointed at an engine that accepts and never answers. */
  hangingEngine(): Promise<{ runtime: ContainerRuntime; endpoint: string }>;
  /** Stops the engine the runtime talks to, runs `whileDown`, and brings the engine back. */
  restartEngine(whileDown: () => Promise<void>): Promise<void>;
  close(): Promise<void>;
}

/**
 * The contract every {@link ContainerRuntime} passes (Docker Engine API on Podman, and the
 * process runtime on a real supervisor): real restarts, real output, real numbers, and clear
 * errors when the target is unknown or the engine is gone.
 */
export function runtimeContractSuite(setup: () => Promise<RuntimeContractFixture>): void {
  let fixture: RuntimeContractFixture;

  beforeAll(async () => {
    fixture = await setup();
  });

  afterAll(async () => {
    await fixture?.close();
  });

  async function answers(previousPort?: string): Promise<{ port: string; body: string }> {
    const deadline = Date.now() + 15_000;
    let lastError: unknown;
    while (Date.now() < deadline) {
      const port = fixture.readPort();
      if (port && port !== previousPort) {
        try {
          const response = await fetch(`http://127.0.0.1:${port}/contract`, { signal: AbortSignal.timeout(2000) });
          return { port, body: await response.text() };
        } catch (error) {
          lastError = error;
        }
      }
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    throw new Error(`the target never answered: ${String(lastError)}`);
  }

  it('pings its engine', async () => {
    expect(await fixture.runtime.ping()).toBe(true);
  });

  it('lists the target, running, with its labels', async () => {
    const containers = await fixture.runtime.list();
    const target = containers.find((container) => container.name === fixture.target);
    expect(target).toBeDefined();
    expect(target?.state).toBe('running');
    expect(target?.labels).toMatchObject(fixture.labels);
    expect(target?.id).toBeTruthy();
  });

  it('inspects the target: state, pid, start time, restart count, labels', async () => {
    const details = await fixture.runtime.inspect(fixture.target);
    expect(details.name).toBe(fixture.target);
    expect(details.state).toBe('running');
    expect(details.pid).toBeGreaterThan(0);
    expect(Number.isNaN(Date.parse(details.started_at))).toBe(false);
    expect(Number.isInteger(details.restart_count) && details.restart_count >= 0).toBe(true);
    expect(details.labels).toMatchObject(fixture.labels);
    expect(details.exit_code).toBeUndefined();
  });

  it("returns the target's real output (stdout and stderr), bounded by tail", async () => {
    await answers();
    const deadline = Date.now() + 5000;
    let lines: string[] = [];
    while (Date.now() < deadline) {
      lines = await fixture.runtime.logs(fixture.target, { tail: 200 });
      if (lines.some((line) => line.includes('request /contract'))) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(lines.some((line) => /^listening on \d+$/.test(line))).toBe(true);
    expect(lines).toContain('fixture ready (stderr)');
    expect(lines).toContain('request /contract');
    const last = await fixture.runtime.logs(fixture.target, { tail: 1 });
    expect(last).toHaveLength(1);
  });

  it('reports real resource usage', async () => {
    const stats = await fixture.runtime.stats(fixture.target);
    expect(Number.isFinite(stats.cpu_percent)).toBe(true);
    expect(stats.cpu_percent).toBeGreaterThanOrEqual(0);
    expect(stats.memory_bytes).toBeGreaterThan(1024 * 1024);
    expect(stats.memory_limit_bytes).toBeGreaterThanOrEqual(stats.memory_bytes);
  });

  it('restarts the target: a new start time and pid, and it answers again', async () => {
    const first = await answers();
    const before = await fixture.runtime.inspect(fixture.target);
    fixture.clearPort();
    await fixture.runtime.restart(fixture.target, { timeoutSeconds: 5 });
    const after = await fixture.runtime.inspect(fixture.target);
    expect(after.state).toBe('running');
    expect(after.started_at).not.toBe(before.started_at);
    expect(Date.parse(after.started_at)).toBeGreaterThanOrEqual(Date.parse(before.started_at));
    expect(after.pid).not.toBe(before.pid);
    const second = await answers(first.port);
    expect(second.body).toBe(first.body);
  });

  it('stops the target (it stops answering) and starts it again', async () => {
    const { port } = await answers();
    await fixture.runtime.stop(fixture.target, { timeoutSeconds: 5 });
    const stopped = await fixture.runtime.inspect(fixture.target);
    expect(stopped.state).not.toBe('running');
    expect(stopped.exit_code).toBeDefined();
    expect(stopped.pid).toBeUndefined();
    await expect(fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(2000) })).rejects.toThrow();
    await fixture.runtime.stop(fixture.target, { timeoutSeconds: 5 }); // stopping a stopped target is fine

    fixture.clearPort();
    await fixture.runtime.start(fixture.target);
    await fixture.runtime.start(fixture.target); // starting a running target is fine
    expect((await fixture.runtime.inspect(fixture.target)).state).toBe('running');
    await answers();
  });

  it('answers RuntimeNotFoundError for an unknown or malformed name, for every operation', async () => {
    const before = await fixture.runtime.inspect(fixture.target);
    for (const name of ['atb-no-such-target-4c1d', '../etc', 'a;rm -rf /', `${fixture.target}\n`]) {
      await expect(fixture.runtime.inspect(name)).rejects.toBeInstanceOf(RuntimeNotFoundError);
      await expect(fixture.runtime.restart(name, { timeoutSeconds: 1 })).rejects.toBeInstanceOf(RuntimeNotFoundError);
      await expect(fixture.runtime.start(name)).rejects.toBeInstanceOf(RuntimeNotFoundError);
      await expect(fixture.runtime.stop(name, { timeoutSeconds: 1 })).rejects.toBeInstanceOf(RuntimeNotFoundError);
      await expect(fixture.runtime.logs(name, { tail: 10 })).rejects.toBeInstanceOf(RuntimeNotFoundError);
      await expect(fixture.runtime.stats(name)).rejects.toBeInstanceOf(RuntimeNotFoundError);
    }
    const after = await fixture.runtime.inspect(fixture.target);
    expect(after.started_at).toBe(before.started_at);
  });

  it('rejects with the abort reason when the signal has fired, and does nothing', async () => {
    const before = await fixture.runtime.inspect(fixture.target);
    const controller = new AbortController();
    const reason = new Error('caller gave up');
    controller.abort(reason);
    await expect(fixture.runtime.restart(fixture.target, { signal: controller.signal })).rejects.toBe(reason);
    expect((await fixture.runtime.inspect(fixture.target)).started_at).toBe(before.started_at);
  });

  it('says the engine is unreachable, naming it, when the engine has stopped', async () => {
    const { runtime, endpoint } = await fixture.stoppedEngine();
    expect(await runtime.ping()).toBe(false);
    const failure = await runtime.inspect(fixture.target).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(RuntimeUnavailableError);
    expect((failure as Error).message).toContain(endpoint);
    await expect(runtime.list()).rejects.toBeInstanceOf(RuntimeUnavailableError);
  });

  it('says the engine is unreachable when it goes away mid-request', async () => {
    const { runtime, endpoint } = await fixture.droppingEngine();
    const failure = await runtime.restart(fixture.target, { timeoutSeconds: 1 }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(RuntimeUnavailableError);
    expect((failure as Error).message).toContain(endpoint);
  });

  it('gives up on a hung engine when the signal times out', async () => {
    const { runtime } = await fixture.hangingEngine();
    const failure = await runtime
      .restart(fixture.target, { timeoutSeconds: 1, signal: AbortSignal.timeout(300) })
      .catch((error: unknown) => error);
    expect((failure as Error).name).toBe('TimeoutError');
    expect(await runtime.ping({ signal: AbortSignal.timeout(300) })).toBe(false);
  });

  runtimeEventsContractSuite(() => fixture);
}
