/**
 * The two building blocks of the prediction: an exponential moving average and an
 * ordinary-least-squares straight line. Pure functions over plain arrays; no I/O.
 */

/** Smoothing factor of an EMA with the given span: α = 2 / (span + 1). */
export function smoothingFactor(span: number): number {
  if (!Number.isFinite(span) || span < 1) throw new RangeError(`span must be ≥ 1, got ${span}`);
  return 2 / (span + 1);
}

/**
 * Exponential moving average of `values` with span `span`, seeded with the first value:
 * E₀ = y₀ and Eₜ = α·yₜ + (1 − α)·Eₜ₋₁ with α = 2 / (span + 1). Returns the last Eₜ.
 *
 * @example
 * exponentialMovingAverage([10, 11, 12], 3); // α = 0.5: 10 → 10.5 → 11.25
 */
export function exponentialMovingAverage(values: readonly number[], span: number): number {
  const alpha = smoothingFactor(span);
  const first = values[0];
  if (first === undefined) throw new RangeError('values must not be empty');
  let average = first;
  for (let index = 1; index < values.length; index += 1) {
    average = alpha * (values[index] as number) + (1 - alpha) * average;
  }
  return average;
}

/** A straight line y = intercept + slope·x fitted to points x = 0, 1, …, n − 1. */
export interface LinearTrend {
  /** Change per step. */
  slope: number;
  /** Fitted value at x = 0 (the first value of the window). */
  intercept: number;
  /** Coefficient of determination, 0..1; 1 when every value is equal (a perfect flat fit). */
  rSquared: number;
  /** Number of points fitted. */
  points: number;
}

/**
 * Ordinary least squares over x = 0..n−1:
 * slope b = Σ(x − x̄)(y − ȳ) / Σ(x − x̄)², intercept a = ȳ − b·x̄,
 * R² = 1 − SS_res / SS_tot with SS_res = Σ(y − a − b·x)² and SS_tot = Σ(y − ȳ)².
 * Needs at least two values.
 */
export function leastSquaresTrend(values: readonly number[]): LinearTrend {
  const count = values.length;
  if (count < 2) throw new RangeError(`need at least 2 values, got ${count}`);
  const meanX = (count - 1) / 2;
  let meanY = 0;
  for (const value of values) meanY += value;
  meanY /= count;
  let covariance = 0;
  let varianceX = 0;
  let totalSquares = 0;
  for (let x = 0; x < count; x += 1) {
    const deviationX = x - meanX;
    const deviationY = (values[x] as number) - meanY;
    covariance += deviationX * deviationY;
    varianceX += deviationX * deviationX;
    totalSquares += deviationY * deviationY;
  }
  const slope = covariance / varianceX;
  const intercept = meanY - slope * meanX;
  let residualSquares = 0;
  for (let x = 0; x < count; x += 1) {
    const residual = (values[x] as number) - (intercept + slope * x);
    residualSquares += residual * residual;
  }
  // Relative tolerance: a series equal up to rounding noise counts as perfectly flat.
  const flat = totalSquares <= Number.EPSILON * meanY * meanY * count;
  const rSquared = flat ? 1 : Math.min(1, Math.max(0, 1 - residualSquares / totalSquares));
  return { slope, intercept, rSquared, points: count };
}
