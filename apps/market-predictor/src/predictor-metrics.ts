import { Counter, Gauge, type Registry } from 'prom-client';
import { FAULT_NAMES, type FaultInjector } from './chaos/fault-injector.js';
import type { Direction } from './prediction/predict.js';

/** The predictor's own metrics, next to the HTTP and process metrics of the service kit. */
export interface PredictorMetrics {
  /** `predictor_predictions_total{direction}`: predictions answered. */
  predictions: Counter<'direction'>;
  /** `predictor_prediction_errors_total{kind}`: `/predict` requests answered with 4xx (`invalid_input`) or 5xx (`server_error`). */
  predictionErrors: Counter<'kind'>;
}

const DIRECTIONS: Direction[] = ['up', 'down', 'flat'];

/**
 * Registers the predictor's metrics on `registry`. Every label value is present from the
 * start (at 0), so alert rules and rates work before the first event. The fault gauges are
 * read from `faults` at scrape time.
 */
export function createPredictorMetrics(registry: Registry, faults: FaultInjector): PredictorMetrics {
  const predictions = new Counter({
    name: 'predictor_predictions_total',
    help: 'Predictions answered by POST /predict, by predicted direction.',
    labelNames: ['direction'] as const,
    registers: [registry],
  });
  for (const direction of DIRECTIONS) predictions.inc({ direction }, 0);

  const predictionErrors = new Counter({
    name: 'predictor_prediction_errors_total',
    help: 'POST /predict requests that failed: invalid_input (4xx) or server_error (5xx, including injected errors).',
    labelNames: ['kind'] as const,
    registers: [registry],
  });
  for (const kind of ['invalid_input', 'server_error']) predictionErrors.inc({ kind }, 0);

  new Gauge({
    name: 'predictor_chaos_fault_active',
    help: 'Whether an injected fault is active (1) or not (0), by fault.',
    labelNames: ['fault'] as const,
    registers: [registry],
    collect() {
      const active = new Set(faults.activeFaults());
      for (const fault of FAULT_NAMES) this.set({ fault }, active.has(fault) ? 1 : 0);
    },
  });

  new Gauge({
    name: 'predictor_chaos_memory_leaked_bytes',
    help: 'Bytes held by the memory-leak drill.',
    registers: [registry],
    collect() {
      this.set(faults.leakedBytes);
    },
  });

  return { predictions, predictionErrors };
}
