/** The faults `atb drill` can inject, and how each is injected through the predictor's chaos routes. */
export const DRILL_FAULTS = ['crash', 'hang', 'memory-leak', 'errors', 'latency'] as const;
export type DrillFault = (typeof DRILL_FAULTS)[number];

export interface FaultParameters {
  /** `latency`: milliseconds added to each business request; default 3000. */
  latencyMs?: number;
  /** `errors`: share of business requests answered 500; default 0.5. */
  errorRate?: number;
  /** `memory-leak`: MiB retained per second; default 20. */
  leakMbPerSecond?: number;
  /** `memory-leak`: MiB retained at most; default 450 (above the 300 MiB alert threshold). */
  leakMaxMb?: number;
}

export interface FaultPlan {
  fault: DrillFault;
  /** Path of the chaos route on the predictor. */
  path: string;
  body: Record<string, unknown>;
  /** Rate-based alerts (errors, latency) need requests to measure: the drill sends some. */
  needsTraffic: boolean;
  /** What the fault does, for the narration. */
  description: string;
  /** The shipped Prometheus alert expected to fire (deploy/prometheus/rules/market-predictor.yml). */
  expectedAlert: string;
}

/** Whether `name` is a fault `atb drill` knows. */
export function isDrillFault(name: string): name is DrillFault {
  return (DRILL_FAULTS as readonly string[]).includes(name);
}

/** The chaos request injecting `fault` with `parameters` (defaults documented on {@link FaultParameters}). */
export function planFault(fault: DrillFault, parameters: FaultParameters = {}): FaultPlan {
  switch (fault) {
    case 'crash':
      return {
        fault,
        path: '/chaos/crash',
        body: { delay_ms: 100 },
        needsTraffic: false,
        description: 'the predictor process exits (status 70); its container stops',
        expectedAlert: 'MarketPredictorDown',
      };
    case 'hang':
      return {
        fault,
        path: '/chaos/hang',
        body: {},
        needsTraffic: false,
        description: 'the predictor stops answering every request, /health and /metrics included',
        expectedAlert: 'MarketPredictorHung',
      };
    case 'memory-leak': {
      const mbPerSecond = parameters.leakMbPerSecond ?? 20;
      const maxMb = parameters.leakMaxMb ?? 450;
      return {
        fault,
        path: '/chaos/memory-leak',
        body: { mb_per_second: mbPerSecond, max_mb: maxMb },
        needsTraffic: false,
        description: `the predictor retains ${mbPerSecond} MiB per second, up to ${maxMb} MiB`,
        expectedAlert: 'MarketPredictorHighMemory',
      };
    }
    case 'errors': {
      const rate = parameters.errorRate ?? 0.5;
      return {
        fault,
        path: '/chaos/errors',
        body: { rate },
        needsTraffic: true,
        description: `${Math.round(rate * 100)}% of /predict requests answer 500`,
        expectedAlert: 'MarketPredictorHighErrorRate',
      };
    }
    case 'latency': {
      const ms = parameters.latencyMs ?? 3000;
      return {
        fault,
        path: '/chaos/latency',
        body: { ms, probability: 1 },
        needsTraffic: true,
        description: `every /predict request is delayed by ${ms} ms`,
        expectedAlert: 'MarketPredictorHighLatency',
      };
    }
  }
}
