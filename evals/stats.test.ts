import { describe, expect, it } from "vitest";
import {
  bootstrapCI,
  jackknifeCI,
  jackknifeSE,
  normalCdf,
  normalQuantile,
  pairedBootstrap,
  pairedJackknife,
  quantile,
} from "./stats.js";

const meanAt = (xs: readonly number[]) => (idx: readonly number[]) =>
  idx.length ? idx.reduce((s, i) => s + xs[i]!, 0) / idx.length : null;

describe("bootstrap", () => {
  const xs = Array.from({ length: 100 }, (_, i) => i);

  it("is deterministic for a seed, and differs across seeds", () => {
    const a = bootstrapCI(xs.length, meanAt(xs), { seed: 42, resamples: 1000 });
    const b = bootstrapCI(xs.length, meanAt(xs), { seed: 42, resamples: 1000 });
    const c = bootstrapCI(xs.length, meanAt(xs), { seed: 43, resamples: 1000 });
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
  });

  it("brackets the mean of 0..99 about ±1.96 standard errors (se = 29.01/√100 ≈ 2.9)", () => {
    const ci = bootstrapCI(xs.length, meanAt(xs), { seed: 1, resamples: 2000 })!;
    expect(ci.lo).toBeGreaterThan(49.5 - 1.96 * 2.9 - 1.2);
    expect(ci.lo).toBeLessThan(49.5 - 1.96 * 2.9 + 1.2);
    expect(ci.hi).toBeGreaterThan(49.5 + 1.96 * 2.9 - 1.2);
    expect(ci.hi).toBeLessThan(49.5 + 1.96 * 2.9 + 1.2);
  });

  it("collapses on constant data and refuses fewer than two samples", () => {
    expect(bootstrapCI(5, meanAt([3, 3, 3, 3, 3]), { seed: 1 })).toEqual({ lo: 3, hi: 3 });
    expect(bootstrapCI(1, meanAt([3]), { seed: 1 })).toBeNull();
  });

  it("takes percentiles with linear interpolation (R type 7)", () => {
    expect(quantile([1, 2, 3, 4], 0.5)).toBe(2.5);
    expect(quantile([10, 20, 30, 40, 50], 0.025)).toBe(11);
  });
});

describe("jackknife", () => {
  it("gives the textbook standard error s/√n for a mean", () => {
    const xs = [2, 4, 4, 4, 5, 5, 7, 9];
    const n = xs.length;
    const m = xs.reduce((a, b) => a + b, 0) / n;
    const s = Math.sqrt(xs.reduce((a, x) => a + (x - m) ** 2, 0) / (n - 1));
    expect(jackknifeSE(n, meanAt(xs))).toBeCloseTo(s / Math.sqrt(n), 12);
    const ci = jackknifeCI(n, meanAt(xs))!;
    expect(ci.lo).toBeCloseTo(m - 1.959963985 * (s / Math.sqrt(n)), 6);
  });
});

describe("paired tests", () => {
  const base = [3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8, 9, 7, 9, 3, 2, 3, 8, 4];

  it("a variant better on every pair by exactly 1: Δ = 1, interval [1, 1], p below 1/B", () => {
    const better = base.map((x) => x + 1);
    const diff = (idx: readonly number[]) => meanAt(better)(idx)! - meanAt(base)(idx)!;
    const result = pairedBootstrap(base.length, diff, { seed: 7, resamples: 1000 });
    expect(result.diff).toBeCloseTo(1, 12);
    expect(result.ci!.lo).toBeCloseTo(1, 12);
    expect(result.ci!.hi).toBeCloseTo(1, 12);
    expect(result.p).toBe(0);
    expect(result.n).toBe(20);
  });

  it("differences that cancel (+1, −1, …): Δ = 0 and p near 1", () => {
    const other = base.map((x, i) => (i % 2 === 0 ? x + 1 : x - 1));
    const diff = (idx: readonly number[]) => meanAt(other)(idx)! - meanAt(base)(idx)!;
    const result = pairedBootstrap(base.length, diff, { seed: 7, resamples: 1000 });
    expect(result.diff).toBe(0);
    expect(result.p).toBeGreaterThan(0.8);
    expect(result.ci!.lo).toBeLessThan(0);
    expect(result.ci!.hi).toBeGreaterThan(0);
  });

  it("p < 0.05 exactly when the 95 % interval excludes 0 (percentile inversion)", () => {
    for (const shift of [0.1, 0.3, 0.5, 0.8, 1.2]) {
      const noisy = base.map((x, i) => x + shift + (i % 3 === 0 ? -1.5 : 0.7));
      const diff = (idx: readonly number[]) => meanAt(noisy)(idx)! - meanAt(base)(idx)!;
      const r = pairedBootstrap(base.length, diff, { seed: 3, resamples: 1000 });
      expect(r.p! < 0.05).toBe(r.ci!.lo > 0 || r.ci!.hi < 0);
    }
  });

  it("paired jackknife z-test: a constant shift is certain, a mean-zero difference is not", () => {
    const shifted = base.map((x) => x + 2);
    const diff = (idx: readonly number[]) => meanAt(shifted)(idx)! - meanAt(base)(idx)!;
    expect(pairedJackknife(base.length, diff).p).toBe(0);
    const other = base.map((x, i) => (i % 2 === 0 ? x + 1 : x - 1));
    const zero = (idx: readonly number[]) => meanAt(other)(idx)! - meanAt(base)(idx)!;
    expect(pairedJackknife(base.length, zero).p).toBeCloseTo(1, 6);
  });

  it("uses an accurate normal distribution", () => {
    expect(normalCdf(1.959963985)).toBeCloseTo(0.975, 6);
    expect(normalCdf(0)).toBeCloseTo(0.5, 7);
    expect(normalQuantile(0.975)).toBeCloseTo(1.959963985, 7);
    expect(normalQuantile(0.01)).toBeCloseTo(-2.326347874, 7);
  });
});
