import { createHash } from "node:crypto";
import type { Client, Example } from "langsmith";
import type { ExampleCreate, ExampleUpdate } from "langsmith/schemas";
import { evaluate, type EvaluationResult } from "langsmith/evaluation";
import { resolveConfig } from "../nodes/configuration.js";
import { planDialogue } from "../lib/plan.js";
import { type DialogueRecord, DialogueRecordSchema } from "../lib/records/schema.js";
import type { DialogueJob } from "../app/run/generate.js";
import { tracingSettings, type TracingEnv } from "../app/tracing/index.js";
import { type EvalDialogue, fromRecordSessions } from "./dialogues.js";
import { aggregate, inScope, type Metric, type Scored } from "./metrics.js";

/**
 * The eval as LangSmith experiments: one LangSmith dataset made from the seed list (one example per dialogue job:
 * language, index, seed, the English persona pair; the planned speech event as the reference output), created or
 * brought up to date before the run; then one `evaluate()` experiment per prompt variant over the same examples,
 * so the variants sit side by side in LangSmith's comparison view. Row evaluators log the per-dialogue figures,
 * a summary evaluator the set-level ones (distinct-n, opener diversity, pooled ratios, acceptance, cost).
 *
 * NOT TESTED AGAINST A REAL LANGSMITH (no network here): the dataset examples, the sync logic (against a fake
 * client) and the evaluators are unit-tested; `evaluate()` itself is langsmith's.
 */

/** LangSmith is used when tracing is on and a key is set (the same check as app/tracing). */
export function langsmithConfigured(env: TracingEnv = process.env): boolean {
  return tracingSettings(env).enabled;
}

export function evalDatasetName(languages: readonly string[], n: number, seed: number): string {
  return `polyglot-personachat eval · ${languages.join(",")} · n=${n} · seed=${seed}`;
}

