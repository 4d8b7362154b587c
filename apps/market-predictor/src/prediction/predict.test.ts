import { describe, expect, it } from 'vitest';
import { exponentialMovingAverage, leastSquaresTrend, smoothingFactor } from './indicators.js';
import { predictPrice } from './predict.js';

// Every expected value below is worked out by hand in the comments; the small spans
// (3 → α = 0.5, 7 → α = 0.25) keep the arithmetic exact.
const SMALL = { fastSpan: 3, slowSpan: 7 };

describe('exponentialMovingAverage', () => {
  it('applies Eₜ = α·yₜ + (1 − α)·Eₜ₋₁ seeded with the first value', () => {
    // span 3 → α = 2/4 = 0.5: 10 → 0.5·11 + 0.5·10 = 10.5 → 0.5·12 + 0.5·10.5 = 11.25
    expect(exponentialMovingAverage([10, 11, 12], 3)).toBe(11.25);
    // span 7 → α = 2/8 = 0.25: 10 → 0.25·11 + 0.75·10 = 10.25 → 0.25·12 + 0.75·10.25 = 10.6875
    expect(exponentialMovingAverage([10, 11, 12], 7)).toBe(10.6875);
  });

  it('returns the only value of a one-element series and rejects empty input and bad spans', () => {
    expect(exponentialMovingAverage([42], 5)).toBe(42);
    expect(() => exponentialMovingAverage([], 5)).toThrow(RangeError);
    expect(() => smoothingFactor(0)).toThrow(RangeError);
    // span 5 → α = 2/6
    expect(smoothingFactor(5)).toBeCloseTo(1 / 3, 15);
  });
});

describe('leastSquaresTrend', () => {
  it('fits a perfect line exactly', () => {
    // x = 0..3, y = 10..13: x̄ = 1.5, ȳ = 11.5, Σ(x−x̄)² = 2.25+0.25+0.25+2.25 = 5,
    // Σ(x−x̄)(y−ȳ) = 5 → b = 1, a = 11.5 − 1·1.5 = 10, residuals all 0 → R² = 1
    expect(leastSquaresTrend([10, 11, 12, 13])).toEqual({ slope: 1, intercept: 10, rSquared: 1, points: 4 });
  });

  it('computes slope, intercept and R² of a noisy series', () => {
    // y = 20, 18, 19, 16, 15: x̄ = 2, ȳ = 88/5 = 17.6
    // y − ȳ = 2.4, 0.4, 1.4, −1.6, −2.6; x − x̄ = −2, −1, 0, 1, 2
    // Σ(x−x̄)(y−ȳ) = −4.8 − 0.4 + 0 − 1.6 − 5.2 = −12; Σ(x−x̄)² = 10 → b = −1.2
    // a = 17.6 − (−1.2)·2 = 20; fitted 20, 18.8, 17.6, 16.4, 15.2
    // residuals 0, −0.8, 1.4, −0.4, −0.2 → SS_res = 0 + 0.64 + 1.96 + 0.16 + 0.04 = 2.8
    // SS_tot = 5.76 + 0.16 + 1.96 + 2.56 + 6.76 = 17.2 → R² = 1 − 2.8/17.2 = 0.837209…
    const trend = leastSquaresTrend([20, 18, 19, 16, 15]);
    expect(trend.slope).toBeCloseTo(-1.2, 12);
    expect(trend.intercept).toBeCloseTo(20, 12);
    expect(trend.rSquared).toBeCloseTo(1 - 2.8 / 17.2, 12);
  });

  it('treats a constant series as a perfect flat fit, and needs two points', () => {
    // SS_tot = 0: no variation to explain → R² defined as 1, slope 0
    expect(leastSquaresTrend([0.1, 0.1, 0.1])).toMatchObject({ slope: 0, rSquared: 1 });
    expect(() => leastSquaresTrend([1])).toThrow(RangeError);
  });
});

