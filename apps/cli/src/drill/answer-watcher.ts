import { PredictorClient } from '@atb/clients';

/**
 * When the service answers again after a fault: the first `/health` answer `healthy` after it
 * was seen failing, unhealthy or degraded — or answered by a new process (a restart faster than
 * the polling). Checked every `intervalMs` until `stop()`.
 */
export function watchAnswering(options: {
  predictorUrl: string;
  /** The process answering before the fault (its `/status` started_at). */
  startedBefore: string | undefined;
  intervalMs?: number;
  onAnswering: (at: number, detail: string) => void | Promise<void>;
}): { stop(): Promise<void>; settle(timeoutMs: number): Promise<void> } {
  const predictor = new PredictorClient({ baseUrl: options.predictorUrl, timeoutMs: 1000 });
  let running = true;
  let answered = false;
  let failedSince: number | undefined;
  const loop = (async () => {
    while (running) {
      const health = await predictor.health().catch(() => undefined);
      const now = Date.now();
      if (health?.status !== 'healthy') failedSince ??= now;
      else {
        const started = failedSince === undefined ? (await predictor.status().catch(() => undefined))?.started_at : undefined;
        const restarted = started !== undefined && options.startedBefore !== undefined && started !== options.startedBefore;
        if (failedSince !== undefined || restarted) {
          const down = failedSince === undefined ? 'a new process answers' : `not answering for ${((now - failedSince) / 1000).toFixed(1)} s`;
          answered = true;
          await options.onAnswering(now, `/health answers healthy again (${down})`);
          return;
        }
      }
      await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 100));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
    },
    /** Gives the watch up to `timeoutMs` to see the answer (the agent may have verified it first), then stops. */
    async settle(timeoutMs: number) {
      const deadline = Date.now() + timeoutMs;
      while (!answered && running && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
      running = false;
      await loop;
    },
  };
}
