import { existsSync, readFileSync } from "node:fs";
import { extname } from "node:path";
import { UsageError } from "../app/cli/errors.js";
import { formatZodError } from "../lib/records/schema.js";
import { krippendorffAlpha, spearman } from "./agreement.js";
import type { EvalDialogue } from "./dialogues.js";
import type { DialogueFigures } from "./metrics.js";
import { CRITERIA, type Criterion, type HumanRating, HumanRatingSchema } from "./review/study.js";
import { bootstrapCI, DEFAULT_LEVEL, DEFAULT_RESAMPLES, type Interval } from "./stats.js";

/**
 * The human side of the eval (`npm run eval -- --dataset FILE --reviews REVIEWS`): native speakers' ratings from
 * `npm run review`, summarised per variant × language, their agreement with one another, and the agreement of the
 * self-critique and the eval's LLM judge with them.
 *
 * - Human score of a dialogue on a criterion: the mean of its annotators' scores; per variant × language, the mean
 *   over dialogues with a 95 % percentile bootstrap interval over dialogues.
 * - Inter-annotator agreement: Krippendorff's α, ordinal, per criterion (units = dialogues, values = annotators'
 *   scores); nominal α for the verdict.
 * - Judge–human agreement: Spearman's ρ between a judge's score and the human mean score of the same dialogues,
 *   per criterion, with a bootstrap interval: the self-critique's three scores (from the records) and the eval
 *   judge's persona grounding and naturalness (when a judge ran). And the self-critique's pass/fail (verdict
 *   "accept" with no score below 3, the graph's own rule) against the annotators' majority verdict.
 */

export { type HumanRating, HumanRatingSchema } from "./review/study.js";

/** Reads ratings: the review database (.sqlite/.db) or its JSONL export. */
export async function readReviews(path: string): Promise<HumanRating[]> {
  if (!existsSync(path)) throw new UsageError(`--reviews ${path} does not exist`);
  const ext = extname(path).toLowerCase();
  if (ext === ".sqlite" || ext === ".db") {
    const { ReviewStore } = await import("./review/store.js");
    const { ratingFromKey } = await import("./review/export.js");
    const store = await ReviewStore.open(path, { readOnly: true });
    try {
      return store.currentRatings().map(ratingFromKey);
    } finally {
      store.close();
    }
  }
  if (ext !== ".jsonl")
    throw new UsageError(`--reviews takes the review database (.sqlite) or its JSONL export (.jsonl), not ${path}`);
  return readFileSync(path, "utf8")
    .split("\n")
    .filter((line) => line.trim())
    .map((line, i) => {
      let json: unknown;
      try {
        json = JSON.parse(line);
      } catch {
        throw new UsageError(`${path} line ${i + 1} is not JSON`);
      }
      const parsed = HumanRatingSchema.safeParse(json);
      if (!parsed.success)
        throw new UsageError(`${path} line ${i + 1} is not a rating: ${formatZodError(parsed.error)}`);
      return parsed.data;
    });
}

export interface Estimate {
  value: number | null;
  ci: Interval | null;
  n: number;
}

export interface HumanGroup {
  variant: string;
  language: string;
  dialogues: number;
  ratings: number;
  scores: Record<Criterion, Estimate>;
  /** share of dialogues whose annotators' majority verdict is accept (ties count half) */
  accept_share: Estimate;
}

export interface Confusion {
  /** rows: the self-critique passed (accept) or failed (revise); columns: the annotators' majority */
  accept: { accept: number; revise: number; tie: number };
  revise: { accept: number; revise: number; tie: number };
  /** share of dialogues without a tie where the two agree; null without any */
  agreement: number | null;
}

export interface HumanResults {
  source: string;
  annotators: number;
  ratings: number;
  dialogues: number;
  /** ratings of dialogues that are not in the dataset (left out) */
  unmatched: number;
  groups: HumanGroup[];
  inter_annotator: {
    criterion: Criterion | "verdict";
    level: "ordinal" | "nominal";
    alpha: number | null;
    units: number;
  }[];
  judge_agreement: {
    judge: "self-critique" | "eval judge";
    criterion: Criterion;
    rho: number | null;
    ci: Interval | null;
    n: number;
  }[];
  critique_confusion: Confusion;
}

interface Rated {
  dialogue: EvalDialogue;
  figures: DialogueFigures | undefined;
  ratings: HumanRating[];
}

