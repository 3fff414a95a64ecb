import { dialogueGateFailures } from "../lib/gates/index.js";
import { loadSpeechEvents } from "../lib/speech-events.js";
import type { EvalDialogue } from "./dialogues.js";
import type { JudgeScores } from "./judges.js";
import { contentTokens, ngrams, wordTokens } from "./tokens.js";

/**
 * Per-dialogue figures and the metrics aggregated from them, per variant × language.
 *
 * Three kinds of metric, which decide how a group's value and its uncertainty are computed (evals/stats.ts):
 *   mean   the mean of a per-dialogue value over the dialogues that have one (nulls skipped);
 *   ratio  Σ numerator ÷ Σ denominator over the dialogues (pooled: e.g. turns in the target language ÷ turns);
 *   set    a function of the whole set that does not decompose per dialogue (distinct-n, opener diversity).
 * Scope: "all" metrics look at every generated record (acceptance, tokens, cost); "scored" metrics at the scored
 * dialogues — the accepted ones (the dataset a run produces), or every dialogue with turns under --score-rejected.
 */

export const OPENER_TOKENS = 3;

export interface DialogueFigures {
  id: string;
  variant: string;
  language: string;
  status: "accepted" | "rejected";
  /** in the scored set (accepted, or with turns under --score-rejected) */
  scored: boolean;
  rejection_checks: string[];
  turns: number;
  /** word tokens over all turns */
  tokens: number;
  /** turns the `language` gate rejects (not in the target language) */
  language_failures: number;
  /** turns the `code_switching` gate rejects */
  code_switching_turns: number;
  /** the first OPENER_TOKENS tokens of the first turn, space-joined; null when it has no token */
  opener: string | null;
  persona_token_recall: number | null;
  persona_fact_coverage: number | null;
  common_ground_recall: number | null;
  /** a session of a series (1-based); null for a single dialogue */
  session: number | null;
  /** later sessions of a series: the memory facts' content tokens (names excluded) found in the session's turns */
  memory_token_recall: number | null;
  /** gold speech event (the planned one); null when the data has none */
  speech_event: string | null;
  /** generation tokens (all calls, failed ones included); null when unknown */
  input_tokens: number | null;
  output_tokens: number | null;
  /** null: not judged (no judge model, or not scored) */
  judge: JudgeScores | null;
}

export interface Scored {
  figures: DialogueFigures;
  /** word tokens of each turn (for the set metrics; not written out) */
  tokensByTurn: string[][];
}

/** Share of `facts`' content tokens that occur in `tokens`, and share of facts with at least one such token. */
function overlap(
  facts: readonly string[],
  tokens: ReadonlySet<string>,
  lang: string,
): { recall: number | null; coverage: number | null } {
  const all = new Set<string>();
  let withContent = 0;
  let covered = 0;
  for (const fact of facts) {
    const content = contentTokens(fact, lang);
    if (content.size === 0) continue;
    withContent++;
    let hit = false;
    for (const t of content) {
      all.add(t);
      if (tokens.has(t)) hit = true;
    }
    if (hit) covered++;
  }
  if (all.size === 0) return { recall: null, coverage: null };
  let found = 0;
  for (const t of all) if (tokens.has(t)) found++;
  return { recall: found / all.size, coverage: covered / withContent };
}

/**
 * Memory use by rule: of the distinct content tokens of the facts a later session's speakers took from the earlier
 * sessions, the share that occurs in the session's turns (either speaker's: B asking about A's trip uses A's fact).
 * The speakers' names are not content: every fact about the partner names them, and they are said in any session.
 */
export function memoryRecall(
  facts: readonly string[],
  names: { A: string; B: string },
  tokens: ReadonlySet<string>,
  lang: string,
): number | null {
  const nameTokens = new Set([...wordTokens(names.A, lang), ...wordTokens(names.B, lang)]);
  const content = new Set<string>();
  for (const fact of facts) for (const t of contentTokens(fact, lang)) if (!nameTokens.has(t)) content.add(t);
  if (content.size === 0) return null;
  let found = 0;
  for (const t of content) if (tokens.has(t)) found++;
  return found / content.size;
}