describe('predictPrice', () => {
  it('extrapolates a straight uptrend', () => {
    // Eᶠ (α 0.5): 10 → 10.5 → 11.25 → 0.5·13 + 0.5·11.25 = 12.125
    // Eˢ (α 0.25): 10 → 10.25 → 10.6875 → 0.25·13 + 0.75·10.6875 = 11.265625
    // b = 1, R² = 1 (see above); lag steps (1 − α)/α = 1 → lag correction 1
    // p̂ = 12.125 + 1·(1 + 1) = 14.125; (14.125 − 13)/13 = 0.0865 ≥ 0.001 → up
    // Eᶠ − Eˢ > 0 and b > 0 → agreement 1; window 4, m = 4 → coverage 3/3 = 1 → confidence 1
    const prediction = predictPrice([10, 11, 12, 13], 1, { ...SMALL, window: 4 });
    expect(prediction.predictedPrice).toBe(14.125);
    expect(prediction.direction).toBe('up');
    expect(prediction.confidence).toBe(1);
    expect(prediction.components).toMatchObject({ emaFast: 12.125, emaSlow: 11.265625, slope: 1, lagCorrection: 1 });
  });

  it('scales confidence by coverage when the history is shorter than the window', () => {
    // same series, default window 50: coverage = (4 − 1)/(50 − 1) = 3/49 = 0.061224… → 0.0612
    expect(predictPrice([10, 11, 12, 13], 1, SMALL).confidence).toBe(0.0612);
  });

  it('predicts a noisy downtrend two steps ahead', () => {
    // Eᶠ: 20 → 19 → 19 → 17.5 → 16.25
    // Eˢ: 20 → 19.5 → 19.375 → 18.53125 → 0.25·15 + 0.75·18.53125 = 17.6484375
    // b = −1.2, R² = 0.837209… (see above); p̂ = 16.25 + (−1.2)·(2 + 1) = 12.65 → down
    // Eᶠ − Eˢ < 0 and b < 0 → agreement 1; coverage 4/4 = 1 → confidence 0.8372
    const prediction = predictPrice([20, 18, 19, 16, 15], 2, { ...SMALL, window: 5 });
    expect(prediction.predictedPrice).toBeCloseTo(12.65, 12);
    expect(prediction.direction).toBe('down');
    expect(prediction.confidence).toBe(0.8372);
  });

  it('halves confidence when the EMA crossover and the trend disagree', () => {
    // y = 10, 13, 12, 10: ȳ = 11.25; y − ȳ = −1.25, 1.75, 0.75, −1.25; x − x̄ = −1.5, −0.5, 0.5, 1.5
    // Σ(x−x̄)(y−ȳ) = 1.875 − 0.875 + 0.375 − 1.875 = −0.5 → b = −0.5/5 = −0.1, a = 11.25 + 0.15 = 11.4
    // fitted 11.4, 11.3, 11.2, 11.1; residuals −1.4, 1.7, 0.8, −1.1 → SS_res = 1.96+2.89+0.64+1.21 = 6.7
    // SS_tot = 1.5625 + 3.0625 + 0.5625 + 1.5625 = 6.75 → R² = 0.05/6.75 = 0.0074074…
    // Eᶠ: 10 → 11.5 → 11.75 → 10.875; Eˢ: 10 → 10.75 → 11.0625 → 0.25·10 + 0.75·11.0625 = 10.796875
    // Eᶠ − Eˢ = 0.078125 > 0 but b < 0 → agreement 0.5 → confidence 0.0074074·0.5 = 0.0037037 → 0.0037
    // p̂ = 10.875 + (−0.1)·(1 + 1) = 10.675; (10.675 − 10)/10 = 0.0675 → up
    const prediction = predictPrice([10, 13, 12, 10], 1, { ...SMALL, window: 4 });
    expect(prediction.predictedPrice).toBeCloseTo(10.675, 12);
    expect(prediction.direction).toBe('up');
    expect(prediction.components.agreement).toBe(0.5);
    expect(prediction.confidence).toBe(0.0037);
  });

  it('calls a constant series flat with full confidence', () => {
    // b = 0, R² = 1, Eᶠ = Eˢ = 100 → p̂ = 100, change 0 < 0.001 → flat; signs 0 = 0 → agreement 1
    const prediction = predictPrice([100, 100, 100], 1, { ...SMALL, window: 3 });
    expect(prediction).toMatchObject({ predictedPrice: 100, direction: 'flat', confidence: 1 });
  });

  it('calls a move below the flat threshold flat', () => {
    // y = 1000, 1000.5: b = 0.5, Eᶠ = 0.5·1000.5 + 0.5·1000 = 1000.25
    // p̂ = 1000.25 + 0.5·(1 + 1) = 1001.25; change 0.75/1000.5 = 0.00075 < 0.001 → flat
    // with threshold 0.0005 the same move is up
    expect(predictPrice([1000, 1000.5], 1, SMALL).direction).toBe('flat');
    expect(predictPrice([1000, 1000.5], 1, { ...SMALL, flatThreshold: 0.0005 }).direction).toBe('up');
  });

  it('fits the trend to the last `window` prices only', () => {
    // window 3 → trend over 13, 14, 15: b = 1, R² = 1 (the jump from 3 to 13 is outside it)
    const prediction = predictPrice([1, 2, 3, 13, 14, 15], 1, { ...SMALL, window: 3 });
    expect(prediction.components.slope).toBe(1);
    expect(prediction.components.rSquared).toBe(1);
    expect(prediction.components.windowPoints).toBe(3);
  });

  it('never predicts a negative price', () => {
    // y = 10, 5: b = −5, Eᶠ = 0.5·5 + 0.5·10 = 7.5; p̂ = 7.5 − 5·(10 + 1) = −47.5 → clamped to 0
    // two points fit exactly: R² = 1; coverage (2 − 1)/(50 − 1) = 1/49 = 0.0204
    const prediction = predictPrice([10, 5], 10, SMALL);
    expect(prediction).toMatchObject({ predictedPrice: 0, direction: 'down', confidence: 0.0204 });
  });

  it('rejects inputs the API would never pass', () => {
    expect(() => predictPrice([1])).toThrow(RangeError);
    expect(() => predictPrice([1, 2], 0)).toThrow(RangeError);
    expect(() => predictPrice([1, 0])).toThrow(RangeError);
    expect(() => predictPrice([1, 2], 1, { window: 1 })).toThrow(RangeError);
  });

  it('uses the documented defaults (fast span 5, slow span 20, window 50)', () => {
    // y = 1..60: the window holds 11..60, a perfect line → b = 1, R² = 1, coverage 49/49
    // span 5 → α = 1/3, lag steps 2; for a long linear run Eᶠ ≈ 60 − 2 = 58 → p̂ ≈ 58 + 1·(1 + 2) = 61
    const prices = Array.from({ length: 60 }, (_, index) => index + 1);
    const prediction = predictPrice(prices);
    expect(prediction.predictedPrice).toBeCloseTo(61, 6);
    expect(prediction.confidence).toBe(1);
    expect(prediction.direction).toBe('up');
  });
});

