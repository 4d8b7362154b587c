import { PredictorClient } from '@atb/clients';

/**
 * Steady `POST /predict` traffic for the drills whose alerts are rates (errors, latency):
 * without requests there is no error share or latency to measure.
 */
export interface TrafficOptions {
  predictorUrl: string;
  /** Requests in flight at once; default 4. */
  concurrency?: number;
  /** Pause between two requests of one worker; default 200 ms. */
  pauseMs?: number;
  /** Give up on one request after this long; default 10 s. */
  requestTimeoutMs?: number;
}

export interface TrafficCounts {
  sent: number;
  ok: number;
  failed: number;
}

export interface RunningTraffic {
  counts: TrafficCounts;
  stop(): Promise<TrafficCounts>;
}

const PRICES = Array.from({ length: 30 }, (_, index) => 100 + index * 0.5 + Math.sin(index) * 2);

/** Starts the traffic; `stop()` waits for the requests in flight. */
export function startPredictionTraffic(options: TrafficOptions): RunningTraffic {
  const counts: TrafficCounts = { sent: 0, ok: 0, failed: 0 };
  const controller = new AbortController();
  const pause = options.pauseMs ?? 200;
  const predictor = new PredictorClient({ baseUrl: options.predictorUrl, timeoutMs: options.requestTimeoutMs ?? 10_000 });
  const worker = async () => {
    while (!controller.signal.aborted) {
      counts.sent += 1;
      try {
        await predictor.predict({ symbol: 'DRILL', prices: PRICES, horizon: 1 }, { signal: controller.signal });
        counts.ok += 1;
      } catch {
        if (!controller.signal.aborted) counts.failed += 1;
      }
      if (!controller.signal.aborted) await new Promise((resolve) => setTimeout(resolve, pause));
    }
  };
  const workers = Array.from({ length: options.concurrency ?? 4 }, () => worker());
  return {
    counts,
    async stop() {
      controller.abort();
      await Promise.allSettled(workers);
      return counts;
    },
  };
}