const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const keyOf = (variant: string, id: string) => `${variant}\u0000${id}`;

function majority(ratings: readonly HumanRating[]): "accept" | "revise" | "tie" {
  const accepts = ratings.filter((r) => r.verdict === "accept").length;
  const revises = ratings.length - accepts;
  return accepts > revises ? "accept" : revises > accepts ? "revise" : "tie";
}

/** The self-critique passed: verdict accept and no score below 3 (the graph's rule). */
function critiquePassed(critique: NonNullable<EvalDialogue["critique"]>): boolean {
  return critique.verdict === "accept" && CRITERIA.every((c) => critique[c] >= 3);
}

export function humanResults(
  ratings: readonly HumanRating[],
  dialogues: readonly EvalDialogue[],
  figures: readonly DialogueFigures[],
  options: { source: string; seed: number; resamples?: number; level?: number },
): HumanResults {
  const boot = {
    seed: options.seed,
    resamples: options.resamples ?? DEFAULT_RESAMPLES,
    level: options.level ?? DEFAULT_LEVEL,
  };
  const byKey = new Map(dialogues.map((d) => [keyOf(d.variant, d.id), d] as const));
  const figuresByKey = new Map(figures.map((f) => [keyOf(f.variant, f.id), f] as const));
  const rated = new Map<string, Rated>();
  let unmatched = 0;
  for (const rating of ratings) {
    const key = keyOf(rating.variant, rating.id);
    const dialogue = byKey.get(key);
    if (!dialogue) {
      unmatched++;
      continue;
    }
    const entry = rated.get(key) ?? { dialogue, figures: figuresByKey.get(key), ratings: [] };
    entry.ratings.push(rating);
    rated.set(key, entry);
  }
  const all = [...rated.values()];
  const humanMean = (r: Rated, c: Criterion) => mean(r.ratings.map((x) => x[c]));

  const estimateOf = (values: readonly number[]): Estimate => ({
    value: values.length ? mean(values) : null,
    ci: values.length ? bootstrapCI(values.length, (idx) => mean(idx.map((i) => values[i]!)), boot) : null,
    n: values.length,
  });

  const groups: HumanGroup[] = [];
  const pairs = [...new Set(all.map((r) => `${r.dialogue.variant}\u0000${r.dialogue.language}`))].sort();
  for (const pair of pairs) {
    const [variant, language] = pair.split("\u0000") as [string, string];
    const members = all.filter((r) => r.dialogue.variant === variant && r.dialogue.language === language);
    const scores = Object.fromEntries(
      CRITERIA.map((c) => [c, estimateOf(members.map((r) => humanMean(r, c)))]),
    ) as Record<Criterion, Estimate>;
    const acceptValues = members.map((r) => ({ accept: 1, revise: 0, tie: 0.5 })[majority(r.ratings)]);
    groups.push({
      variant,
      language,
      dialogues: members.length,
      ratings: members.reduce((n, r) => n + r.ratings.length, 0),
      scores,
      accept_share: estimateOf(acceptValues),
    });
  }

  const interAnnotator: HumanResults["inter_annotator"] = [
    ...CRITERIA.map((criterion) => {
      const units = all.map((r) => r.ratings.map((x) => x[criterion]));
      return {
        criterion,
        level: "ordinal" as const,
        alpha: krippendorffAlpha(units, "ordinal"),
        units: units.filter((u) => u.length >= 2).length,
      };
    }),
    (() => {
      const units = all.map((r) => r.ratings.map((x) => (x.verdict === "accept" ? 1 : 0)));
      return {
        criterion: "verdict" as const,
        level: "nominal" as const,
        alpha: krippendorffAlpha(units, "nominal"),
        units: units.filter((u) => u.length >= 2).length,
      };
    })(),
  ];

  const rho = (
    judge: "self-critique" | "eval judge",
    criterion: Criterion,
    judgeScore: (r: Rated) => number | null | undefined,
  ) => {
    const xs: number[] = [];
    const ys: number[] = [];
    for (const r of all) {
      const score = judgeScore(r);
      if (score === null || score === undefined) continue;
      xs.push(score);
      ys.push(humanMean(r, criterion));
    }
    const value = spearman(xs, ys);
    const ci =
      value === null
        ? null
        : bootstrapCI(
            xs.length,
            (idx) =>
              spearman(
                idx.map((i) => xs[i]!),
                idx.map((i) => ys[i]!),
              ),
            boot,
          );
    return { judge, criterion, rho: value, ci, n: xs.length };
  };
  const judgeAgreement: HumanResults["judge_agreement"] = [
    ...CRITERIA.map((c) => rho("self-critique", c, (r) => r.dialogue.critique?.[c])),
    rho("eval judge", "persona_faithfulness", (r) => r.figures?.judge?.persona_grounding),
    rho("eval judge", "naturalness", (r) => r.figures?.judge?.naturalness),
  ].filter((row) => row.n > 0);

  const confusion: Confusion = {
    accept: { accept: 0, revise: 0, tie: 0 },
    revise: { accept: 0, revise: 0, tie: 0 },
    agreement: null,
  };
  for (const r of all) {
    if (!r.dialogue.critique) continue;
    confusion[critiquePassed(r.dialogue.critique) ? "accept" : "revise"][majority(r.ratings)]++;
  }
  const decided = confusion.accept.accept + confusion.accept.revise + confusion.revise.accept + confusion.revise.revise;
  confusion.agreement = decided ? (confusion.accept.accept + confusion.revise.revise) / decided : null;

  return {
    source: options.source,
    annotators: new Set(ratings.map((r) => r.annotator)).size,
    ratings: ratings.length - unmatched,
    dialogues: all.length,
    unmatched,
    groups,
    inter_annotator: interAnnotator,
    judge_agreement: judgeAgreement,
    critique_confusion: confusion,
  };
}

