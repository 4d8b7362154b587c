import { exponentialMovingAverage, leastSquaresTrend, smoothingFactor } from './indicators.js';

export type Direction = 'up' | 'down' | 'flat';

/** Tuning of {@link predictPrice}; every field has the documented default. */
export interface PredictionOptions {
  /** How many of the most recent prices the least-squares trend uses. Default 50. */
  window?: number;
  /** Span of the fast EMA, the level the forecast starts from. Default 5. */
  fastSpan?: number;
  /** Span of the slow EMA, compared with the fast one for the agreement factor. Default 20. */
  slowSpan?: number;
  /** Relative move below which the direction is `flat`: |p̂ − last| / last < threshold. Default 0.001 (0.1 %). */
  flatThreshold?: number;
}

export const DEFAULT_PREDICTION_OPTIONS: Required<PredictionOptions> = {
  window: 50,
  fastSpan: 5,
  slowSpan: 20,
  flatThreshold: 0.001,
};

/** Name and version of the method, returned as `model` so clients can tell methods apart. */
export const MODEL_NAME = 'ema-ols-trend-v1';

/** Agreement factor when the EMA crossover and the least-squares slope point different ways. */
export const DISAGREEMENT_FACTOR = 0.5;

export interface Prediction {
  predictedPrice: number;
  direction: Direction;
  /** 0..1, rounded to 4 decimals: R² × agreement × coverage. */
  confidence: number;
  /** The intermediate values, for explanations and tests. */
  components: {
    lastPrice: number;
    emaFast: number;
    emaSlow: number;
    slope: number;
    intercept: number;
    rSquared: number;
    /** Prices the trend was fitted to: min(n, window). */
    windowPoints: number;
    /** b·(1 − α)/α: how far the fast EMA trails a series rising by b per step. */
    lagCorrection: number;
    agreement: number;
    coverage: number;
  };
}

/**
 * Predicts the price `horizon` steps after the last one (steps are the spacing of `prices`).
 *
 * Method (hand-checkable, see the README):
 * 1. Level: the fast EMA Eᶠ (span `fastSpan`, α = 2 / (span + 1), seeded with the first price).
 * 2. Trend: the least-squares slope b over the last m = min(n, window) prices, with its R².
 * 3. An EMA of a series rising by b per step trails it by b·(1 − α)/α, so the forecast adds
 *    that back: p̂ = max(0, Eᶠ + b·(horizon + (1 − α)/α)).
 * 4. Direction: `flat` when |p̂ − last| / last < flatThreshold, otherwise `up` or `down`.
 * 5. Confidence = R² × agreement × coverage, where agreement is 1 when sign(Eᶠ − Eˢ) (the
 *    slow EMA, span `slowSpan`) equals sign(b) and 0.5 otherwise (a sign within 10⁻⁹ of the
 *    last price counts as 0), and coverage = (m − 1) / (window − 1) rewards longer history.
 *
 * @param prices at least two positive, finite prices, oldest first
 * @param horizon whole steps ahead, ≥ 1
 * @example
 * predictPrice([10, 11, 12, 13], 1, { window: 4, fastSpan: 3, slowSpan: 7 });
 * // → predictedPrice 14.125, direction 'up', confidence 1
 */
export function predictPrice(prices: readonly number[], horizon = 1, options: PredictionOptions = {}): Prediction {
  const settings = { ...DEFAULT_PREDICTION_OPTIONS, ...options };
  if (prices.length < 2) throw new RangeError(`need at least 2 prices, got ${prices.length}`);
  if (!Number.isInteger(horizon) || horizon < 1) throw new RangeError(`horizon must be a whole number ≥ 1, got ${horizon}`);
  if (!Number.isInteger(settings.window) || settings.window < 2) {
    throw new RangeError(`window must be a whole number ≥ 2, got ${settings.window}`);
  }
  const lastPrice = prices[prices.length - 1] as number;
  if (!(lastPrice > 0)) throw new RangeError(`the last price must be positive, got ${lastPrice}`);

  const emaFast = exponentialMovingAverage(prices, settings.fastSpan);
  const emaSlow = exponentialMovingAverage(prices, settings.slowSpan);
  const windowPrices = prices.slice(-settings.window);
  const trend = leastSquaresTrend(windowPrices);
  const alpha = smoothingFactor(settings.fastSpan);
  const lagSteps = (1 - alpha) / alpha;
  const lagCorrection = trend.slope * lagSteps;
  const predictedPrice = Math.max(0, emaFast + trend.slope * (horizon + lagSteps));

  const change = (predictedPrice - lastPrice) / lastPrice;
  const direction: Direction = Math.abs(change) < settings.flatThreshold ? 'flat' : change > 0 ? 'up' : 'down';

  const tolerance = 1e-9 * lastPrice;
  const sign = (value: number) => (Math.abs(value) <= tolerance ? 0 : Math.sign(value));
  const agreement = sign(emaFast - emaSlow) === sign(trend.slope) ? 1 : DISAGREEMENT_FACTOR;
  const coverage = (windowPrices.length - 1) / (settings.window - 1);
  const confidence = Math.round(trend.rSquared * agreement * coverage * 10_000) / 10_000;

  return {
    predictedPrice,
    direction,
    confidence,
    components: {
      lastPrice,
      emaFast,
      emaSlow,
      slope: trend.slope,
      intercept: trend.intercept,
      rSquared: trend.rSquared,
      windowPoints: windowPrices.length,
      lagCorrection,
      agreement,
      coverage,
    },
  };
}