const meanOf = (xs: (number | null)[]): number | null => {
  const v = xs.filter((x): x is number => x !== null);
  return v.length ? v.reduce((a, b) => a + b, 0) / v.length : null;
};

/** The deterministic figures of one dialogue (no model calls); `judge` is added by the caller. */
export function scoreDialogue(
  d: EvalDialogue,
  options: { scoreRejected?: boolean; judge?: JudgeScores | null } = {},
): Scored {
  const lang = d.language;
  const scored = d.turns.length > 0 && (d.status === "accepted" || options.scoreRejected === true);
  const tokensByTurn = d.turns.map((t) => wordTokens(t.text, lang));
  let languageFailures = 0;
  let codeSwitching = 0;
  if (scored) {
    const failures = dialogueGateFailures(d.turns, { lang, checks: ["language", "code_switching"] });
    languageFailures = new Set(failures.filter((f) => f.check === "language").map((f) => f.turn)).size;
    codeSwitching = new Set(failures.filter((f) => f.check === "code_switching").map((f) => f.turn)).size;
  }
  const first = tokensByTurn[0] ?? [];
  const speakerTokens = (speaker: string) =>
    new Set(tokensByTurn.flatMap((tokens, i) => (d.turns[i]!.speaker === speaker ? tokens : [])));
  const persona = (["A", "B"] as const)
    .map((s) => (d.personas[s]?.length ? overlap(d.personas[s], speakerTokens(s), lang) : null))
    .filter((x) => x !== null);
  const cg = d.commonGround ? overlap([d.commonGround], new Set(tokensByTurn.flat()), lang) : null;
  const memory = d.history ? memoryRecall(d.history.facts, d.history.names, new Set(tokensByTurn.flat()), lang) : null;
  return {
    tokensByTurn,
    figures: {
      id: d.id,
      variant: d.variant,
      language: lang,
      status: d.status,
      scored,
      rejection_checks: d.rejectionChecks,
      turns: d.turns.length,
      tokens: tokensByTurn.reduce((n, t) => n + t.length, 0),
      language_failures: languageFailures,
      code_switching_turns: codeSwitching,
      opener: first.length ? first.slice(0, OPENER_TOKENS).join(" ") : null,
      persona_token_recall: meanOf(persona.map((p) => p.recall)),
      persona_fact_coverage: meanOf(persona.map((p) => p.coverage)),
      common_ground_recall: cg?.recall ?? null,
      session: d.session ?? null,
      memory_token_recall: memory,
      speech_event: d.speechEvent?.id ?? null,
      input_tokens: d.usage?.input_tokens ?? null,
      output_tokens: d.usage?.output_tokens ?? null,
      judge: options.judge ?? null,
    },
  };
}

// ── set metrics ─────────────────────────────────────────────────────────────────────────────────────

/** distinct-n over all turns of the set: unique n-grams ÷ n-grams (n-grams never cross turns); null without any. */
export function distinctN(turns: readonly (readonly string[])[], n: number): number | null {
  const unique = new Set<string>();
  let total = 0;
  for (const tokens of turns) {
    for (const gram of ngrams(tokens, n)) {
      unique.add(gram);
      total++;
    }
  }
  return total === 0 ? null : unique.size / total;
}

/** Distinct openers ÷ dialogues that have one (opener: the first OPENER_TOKENS word tokens of the first turn). */
export function openerDiversity(openers: readonly (string | null)[]): number | null {
  const present = openers.filter((o): o is string => o !== null);
  return present.length ? new Set(present).size / present.length : null;
}

// ── the metric table ────────────────────────────────────────────────────────────────────────────────

export type MetricKind = "mean" | "ratio" | "set";
export type MetricUnit = "share" | "score" | "tokens" | "turns" | "usd";

