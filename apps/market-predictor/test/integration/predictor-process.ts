import { type ServiceProcess, startServiceProcess } from '@atb/testing';

/** A market-predictor started as its own process from source. */
export type PredictorProcess = ServiceProcess;

/** Starts `apps/market-predictor/src/main.ts` on a free loopback port and waits for `/health`. */
export function startPredictorProcess(environment: Record<string, string> = {}): Promise<PredictorProcess> {
  return startServiceProcess('apps/market-predictor/src/main.ts', environment);
}
