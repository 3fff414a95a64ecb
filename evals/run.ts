import { mkdirSync } from "node:fs";
import { writeFileSafely } from "../lib/security/safe-write.js";
import { join } from "node:path";
import type { BaseChatModel } from "@langchain/core/language_models/chat_models";
import { Client } from "langsmith";
import type { DialogueContext } from "../nodes/configuration.js";
import { runJob } from "../app/run/run-job.js";
import { loadPromptSet, type PromptSet } from "../lib/prompts/loader.js";
import { loadBuiltinPersonas } from "../lib/records/personas.js";
import { addUsage, type DialogueRecord, ZERO_USAGE } from "../lib/records/schema.js";
import { type DialogueJob, generateDialogues, planJobs } from "../app/run/generate.js";
import { readRecords, RecordFile } from "../app/run/record-file.js";
import { summarizeScores } from "./aggregate.js";
import { type EvalDialogue, fromRecordSessions, XPERSONA_VARIANT } from "./dialogues.js";
import { type Judge, judgeDialogue } from "./judges.js";
import { datasetExamples, evalDatasetName, readExamples, runExperiment, syncDataset } from "./langsmith.js";
import { metricTable, type Scored, scoreDialogue } from "./metrics.js";
import {
  type EvalMeta,
  type EvalResults,
  pairNotes,
  renderHtml,
  renderMarkdown,
  reportNotes,
  type VariantInfo,
} from "./report.js";
import { DEFAULT_LEVEL } from "./stats.js";
import { type HumanRating, humanResults, type HumanResults } from "./human.js";

/**
 * One eval run: generate with each variant (or read a dataset), score every dialogue (deterministic figures, then
 * the LLM judges when a judge model is given), aggregate per variant × language with intervals and paired
 * comparisons, and write report.md, report.html and results.json (plus records/<variant>.jsonl when generating).
 */

export interface CommonOptions {
  out: string;
  command: string;
  seed: number;
  resamples: number;
  price?: { input: number; output: number } | undefined;
  scoreRejected: boolean;
  judge: Judge | null;
  log?: (line: string) => void;
}

export interface GenerateEvalOptions extends CommonOptions {
  variants: string[];
  languages: string[];
  n: number;
  /** sessions per dialogue: more than 1 generates multi-session series (each session scored on its own) */
  sessions?: number;
  chatModel: BaseChatModel;
  modelLabel: string;
  /** settings of every dialogue except the variant (turns, retries …) */
  context: DialogueContext;
  concurrency: number;
  /** run each variant as a LangSmith experiment too */
  langsmith: Client | null;
}

export interface DatasetOptions extends CommonOptions {
  dialogues: EvalDialogue[];
  dataset: { path: string; format: "jsonl" | "xpersona" };
  variants?: string[] | undefined;
  /** native speakers' ratings (npm run review) to report beside the automatic figures */
  reviews?: { source: string; ratings: HumanRating[] } | undefined;
}

export function variantInfo(name: string, prompts: PromptSet | null): VariantInfo {
  if (name === XPERSONA_VARIANT && !prompts) {
    return {
      name,
      hash: null,
      manifest: null,
      description:
        "XPersona: ConvAI2 dialogues machine-translated, then post-edited by humans (the machine-translation baseline)",
    };
  }
  const manifest = prompts?.manifest ?? null;
  const description =
    manifest?.description ??
    (name === "baseline"
      ? "the baseline prompts, turn by turn, with common ground and speech event"
      : "prompt variant");
  return { name, hash: prompts?.hash ?? null, manifest, description };
}

/** Scores dialogues; judge calls are cached by variant/id (the LangSmith evaluators and the report share them). */
export class Scorer {
  private readonly cache = new Map<string, Promise<Scored>>();
  judgeUsage = ZERO_USAGE;
  judgeCalls = 0;

  constructor(
    private readonly options: {
      judge: Judge | null;
      scoreRejected: boolean;
      log?: ((line: string) => void) | undefined;
    },
  ) {}

  score(dialogue: EvalDialogue): Promise<Scored> {
    const key = `${dialogue.variant}\u0000${dialogue.language}\u0000${dialogue.id}`;
    let cached = this.cache.get(key);
    if (!cached) {
      cached = this.compute(dialogue);
      this.cache.set(key, cached);
    }
    return cached;
  }