describe('predictPrice on arbitrary valid input', () => {
  it('always answers a finite, non-negative price and a confidence in 0..1', () => {
    // mulberry32: a seeded generator, so a failure reproduces.
    let seed = 20_261_121;
    const random = () => {
      seed = (seed + 0x6d2b79f5) | 0;
      let value = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      value = (value + Math.imul(value ^ (value >>> 7), 61 | value)) ^ value;
      return ((value ^ (value >>> 14)) >>> 0) / 4_294_967_296;
    };
    for (let run = 0; run < 500; run += 1) {
      const length = 2 + Math.floor(random() * 300);
      // magnitudes from 1e-8 to 1e12, the accepted range's extremes included
      const scale = 10 ** (-8 + Math.floor(random() * 21));
      const prices = Array.from({ length }, () => Math.min(1e12, Math.max(Number.MIN_VALUE, scale * (0.5 + random()))));
      const horizon = 1 + Math.floor(random() * 1000);
      const prediction = predictPrice(prices, horizon, { window: 2 + Math.floor(random() * 100) });
      expect(Number.isFinite(prediction.predictedPrice), JSON.stringify({ prices, horizon })).toBe(true);
      expect(prediction.predictedPrice).toBeGreaterThanOrEqual(0);
      expect(prediction.confidence).toBeGreaterThanOrEqual(0);
      expect(prediction.confidence).toBeLessThanOrEqual(1);
      expect(['up', 'down', 'flat']).toContain(prediction.direction);
    }
  });
});