/** A UUID (version-5 layout) from a string: an example keeps its id from one run to the next. */
export function stableUuid(text: string): string {
  const bytes = createHash("sha1").update(text).digest().subarray(0, 16);
  bytes[6] = (bytes[6]! & 0x0f) | 0x50;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = bytes.toString("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export interface ExampleInputs {
  job_id: string;
  language: string;
  index: number;
  seed: number;
  source_personas: [string[], string[]] | null;
  speech_event_id: string | null;
}

/** The dataset's examples, one per job, in job order. */
export function datasetExamples(
  jobs: readonly DialogueJob[],
  datasetName: string,
): (ExampleCreate & { id: string; inputs: ExampleInputs })[] {
  const config = resolveConfig({});
  return jobs.map((job) => ({
    id: stableUuid(`${datasetName}\u0000${job.id}`),
    inputs: {
      job_id: job.id,
      language: job.language,
      index: job.index,
      seed: job.seed,
      source_personas: job.sourcePersonas ?? null,
      speech_event_id: job.speechEventId ?? null,
    },
    reference_outputs: { speech_event_id: planDialogue(job, config).speechEvent.id },
    metadata: { job_id: job.id, language: job.language },
    split: job.language,
  }));
}

export function jobFromInputs(inputs: Record<string, unknown>): DialogueJob {
  const i = inputs as unknown as ExampleInputs;
  return {
    id: i.job_id,
    language: i.language,
    index: i.index,
    seed: i.seed,
    ...(i.source_personas ? { sourcePersonas: i.source_personas } : {}),
    ...(i.speech_event_id ? { speechEventId: i.speech_event_id } : {}),
  };
}

/** The slice of langsmith's Client the dataset sync uses (a fake one in the tests). */
export interface DatasetClient {
  hasDataset(args: { datasetName: string }): Promise<boolean>;
  createDataset(
    name: string,
    options?: { description?: string; metadata?: Record<string, unknown> },
  ): Promise<{ id: string }>;
  readDataset(args: { datasetName: string }): Promise<{ id: string }>;
  listExamples(args: {
    datasetId: string;
  }): AsyncIterable<{ id: string; inputs: Record<string, unknown>; outputs?: Record<string, unknown> | null }>;
  createExamples(uploads: ExampleCreate[]): Promise<unknown>;
  updateExamples(updates: ExampleUpdate[]): Promise<unknown>;
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** Creates the dataset if needed, adds missing examples, updates changed ones; leaves other examples alone. */
export async function syncDataset(
  client: DatasetClient,
  name: string,
  examples: readonly (ExampleCreate & { id: string })[],
): Promise<{ datasetId: string; created: number; updated: number; unchanged: number }> {
  const dataset = (await client.hasDataset({ datasetName: name }))
    ? await client.readDataset({ datasetName: name })
    : await client.createDataset(name, {
        description: "polyglot-personachat eval: one example per dialogue job (seed list)",
      });
  const existing = new Map<string, { inputs: Record<string, unknown>; outputs?: Record<string, unknown> | null }>();
  for await (const example of client.listExamples({ datasetId: dataset.id })) existing.set(example.id, example);
  const toCreate: ExampleCreate[] = [];
  const toUpdate: ExampleUpdate[] = [];
  for (const example of examples) {
    const found = existing.get(example.id);
    if (!found) toCreate.push({ ...example, dataset_id: dataset.id });
    else if (!same(found.inputs, example.inputs) || !same(found.outputs ?? {}, example.reference_outputs ?? {})) {
      toUpdate.push({
        id: example.id,
        inputs: example.inputs,
        ...(example.reference_outputs ? { outputs: example.reference_outputs } : {}),
        dataset_id: dataset.id,
      });
    }
  }
  if (toCreate.length) await client.createExamples(toCreate);
  if (toUpdate.length) await client.updateExamples(toUpdate);
  return {
    datasetId: dataset.id,
    created: toCreate.length,
    updated: toUpdate.length,
    unchanged: examples.length - toCreate.length - toUpdate.length,
  };
}

// ── evaluators ──────────────────────────────────────────────────────────────────────────────────────

/** Scores one dialogue as the evaluation sees it (a single dialogue, or one session of a series). */
export type ScoreDialogue = (dialogue: EvalDialogue) => Promise<Scored>;

/** A record's scored dialogues: every session of a series, each with the memory its speakers had, else the one. */
const scoreSessions = (score: ScoreDialogue, record: DialogueRecord) =>
  Promise.all(fromRecordSessions(record).map(score));

/**
 * Per-example feedback: every mean/ratio metric that has a value for this example, under the metric's key. A series
 * is one example: its sessions are pooled, as the local report pools them (a later session adds the memory metrics
 * and counts once in acceptance and tokens, which only the first session carries).
 */
export function dialogueFeedback(items: readonly Scored[], metrics: readonly Metric[]): EvaluationResult[] {
  const out: EvaluationResult[] = [];
  for (const metric of metrics) {
    const scoped = inScope(metric, items);
    if (metric.kind === "set" || scoped.length === 0) continue;
    const value = aggregate(metric, scoped);
    if (value !== null) out.push({ key: metric.key, score: value });
  }
  return out;
}

/** Set-level feedback: set metrics under their key, pooled ratios as `<key>_pooled` (row feedback averages per dialogue). */
export function summaryFeedback(items: readonly Scored[], metrics: readonly Metric[]): EvaluationResult[] {
  const out: EvaluationResult[] = [];
  for (const metric of metrics) {
    if (metric.kind === "mean") continue;
    const value = aggregate(metric, inScope(metric, items));
    if (value !== null) out.push({ key: metric.kind === "ratio" ? `${metric.key}_pooled` : metric.key, score: value });
  }
  return out;
}

const recordOf = (outputs: Record<string, unknown> | undefined) => DialogueRecordSchema.parse(outputs?.record);

export function dialogueEvaluator(score: ScoreDialogue, metrics: readonly Metric[]) {
  return async ({ outputs }: { outputs: Record<string, unknown> }) => ({
    results: dialogueFeedback(await scoreSessions(score, recordOf(outputs)), metrics),
  });
}

export function summaryEvaluator(score: ScoreDialogue, metrics: readonly Metric[]) {
  return async ({ outputs }: { outputs: Record<string, unknown>[] }) => ({
    results: summaryFeedback(
      (await Promise.all(outputs.map((o) => scoreSessions(score, recordOf(o))))).flat(),
      metrics,
    ),
  });
}

export interface ExperimentOptions {
  client: Client;
  examples: Example[];
  variant: string;
  metadata: Record<string, unknown>;
  target: (job: DialogueJob) => Promise<DialogueRecord>;
  score: ScoreDialogue;
  metrics: readonly Metric[];
  concurrency: number;
}

/** One variant as one LangSmith experiment (prefix = the variant's name). */
export async function runExperiment(options: ExperimentOptions): Promise<{ name: string }> {
  const results = await evaluate(
    async (inputs: Record<string, unknown>) => ({ record: await options.target(jobFromInputs(inputs)) }),
    {
      data: options.examples,
      client: options.client,
      experimentPrefix: options.variant,
      description: `prompt variant ${options.variant}`,
      metadata: { prompt_variant: options.variant, ...options.metadata },
      maxConcurrency: options.concurrency,
      evaluators: [dialogueEvaluator(options.score, options.metrics)],
      summaryEvaluators: [summaryEvaluator(options.score, options.metrics)],
    },
  );
  return { name: results.experimentName };
}

/** The examples as evaluate() wants them, after the sync (read back, in job order). */
export async function readExamples(client: Client, datasetId: string, ids: readonly string[]): Promise<Example[]> {
  const byId = new Map<string, Example>();
  for await (const example of client.listExamples({ datasetId, exampleIds: [...ids] })) byId.set(example.id, example);
  return ids.map((id) => byId.get(id)).filter((e): e is Example => e !== undefined);
}