// ── report sections ────────────────────────────────────────────────────────────────────────────────

const LABELS: Record<Criterion | "verdict", string> = {
  persona_faithfulness: "persona faithfulness",
  speech_event_fit: "speech-event fit",
  naturalness: "naturalness",
  verdict: "verdict (accept / revise)",
};
const f2 = (x: number | null) => (x === null ? "n/a" : x.toFixed(2));
const f3 = (x: number | null) => (x === null ? "n/a" : x.toFixed(3));
const interval = (ci: Interval | null, digits = 2) =>
  ci ? ` [${ci.lo.toFixed(digits)}, ${ci.hi.toFixed(digits)}]` : "";
const estimateText = (e: Estimate) => `${f2(e.value)}${interval(e.ci)} (n=${e.n})`;

/** The tables of the human evaluation, as rows of cells: shared by the Markdown and HTML reports. */
export function humanTables(h: HumanResults): { title: string; head: string[]; rows: string[][] }[] {
  return [
    {
      title:
        "Human scores (mean of the annotators' 1–5 scores per dialogue, mean over dialogues, 95 % bootstrap interval)",
      head: ["variant", "language", "dialogues", "ratings", ...CRITERIA.map((c) => LABELS[c]), "accepted by majority"],
      rows: h.groups.map((g) => [
        g.variant,
        g.language,
        String(g.dialogues),
        String(g.ratings),
        ...CRITERIA.map((c) => estimateText(g.scores[c])),
        estimateText(g.accept_share),
      ]),
    },
    {
      title: "Inter-annotator agreement (Krippendorff's α)",
      head: ["criterion", "level", "α", "dialogues with ≥ 2 ratings"],
      rows: h.inter_annotator.map((a) => [LABELS[a.criterion], a.level, f3(a.alpha), String(a.units)]),
    },
    {
      title: "Judge–human agreement (Spearman's ρ with the annotators' mean score, 95 % bootstrap interval)",
      head: ["judge", "criterion", "ρ", "dialogues"],
      rows: h.judge_agreement.map((j) => [
        j.judge,
        LABELS[j.criterion],
        `${f3(j.rho)}${interval(j.ci, 3)}`,
        String(j.n),
      ]),
    },
    {
      title: `Self-critique against the annotators' majority verdict (agreement ${f3(h.critique_confusion.agreement)}, ties left out)`,
      head: ["self-critique", "majority accept", "majority revise", "tie"],
      rows: (["accept", "revise"] as const).map((row) => [
        row === "accept" ? "passed (accept)" : "failed (revise)",
        ...(["accept", "revise", "tie"] as const).map((col) => String(h.critique_confusion[row][col])),
      ]),
    },
  ];
}

export function humanSummaryLine(h: HumanResults): string {
  return `Human evaluation: ${h.ratings} ratings by ${h.annotators} annotators of ${h.dialogues} dialogues, from \`${h.source}\`${h.unmatched ? ` (${h.unmatched} ratings of dialogues not in the dataset left out)` : ""}.`;
}
