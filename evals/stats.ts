import { createRng } from "../lib/random.js";

/**
 * Uncertainty for the eval's figures. Samples are dialogues (resampling dialogues, not turns, keeps the turns of
 * one dialogue together: a cluster bootstrap for the pooled ratios).
 *
 * - mean and ratio metrics: percentile bootstrap, seeded (mulberry32 through lib/random), `resamples` resamples
 *   of the dialogues with replacement; the 95 % interval is the 2.5th and 97.5th percentiles (linear interpolation
 *   between order statistics, R's type 7).
 * - set metrics (distinct-n, opener diversity): the bootstrap does not work for them — a resample repeats ~37 % of
 *   the dialogues, and a repeated dialogue adds n-grams but no new unique n-gram, so every resample's distinct-n
 *   falls below the sample's and the percentile interval can miss the estimate altogether. They get a
 *   delete-one jackknife standard error and a normal interval, value ± 1.96 · se.
 * - comparisons where samples pair (the same dialogue id, i.e. the same seed, persona pair and speech event, under
 *   two variants): a paired bootstrap over the pairs for mean/ratio metrics — resample pair indices, recompute both
 *   variants' figures on the same resample, take the difference; interval = percentiles of the differences, and the
 *   two-sided p-value = 2 · min(share of differences ≤ 0, share ≥ 0), capped at 1 (the percentile-interval
 *   inversion: p < 0.05 exactly when the 95 % interval excludes 0). Set metrics: a paired jackknife (leave one pair
 *   out) and a z-test on the difference.
 */

export interface Interval {
  lo: number;
  hi: number;
}

export const DEFAULT_RESAMPLES = 1000;
export const DEFAULT_LEVEL = 0.95;

/** Quantile of sorted values, linear interpolation between order statistics (R type 7). */
export function quantile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) throw new RangeError("quantile of nothing");
  const h = (sorted.length - 1) * p;
  const lo = Math.floor(h);
  const hi = Math.ceil(h);
  return sorted[lo]! + (h - lo) * (sorted[hi]! - sorted[lo]!);
}

export type Statistic = (indices: readonly number[]) => number | null;

export interface BootstrapOptions {
  resamples?: number;
  seed: number;
  level?: number;
}

/** The statistic on `resamples` resamples (with replacement) of 0..n-1; null results (empty resamples) are dropped. */
export function bootstrapDistribution(n: number, statistic: Statistic, options: BootstrapOptions): number[] {
  const rng = createRng(options.seed);
  const out: number[] = [];
  const resamples = options.resamples ?? DEFAULT_RESAMPLES;
  const indices = new Array<number>(n);
  for (let b = 0; b < resamples; b++) {
    for (let i = 0; i < n; i++) indices[i] = rng.int(0, n - 1);
    const value = statistic(indices);
    if (value !== null && Number.isFinite(value)) out.push(value);
  }
  return out.sort((a, b) => a - b);
}

/** Percentile bootstrap interval; null below 2 samples or when most resamples have no value. */
export function bootstrapCI(n: number, statistic: Statistic, options: BootstrapOptions): Interval | null {
  if (n < 2) return null;
  const values = bootstrapDistribution(n, statistic, options);
  if (values.length < (options.resamples ?? DEFAULT_RESAMPLES) / 2) return null;
  const alpha = 1 - (options.level ?? DEFAULT_LEVEL);
  return { lo: quantile(values, alpha / 2), hi: quantile(values, 1 - alpha / 2) };
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

/** Delete-one jackknife standard error of the statistic; null below 2 samples. */
export function jackknifeSE(n: number, statistic: Statistic): number | null {
  if (n < 2) return null;
  const thetas: number[] = [];
  const all = range(n);
  for (let i = 0; i < n; i++) {
    const value = statistic(all.filter((j) => j !== i));
    if (value !== null && Number.isFinite(value)) thetas.push(value);
  }
  if (thetas.length < 2) return null;
  const m = thetas.length;
  const mean = thetas.reduce((a, b) => a + b, 0) / m;
  return Math.sqrt(((m - 1) / m) * thetas.reduce((s, t) => s + (t - mean) ** 2, 0));
}

export function jackknifeCI(n: number, statistic: Statistic, level = DEFAULT_LEVEL): Interval | null {
  const value = statistic(range(n));
  const se = jackknifeSE(n, statistic);
  if (value === null || se === null) return null;
  const z = normalQuantile(1 - (1 - level) / 2);
  return { lo: value - z * se, hi: value + z * se };
}

export interface PairedResult {
  /** the statistic's difference on all pairs (variant − reference) */
  diff: number | null;
  ci: Interval | null;
  /** two-sided */
  p: number | null;
  n: number;
  method: "paired bootstrap" | "paired jackknife z-test";
}

/** Paired bootstrap of a difference statistic over n pairs (see the module comment for the p-value). */
export function pairedBootstrap(n: number, difference: Statistic, options: BootstrapOptions): PairedResult {
  const diff = difference(range(n));
  const result: PairedResult = { diff, ci: null, p: null, n, method: "paired bootstrap" };
  if (n < 2 || diff === null) return result;
  const values = bootstrapDistribution(n, difference, options);
  if (values.length < (options.resamples ?? DEFAULT_RESAMPLES) / 2) return result;
  const alpha = 1 - (options.level ?? DEFAULT_LEVEL);
  result.ci = { lo: quantile(values, alpha / 2), hi: quantile(values, 1 - alpha / 2) };
  const below = values.filter((v) => v <= 0).length / values.length;
  const above = values.filter((v) => v >= 0).length / values.length;
  result.p = Math.min(1, 2 * Math.min(below, above));
  return result;
}

/** Paired jackknife of a difference statistic, with a two-sided z-test of "no difference". */
export function pairedJackknife(n: number, difference: Statistic, level = DEFAULT_LEVEL): PairedResult {
  const diff = difference(range(n));
  const result: PairedResult = { diff, ci: null, p: null, n, method: "paired jackknife z-test" };
  const se = jackknifeSE(n, difference);
  if (diff === null || se === null) return result;
  const z = normalQuantile(1 - (1 - level) / 2);
  result.ci = { lo: diff - z * se, hi: diff + z * se };
  result.p = se === 0 ? (diff === 0 ? 1 : 0) : 2 * (1 - normalCdf(Math.abs(diff / se)));
  return result;
}

/** Φ(x), from erf (Abramowitz & Stegun 7.1.26, |error| < 1.5e-7). */
export function normalCdf(x: number): number {
  const t = 1 / (1 + 0.3275911 * (Math.abs(x) / Math.SQRT2));
  const poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  const erf = 1 - poly * Math.exp(-(x * x) / 2);
  return x >= 0 ? (1 + erf) / 2 : (1 - erf) / 2;
}

/** Φ⁻¹(p) (Acklam's rational approximation, relative error < 1.2e-9). */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) throw new RangeError(`normalQuantile needs 0 < p < 1, got ${p}`);
  const a = [
    -3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1,
    2.506628277459239,
  ];
  const b = [
    -5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1,
  ];
  const c = [
    -7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968,
    2.938163982698783,
  ];
  const d = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];
  const low = 0.02425;
  if (p < low) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (
      (((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) /
      ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1)
    );
  }
  if (p > 1 - low) return -normalQuantile(1 - p);
  const q = p - 0.5;
  const r = q * q;
  return (
    ((((((a[0]! * r + a[1]!) * r + a[2]!) * r + a[3]!) * r + a[4]!) * r + a[5]!) * q) /
    (((((b[0]! * r + b[1]!) * r + b[2]!) * r + b[3]!) * r + b[4]!) * r + 1)
  );
}