export interface Metric {
  key: string;
  label: string;
  section: "Production" | "Language" | "Diversity" | "Grounding" | "LLM judge";
  kind: MetricKind;
  scope: "all" | "scored";
  unit: MetricUnit;
  /** needs the LLM judge */
  judge?: boolean;
  /** true: higher is better; false: lower is better; undefined: neither */
  better?: boolean;
  definition: string;
  /** why a group may have no value although it has scored dialogues (shown in the report) */
  notApplicable?: string;
  value?: (f: DialogueFigures) => number | null;
  ratio?: (f: DialogueFigures) => [number, number] | null;
  set?: (items: readonly Scored[]) => number | null;
}

const judged = <T>(f: DialogueFigures, pick: (j: JudgeScores) => T | null): T | null =>
  f.judge ? pick(f.judge) : null;
const bool = (b: boolean | null) => (b === null ? null : b ? 1 : 0);
let categories: Map<string, string> | undefined;
const categoryOf = (id: string) => (categories ??= new Map(loadSpeechEvents().map((e) => [e.id, e.category]))).get(id);

export function metricTable(price?: { input: number; output: number }): Metric[] {
  const generated = (f: DialogueFigures) => f.input_tokens !== null && f.output_tokens !== null;
  return [
    {
      key: "acceptance_rate",
      label: "Acceptance rate",
      section: "Production",
      kind: "mean",
      scope: "all",
      unit: "share",
      better: true,
      definition: "accepted dialogues ÷ generated dialogues (gates + self-critique).",
      notApplicable: "not generated by this project",
      value: (f) => (generated(f) ? (f.status === "accepted" ? 1 : 0) : null),
    },
    {
      key: "tokens_per_accepted",
      label: "Tokens per accepted dialogue",
      section: "Production",
      kind: "ratio",
      scope: "all",
      unit: "tokens",
      better: false,
      definition:
        "Σ generation tokens (input + output, every call of every dialogue, rejected ones included) ÷ accepted dialogues. Judge calls not included.",
      notApplicable: "no accepted dialogue, or token counts unknown",
      ratio: (f) => (generated(f) ? [f.input_tokens! + f.output_tokens!, f.status === "accepted" ? 1 : 0] : null),
    },
    ...(price
      ? [
          {
            key: "cost_per_accepted",
            label: "Cost per accepted dialogue (USD)",
            section: "Production",
            kind: "ratio",
            scope: "all",
            unit: "usd",
            better: false,
            definition: `Σ (input tokens × ${price.input} + output tokens × ${price.output}) ÷ 10⁶ ÷ accepted dialogues (--price, USD per million tokens).`,
            notApplicable: "no accepted dialogue, or token counts unknown",
            ratio: (f: DialogueFigures) =>
              generated(f)
                ? ([
                    (f.input_tokens! * price.input + f.output_tokens! * price.output) / 1e6,
                    f.status === "accepted" ? 1 : 0,
                  ] as [number, number])
                : null,
          } satisfies Metric,
        ]
      : []),
    {
      key: "language_fidelity",
      label: "Language fidelity",
      section: "Language",
      kind: "ratio",
      scope: "scored",
      unit: "share",
      better: true,
      definition:
        "turns the gates' `language` check accepts ÷ turns, pooled over the set (lib/gates dialogueGateFailures).",
      ratio: (f) => [f.turns - f.language_failures, f.turns],
    },
    {
      key: "code_switching_rate",
      label: "Code-switching rate",
      section: "Language",
      kind: "ratio",
      scope: "scored",
      unit: "share",
      better: false,
      definition:
        "turns the gates' `code_switching` check rejects ÷ turns, pooled (a turn that fails `language` is not checked for code switching).",
      ratio: (f) => [f.code_switching_turns, f.turns],
    },
    {
      key: "distinct_1",
      label: "distinct-1",
      section: "Diversity",
      kind: "set",
      scope: "scored",
      unit: "share",
      better: true,
      definition:
        "unique unigrams ÷ unigrams over all turns of the set; tokens = word-like segments of Intl.Segmenter(lang, word), lower-cased.",
      set: (items) =>
        distinctN(
          items.flatMap((i) => i.tokensByTurn),
          1,
        ),
    },
    {
      key: "distinct_2",
      label: "distinct-2",
      section: "Diversity",
      kind: "set",
      scope: "scored",
      unit: "share",
      better: true,
      definition: "unique bigrams ÷ bigrams over all turns of the set; bigrams never cross a turn boundary.",
      set: (items) =>
        distinctN(
          items.flatMap((i) => i.tokensByTurn),
          2,
        ),
    },
    {
      key: "opener_diversity",
      label: "Opener diversity",
      section: "Diversity",
      kind: "set",
      scope: "scored",
      unit: "share",
      better: true,
      definition: `distinct openers ÷ dialogues with an opener; opener = the first ${OPENER_TOKENS} word tokens of the dialogue's first turn (fewer if the turn is shorter).`,
      set: (items) => openerDiversity(items.map((i) => i.figures.opener)),
    },
    {
      key: "mean_turn_length",
      label: "Mean turn length (tokens)",
      section: "Diversity",
      kind: "ratio",
      scope: "scored",
      unit: "tokens",
      definition: "word tokens ÷ turns, pooled over the set.",
      ratio: (f) => [f.tokens, f.turns],
    },
    {
      key: "mean_turns",
      label: "Mean turns",
      section: "Diversity",
      kind: "mean",
      scope: "scored",
      unit: "turns",
      definition: "turns per dialogue.",
      value: (f) => f.turns,
    },
    {
      key: "persona_token_recall",
      label: "Persona token recall",
      section: "Grounding",
      kind: "mean",
      scope: "scored",
      unit: "share",
      better: true,
      definition:
        "per speaker with a persona: distinct content tokens of the persona facts that occur in the speaker's own turns ÷ distinct content tokens of the facts; mean over those speakers, then over dialogues. Content token = ≥ 4 characters, or ≥ 2 in Han/kana/Hangul/Thai script.",
      notApplicable: "no persona",
      value: (f) => f.persona_token_recall,
    },
    {
      key: "persona_fact_coverage",
      label: "Persona fact coverage",
      section: "Grounding",
      kind: "mean",
      scope: "scored",
      unit: "share",
      better: true,
      definition:
        "per speaker: persona facts with at least one content token in the speaker's own turns ÷ facts; mean as above.",
      notApplicable: "no persona",
      value: (f) => f.persona_fact_coverage,
    },
    {
      key: "common_ground_recall",
      label: "Common-ground token recall",
      section: "Grounding",
      kind: "mean",
      scope: "scored",
      unit: "share",
      better: true,
      definition:
        "distinct content tokens of the common ground that occur in the dialogue ÷ distinct content tokens of the common ground.",
      notApplicable: "no common ground",
      value: (f) => f.common_ground_recall,
    },
    {
      key: "memory_token_recall",
      label: "Memory token recall (series)",
      section: "Grounding",
      kind: "mean",
      scope: "scored",
      unit: "share",
      better: true,
      definition:
        "later sessions of a series: distinct content tokens of the facts the speakers took from the earlier sessions (what each remembers about the other, and the facts about themselves that came up, added to their persona since), the two names excluded, that occur in the session's turns ÷ distinct content tokens of those facts; mean over later sessions.",
      notApplicable: "no later session of a series",
      value: (f) => f.memory_token_recall,
    },
    {
      key: "judge_persona_grounding",
      label: "Persona grounding (judge, 1–5)",
      section: "LLM judge",
      kind: "mean",
      scope: "scored",
      unit: "score",
      judge: true,
      better: true,
      definition: "persona judge: how much the speakers' messages draw on their own persona facts (1–5).",
      notApplicable: "no persona, or the judge failed",
      value: (f) => judged(f, (j) => j.persona_grounding),
    },
    {
      key: "judge_contradiction_rate",
      label: "Persona contradiction (judge)",
      section: "LLM judge",
      kind: "mean",
      scope: "scored",
      unit: "share",
      judge: true,
      better: false,
      definition:
        "share of dialogues in which the persona judge finds a speaker contradicting their persona (or themselves).",
      notApplicable: "no persona, or the judge failed",
      value: (f) => judged(f, (j) => bool(j.contradiction)),
    },
    {
      key: "judge_common_ground_use",
      label: "Common-ground use (judge, 1–5)",
      section: "LLM judge",
      kind: "mean",
      scope: "scored",
      unit: "score",
      judge: true,
      better: true,
      definition: "persona judge, when the dialogue has a common ground: how much the conversation builds on it (1–5).",
      notApplicable: "no common ground",
      value: (f) => judged(f, (j) => j.common_ground_use),
    },
    {
      key: "judge_naturalness",
      label: "Naturalness (judge, 1–5)",
      section: "LLM judge",
      kind: "mean",
      scope: "scored",
      unit: "score",
      judge: true,
      better: true,
      definition: "naturalness judge, from the dialogue alone: how natively it reads (1–5).",
      notApplicable: "the judge failed",
      value: (f) => judged(f, (j) => j.naturalness),
    },
    {
      key: "judge_translationese_rate",
      label: "Translationese (judge)",
      section: "LLM judge",
      kind: "mean",
      scope: "scored",
      unit: "share",
      judge: true,
      better: false,
      definition: "share of dialogues the naturalness judge says read like a translation.",
      notApplicable: "the judge failed",
      value: (f) => judged(f, (j) => bool(j.sounds_translated)),
    },
    {
      key: "judge_memory_use",
      label: "Memory use (judge, 1–5)",
      section: "LLM judge",
      kind: "mean",
      scope: "scored",
      unit: "score",
      judge: true,
      better: true,
      definition:
        "history judge, later sessions of a series: how much the session refers to what was said or learned in the earlier ones, judged against both speakers' memory of them (1–5).",
      notApplicable: "no later session of a series",
      value: (f) => judged(f, (j) => j.memory_use),
    },
    {
      key: "judge_history_contradiction_rate",
      label: "Contradiction with history (judge)",
      section: "LLM judge",
      kind: "mean",
      scope: "scored",
      unit: "share",
      judge: true,
      better: false,
      definition:
        "share of later sessions of a series in which the history judge finds a speaker contradicting or forgetting the earlier sessions (or meeting the other as a stranger), judged against both speakers' memory of them.",
      notApplicable: "no later session of a series",
      value: (f) => judged(f, (j) => bool(j.history_contradiction)),
    },
    {
      key: "speech_event_accuracy",
      label: "Speech-event accuracy (judge)",
      section: "LLM judge",
      kind: "mean",
      scope: "scored",
      unit: "share",
      judge: true,
      better: true,
      definition:
        "share of dialogues whose speech event a judge, seeing the dialogue alone and the list of speech events, names correctly (the planned event is the gold label).",
      notApplicable: "no planned speech event in this data",
      value: (f) =>
        f.speech_event
          ? judged(f, (j) => (j.speech_event_guess === null ? null : j.speech_event_guess === f.speech_event ? 1 : 0))
          : null,
    },
    {
      key: "speech_event_category_accuracy",
      label: "Speech-event category accuracy (judge)",
      section: "LLM judge",
      kind: "mean",
      scope: "scored",
      unit: "share",
      judge: true,
      better: true,
      definition:
        "the same, counting a guess right when it is in the planned event's category (informal/superficial, involving, goal-directed).",
      notApplicable: "no planned speech event in this data",
      value: (f) =>
        f.speech_event
          ? judged(f, (j) =>
              j.speech_event_guess === null
                ? null
                : categoryOf(j.speech_event_guess) === categoryOf(f.speech_event!)
                  ? 1
                  : 0,
            )
          : null,
    },
  ];
}

/** The group's value of a metric; null when nothing in the group has one. */
export function aggregate(metric: Metric, items: readonly Scored[]): number | null {
  if (metric.kind === "set") return metric.set!(items);
  if (metric.kind === "ratio") {
    let num = 0;
    let den = 0;
    for (const item of items) {
      const r = metric.ratio!(item.figures);
      if (!r) continue;
      num += r[0];
      den += r[1];
    }
    return den === 0 ? null : num / den;
  }
  return meanOf(items.map((item) => metric.value!(item.figures)));
}

/** The items a metric looks at: every record ("all") or the scored ones. */
export function inScope(metric: Metric, items: readonly Scored[]): Scored[] {
  return metric.scope === "all" ? [...items] : items.filter((i) => i.figures.scored);
}