  private async compute(dialogue: EvalDialogue): Promise<Scored> {
    const scored = scoreDialogue(dialogue, { scoreRejected: this.options.scoreRejected });
    if (this.options.judge && scored.figures.scored) {
      const judged = await judgeDialogue(this.options.judge, dialogue);
      this.judgeUsage = addUsage(this.judgeUsage, judged.usage);
      this.judgeCalls += judged.calls;
      scored.figures.judge = judged;
    }
    return scored;
  }
}

function writeOutputs(out: string, results: EvalResults): void {
  mkdirSync(out, { recursive: true });
  writeFileSafely(join(out, "results.json"), `${JSON.stringify(results, null, 2)}\n`);
  writeFileSafely(join(out, "report.md"), renderMarkdown(results));
  writeFileSafely(join(out, "report.html"), renderHtml(results));
}

function finish(
  items: Scored[],
  scorer: Scorer,
  meta: Omit<EvalMeta, "judge_usage" | "judge_calls" | "level" | "created_at">,
  options: CommonOptions,
  human?: HumanResults,
): EvalResults {
  const metrics = metricTable(options.price);
  const { groups, comparisons } = summarizeScores(items, {
    variants: meta.variants.map((v) => v.name),
    languages: meta.languages,
    metrics,
    seed: options.seed,
    resamples: options.resamples,
    judged: options.judge !== null,
  });
  const full: EvalMeta = {
    ...meta,
    created_at: new Date().toISOString(),
    level: DEFAULT_LEVEL,
    judge_usage: scorer.judgeUsage,
    judge_calls: scorer.judgeCalls,
  };
  const results: EvalResults = {
    meta: full,
    metrics: metrics.map(({ key, label, section, kind, scope, unit, definition, better }) => ({
      key,
      label,
      section,
      kind,
      scope,
      unit,
      definition,
      ...(better === undefined ? {} : { better }),
    })),
    groups,
    comparisons,
    notes: [...reportNotes(full, groups), ...pairNotes(comparisons)],
    dialogues: items.map((i) => i.figures),
    ...(human ? { human } : {}),
  };
  writeOutputs(options.out, results);
  return results;
}

function judgeMeta(judge: Judge | null) {
  return judge ? { model: judge.label, prompts: judge.prompts.variant, hash: judge.prompts.hash } : null;
}

/** Same jobs for every variant: ids, seeds and (explicitly) the persona pairs, so dialogues pair across variants. */
export function evalJobs(languages: readonly string[], n: number, seed: number, sessions = 1): DialogueJob[] {
  return planJobs({ languages, n, seed, personas: loadBuiltinPersonas(), sessions });
}

