import { hashSeed } from "../lib/random.js";
import { aggregate, inScope, type Metric, type Scored } from "./metrics.js";
import {
  bootstrapCI,
  DEFAULT_LEVEL,
  DEFAULT_RESAMPLES,
  type Interval,
  jackknifeCI,
  pairedBootstrap,
  pairedJackknife,
  type PairedResult,
} from "./stats.js";

/** Each metric per variant × language, with its interval, and each variant against the reference variant. */

export interface MetricEstimate {
  value: number | null;
  ci: Interval | null;
  /** dialogues the metric looked at */
  n: number;
  method: "bootstrap percentile" | "jackknife normal" | "none";
  /** why there is no value */
  note?: string;
}

export interface GroupResult {
  variant: string;
  language: string;
  counts: {
    dialogues: number;
    accepted: number;
    rejected: number;
    scored: number;
    judged: number;
    judge_failures: number;
  };
  /** rejection reasons by check, over the group's rejected dialogues */
  rejections: Record<string, number>;
  metrics: Record<string, MetricEstimate>;
}

export interface Comparison extends PairedResult {
  language: string;
  variant: string;
  reference: string;
  metric: string;
}

export interface SummaryOptions {
  variants: readonly string[];
  languages: readonly string[];
  metrics: readonly Metric[];
  seed: number;
  resamples?: number;
  level?: number;
  /** a judge model was given (else judge metrics say "not measured") */
  judged: boolean;
}

function statistic(metric: Metric, items: readonly Scored[]) {
  return (indices: readonly number[]) =>
    aggregate(
      metric,
      indices.map((i) => items[i]!),
    );
}

function whyMissing(metric: Metric, n: number, judged: boolean): string {
  if (n === 0) return metric.scope === "scored" ? "no dialogue to score (none accepted)" : "no dialogue";
  if (metric.judge && !judged) return "not measured: no judge model (--judge-model)";
  return `not measured: ${metric.notApplicable ?? "no value"}`;
}

export function estimate(
  metric: Metric,
  items: readonly Scored[],
  options: { seed: number; resamples?: number; level?: number; judged: boolean },
): MetricEstimate {
  const n = items.length;
  const value = n ? aggregate(metric, items) : null;
  if (value === null) return { value: null, ci: null, n, method: "none", note: whyMissing(metric, n, options.judged) };
  const stat = statistic(metric, items);
  if (metric.kind === "set")
    return { value, ci: jackknifeCI(n, stat, options.level ?? DEFAULT_LEVEL), n, method: "jackknife normal" };
  const ci = bootstrapCI(n, stat, {
    seed: options.seed,
    resamples: options.resamples ?? DEFAULT_RESAMPLES,
    level: options.level ?? DEFAULT_LEVEL,
  });
  return { value, ci, n, method: "bootstrap percentile" };
}

/** The pairs (same id) of two variants' in-scope dialogues, aligned. */
export function pairUp(a: readonly Scored[], b: readonly Scored[]): { a: Scored[]; b: Scored[] } {
  const byId = new Map(b.map((item) => [item.figures.id, item]));
  const out = { a: [] as Scored[], b: [] as Scored[] };
  for (const item of a) {
    const other = byId.get(item.figures.id);
    if (other) {
      out.a.push(item);
      out.b.push(other);
    }
  }
  return out;
}

export function compare(
  metric: Metric,
  variant: readonly Scored[],
  reference: readonly Scored[],
  options: { seed: number; resamples?: number; level?: number },
): PairedResult {
  const pairs = pairUp(variant, reference);
  const n = pairs.a.length;
  const difference = (indices: readonly number[]) => {
    const x = aggregate(
      metric,
      indices.map((i) => pairs.a[i]!),
    );
    const y = aggregate(
      metric,
      indices.map((i) => pairs.b[i]!),
    );
    return x === null || y === null ? null : x - y;
  };
  if (metric.kind === "set") return pairedJackknife(n, difference, options.level ?? DEFAULT_LEVEL);
  return pairedBootstrap(n, difference, {
    seed: options.seed,
    resamples: options.resamples ?? DEFAULT_RESAMPLES,
    level: options.level ?? DEFAULT_LEVEL,
  });
}

export function summarizeScores(
  items: readonly Scored[],
  options: SummaryOptions,
): { groups: GroupResult[]; comparisons: Comparison[] } {
  const groups: GroupResult[] = [];
  const comparisons: Comparison[] = [];
  const of = (variant: string, language: string) =>
    items.filter((i) => i.figures.variant === variant && i.figures.language === language);
  for (const language of options.languages) {
    for (const variant of options.variants) {
      const group = of(variant, language);
      const rejections: Record<string, number> = {};
      for (const item of group)
        for (const check of new Set(item.figures.rejection_checks)) rejections[check] = (rejections[check] ?? 0) + 1;
      const metrics: Record<string, MetricEstimate> = {};
      for (const metric of options.metrics) {
        metrics[metric.key] = estimate(metric, inScope(metric, group), {
          ...options,
          seed: hashSeed(options.seed, "ci", metric.key, variant, language),
        });
      }
      groups.push({
        variant,
        language,
        counts: {
          dialogues: group.length,
          accepted: group.filter((i) => i.figures.status === "accepted").length,
          rejected: group.filter((i) => i.figures.status === "rejected").length,
          scored: group.filter((i) => i.figures.scored).length,
          judged: group.filter((i) => i.figures.judge !== null).length,
          judge_failures: group.reduce((n, i) => n + (i.figures.judge?.failures.length ?? 0), 0),
        },
        rejections,
        metrics,
      });
    }
    const [reference, ...others] = options.variants;
    if (reference === undefined) continue;
    for (const variant of others) {
      for (const metric of options.metrics) {
        const result = compare(
          metric,
          inScope(metric, of(variant, language)),
          inScope(metric, of(reference, language)),
          {
            ...options,
            seed: hashSeed(options.seed, "paired", metric.key, variant, reference, language),
          },
        );
        comparisons.push({ ...result, language, variant, reference, metric: metric.key });
      }
    }
  }
  return { groups, comparisons };
}
