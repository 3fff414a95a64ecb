/**
 * Agreement statistics for the human evaluation: Krippendorff's α (inter-annotator agreement) and Spearman's ρ
 * (judge–human agreement).
 *
 * Krippendorff's α (Krippendorff 2011, "Computing Krippendorff's Alpha-Reliability"): units are the rated items
 * (dialogues), each with the values its annotators gave; a unit with fewer than two values is not pairable and is
 * left out. From the pairable values, the coincidence matrix o_ck = Σ_u (number of ordered pairs (c, k) of
 * values of unit u from different annotators) / (m_u − 1), with n_c = Σ_k o_ck and n = Σ_c n_c. Then
 *
 *   α = 1 − (n − 1) · Σ_{c,k} o_ck δ²_ck / Σ_{c,k} n_c n_k δ²_ck
 *
 * with the metric δ² of the level of measurement: nominal [c ≠ k]; interval (c − k)²; ordinal
 * (Σ_{g=c..k} n_g − (n_c + n_k) / 2)², summed over the values between c and k in rank order (values no one
 * gave have n_g = 0, so the observed values suffice). α = 1 is perfect agreement, 0 is chance; it is undefined
 * (null) when fewer than two values are pairable or every pairable value is the same (no expected disagreement).
 */

export type Level = "nominal" | "ordinal" | "interval";

/** One unit: the values its annotators gave (missing ones left out). */
export type Unit = readonly number[];

export function krippendorffAlpha(units: readonly Unit[], level: Level): number | null {
  const pairable = units.filter((u) => u.length >= 2);
  const values = [...new Set(pairable.flat())].sort((a, b) => a - b);
  if (values.length === 0) return null;
  const index = new Map(values.map((v, i) => [v, i] as const));
  const size = values.length;
  const o: number[][] = values.map(() => new Array<number>(size).fill(0));
  for (const unit of pairable) {
    const m = unit.length;
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < m; j++) {
        if (i === j) continue;
        o[index.get(unit[i]!)!]![index.get(unit[j]!)!]! += 1 / (m - 1);
      }
    }
  }
  const nc = o.map((row) => row.reduce((a, b) => a + b, 0));
  const n = nc.reduce((a, b) => a + b, 0);
  const delta = (c: number, k: number): number => {
    if (c === k) return 0;
    if (level === "nominal") return 1;
    if (level === "interval") return (values[c]! - values[k]!) ** 2;
    const [lo, hi] = c < k ? [c, k] : [k, c];
    let sum = 0;
    for (let g = lo; g <= hi; g++) sum += nc[g]!;
    return (sum - (nc[c]! + nc[k]!) / 2) ** 2;
  };
  let observed = 0;
  let expected = 0;
  for (let c = 0; c < size; c++) {
    for (let k = 0; k < size; k++) {
      const d = delta(c, k);
      observed += o[c]![k]! * d;
      expected += nc[c]! * nc[k]! * d;
    }
  }
  if (expected === 0) return null;
  return 1 - ((n - 1) * observed) / expected;
}

/** Ranks 1..n, ties given the mean of the ranks they span. */
export function averageRanks(xs: readonly number[]): number[] {
  const order = xs.map((x, i) => [x, i] as const).sort((a, b) => a[0] - b[0]);
  const ranks = new Array<number>(xs.length);
  let i = 0;
  while (i < order.length) {
    let j = i;
    while (j + 1 < order.length && order[j + 1]![0] === order[i]![0]) j++;
    const rank = (i + j) / 2 + 1;
    for (let t = i; t <= j; t++) ranks[order[t]![1]] = rank;
    i = j + 1;
  }
  return ranks;
}

function pearson(xs: readonly number[], ys: readonly number[]): number | null {
  const n = xs.length;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    sxy += (xs[i]! - mx) * (ys[i]! - my);
    sxx += (xs[i]! - mx) ** 2;
    syy += (ys[i]! - my) ** 2;
  }
  if (sxx === 0 || syy === 0) return null;
  return sxy / Math.sqrt(sxx * syy);
}

/** Spearman's ρ: the Pearson correlation of the average ranks; null under 3 pairs or when one side is constant. */
export function spearman(xs: readonly number[], ys: readonly number[]): number | null {
  if (xs.length !== ys.length) throw new RangeError("spearman: the two samples differ in length");
  if (xs.length < 3) return null;
  return pearson(averageRanks(xs), averageRanks(ys));
}