export async function runGenerateEval(options: GenerateEvalOptions): Promise<EvalResults> {
  const log = options.log ?? (() => undefined);
  const jobs = evalJobs(options.languages, options.n, options.seed, options.sessions);
  const ids = new Set(jobs.map((j) => j.id));
  const scorer = new Scorer(options);
  const metrics = metricTable(options.price);
  mkdirSync(join(options.out, "records"), { recursive: true });
  const langsmith: EvalMeta["langsmith"] = { enabled: options.langsmith !== null };
  let examples: Awaited<ReturnType<typeof readExamples>> = [];
  if (options.langsmith) {
    const name = evalDatasetName(options.languages, options.n, options.seed);
    const wanted = datasetExamples(jobs, name);
    const synced = await syncDataset(options.langsmith, name, wanted);
    log(
      `LangSmith dataset "${name}": ${synced.created} created, ${synced.updated} updated, ${synced.unchanged} unchanged`,
    );
    examples = await readExamples(
      options.langsmith,
      synced.datasetId,
      wanted.map((e) => e.id),
    );
    langsmith.dataset = name;
    langsmith.experiments = [];
  }

  const records: DialogueRecord[] = [];
  for (const variant of options.variants) {
    const prompts = loadPromptSet(variant);
    const path = join(options.out, "records", `${variant}.jsonl`);
    const opened = RecordFile.open(path);
    const file = opened.file;
    const context: DialogueContext = { ...options.context, promptVariant: variant, chatModel: options.chatModel };
    const counts = { accepted: 0, rejected: 0 };
    const onRecord = (record: DialogueRecord) => {
      counts[record.status]++;
      log(
        `${variant} ${record.id}: ${record.status}${record.status === "rejected" ? ` (${record.rejection_reasons.map((r) => r.check).join(", ")})` : ""}`,
      );
    };
    try {
      if (options.langsmith) {
        const done = new Map(opened.records.map((r) => [r.id, r]));
        const target = async (job: DialogueJob) => {
          const existing = done.get(job.id);
          if (existing) return existing;
          const state = await runJob(job, context);
          const record = state.record!;
          file.append(record);
          done.set(record.id, record);
          onRecord(record);
          return record;
        };
        const experiment = await runExperiment({
          client: options.langsmith,
          examples,
          variant,
          metadata: {
            prompt_hash: prompts.hash,
            model: options.modelLabel,
            seed: options.seed,
            n: options.n,
            languages: options.languages.join(","),
          },
          target,
          score: (dialogue) => scorer.score(dialogue),
          metrics,
          concurrency: options.concurrency,
        });
        langsmith.experiments!.push({ variant, name: experiment.name });
      } else {
        if (opened.records.length)
          log(
            `${path}: ${opened.records.filter((r) => ids.has(r.id)).length} of ${jobs.length} dialogues already written; resuming`,
          );
        await generateDialogues({ jobs, context, concurrency: options.concurrency, file, onRecord });
      }
    } finally {
      file.close();
    }
    const written = readRecords(path).records.filter((r) => ids.has(r.id) && r.provenance.prompt_variant === variant);
    log(
      `${variant}: ${written.filter((r) => r.status === "accepted").length} accepted, ${written.filter((r) => r.status === "rejected").length} rejected → ${path}`,
    );
    records.push(...written);
  }

  const items: Scored[] = [];
  for (const dialogue of records.flatMap(fromRecordSessions)) items.push(await scorer.score(dialogue));
  return finish(
    items,
    scorer,
    {
      command: options.command,
      mode: "generate",
      variants: options.variants.map((v) => variantInfo(v, loadPromptSet(v))),
      reference: options.variants[0]!,
      languages: options.languages,
      n: options.n,
      seed: options.seed,
      model: options.modelLabel,
      judge: judgeMeta(options.judge),
      ...(options.price ? { price: options.price } : {}),
      resamples: options.resamples,
      score_rejected: options.scoreRejected,
      langsmith,
    },
    options,
  );
}

export async function runDatasetEval(options: DatasetOptions): Promise<EvalResults> {
  const log = options.log ?? (() => undefined);
  const present = [...new Set(options.dialogues.map((d) => d.variant))];
  const variants = options.variants ? options.variants.filter((v) => present.includes(v)) : present;
  const languages = [...new Set(options.dialogues.map((d) => d.language))];
  const scorer = new Scorer(options);
  const items: Scored[] = [];
  const chosen = options.dialogues.filter((d) => variants.includes(d.variant));
  for (const [i, dialogue] of chosen.entries()) {
    items.push(await scorer.score(dialogue));
    if (options.judge && (i + 1) % 10 === 0) log(`judged ${i + 1} of ${chosen.length}`);
  }
  // the hash the records name (the prompts may have changed since); the manifest of the variant as it is now
  const infoOf = (name: string): VariantInfo => {
    if (options.dataset.format === "xpersona") return variantInfo(name, null);
    let prompts: PromptSet | null;
    try {
      prompts = loadPromptSet(name);
    } catch {
      prompts = null;
    }
    const hashes = [...new Set(chosen.filter((d) => d.variant === name).map((d) => d.promptHash ?? "?"))];
    return { ...variantInfo(name, prompts), hash: hashes.length === 1 ? hashes[0]! : hashes.join(" / ") };
  };
  return finish(
    items,
    scorer,
    {
      command: options.command,
      mode: "dataset",
      dataset: options.dataset,
      variants: variants.map(infoOf),
      reference: variants[0] ?? "",
      languages,
      seed: options.seed,
      judge: judgeMeta(options.judge),
      ...(options.price ? { price: options.price } : {}),
      resamples: options.resamples,
      score_rejected: options.scoreRejected,
      langsmith: { enabled: false },
    },
    options,
    options.reviews
      ? humanResults(
          options.reviews.ratings,
          chosen,
          items.map((i) => i.figures),
          { source: options.reviews.source, seed: options.seed, resamples: options.resamples },
        )
      : undefined,
  );
}
