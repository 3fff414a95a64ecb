import { describe, expect, it } from "vitest";
import type { ExampleCreate, ExampleUpdate } from "langsmith/schemas";
import { planDialogue } from "../lib/plan.js";
import { resolveConfig } from "../nodes/configuration.js";
import type { DialogueRecord } from "../lib/records/schema.js";
import { type EvalDialogue, fromRecord } from "./dialogues.js";
import {
  datasetExamples,
  type DatasetClient,
  dialogueEvaluator,
  dialogueFeedback,
  evalDatasetName,
  jobFromInputs,
  langsmithConfigured,
  stableUuid,
  summaryEvaluator,
  summaryFeedback,
  syncDataset,
} from "./langsmith.js";
import { metricTable, scoreDialogue } from "./metrics.js";
import { evalJobs } from "./run.js";
import { makeRecord } from "../testing/records.js";

// The LangSmith pieces that can be checked offline. evaluate() itself runs only against a real LangSmith.

const jobs = evalJobs(["es", "fr"], 2, 1);
const NAME = evalDatasetName(["es", "fr"], 2, 1);

class FakeClient implements DatasetClient {
  datasets = new Map<string, string>();
  examples = new Map<
    string,
    { id: string; inputs: Record<string, unknown>; outputs?: Record<string, unknown> | null; dataset_id: string }
  >();
  created: ExampleCreate[][] = [];
  updated: ExampleUpdate[][] = [];
  async hasDataset({ datasetName }: { datasetName: string }) {
    return this.datasets.has(datasetName);
  }
  async createDataset(name: string) {
    const id = `ds-${this.datasets.size + 1}`;
    this.datasets.set(name, id);
    return { id };
  }
  async readDataset({ datasetName }: { datasetName: string }) {
    return { id: this.datasets.get(datasetName)! };
  }
  async *listExamples({ datasetId }: { datasetId: string }) {
    for (const e of this.examples.values()) if (e.dataset_id === datasetId) yield e;
  }
  async createExamples(uploads: ExampleCreate[]) {
    this.created.push(uploads);
    for (const u of uploads)
      this.examples.set(u.id!, {
        id: u.id!,
        inputs: u.inputs,
        outputs: u.reference_outputs ?? null,
        dataset_id: u.dataset_id!,
      });
    return [];
  }
  async updateExamples(updates: ExampleUpdate[]) {
    this.updated.push(updates);
    for (const u of updates)
      this.examples.set(u.id, { id: u.id, inputs: u.inputs!, outputs: u.outputs ?? null, dataset_id: u.dataset_id! });
    return {};
  }
}

/** A record with Spanish personas, 3 attempts and 150 tokens (testing/records.ts otherwise). */
const record = (status: "accepted" | "rejected", texts: string[]): DialogueRecord => {
  const base = makeRecord("es-1-00000", "es", texts, status);
  return {
    ...base,
    personas: [
      { speaker: "A", name: "Lucía", sentences: ["Trabajo de enfermera."], source_sentences: ["I am a nurse."] },
      { speaker: "B", name: "Marta", sentences: ["Leo novelas."], source_sentences: ["I read."] },
    ],
    provenance: {
      ...base.provenance,
      prompt_hash: "h",
      attempts: 3,
      usage: { input_tokens: 100, output_tokens: 50 },
      duration_ms: 1,
    },
  };
};

describe("LangSmith experiments (offline pieces)", () => {
  it("is on only with tracing and a key", () => {
    expect(langsmithConfigured({})).toBe(false);
    expect(langsmithConfigured({ LANGSMITH_TRACING: "true" })).toBe(false);
    expect(langsmithConfigured({ LANGSMITH_TRACING: "true", LANGSMITH_API_KEY: "lsv2_x" })).toBe(true);
  });

  it("builds one example per job from the seed list, with stable ids and the planned speech event as reference", () => {
    const examples = datasetExamples(jobs, NAME);
    expect(examples.map((e) => e.inputs.job_id)).toEqual(jobs.map((j) => j.id));
    expect(examples.map((e) => e.inputs.job_id).sort()).toEqual([
      "es-1-00000",
      "es-1-00001",
      "fr-1-00000",
      "fr-1-00001",
    ]);
    expect(new Set(examples.map((e) => e.id)).size).toBe(4);
    expect(examples[0]!.id).toBe(stableUuid(`${NAME}\u0000${jobs[0]!.id}`));
    expect(examples[0]!.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(datasetExamples(jobs, NAME)).toEqual(examples);
    const first = examples[0]!;
    expect(first.inputs.source_personas).toHaveLength(2);
    expect(first.reference_outputs).toEqual({
      speech_event_id: planDialogue(jobs[0]!, resolveConfig({})).speechEvent.id,
    });
    expect(first.split).toBe(jobs[0]!.language);
    // the target gets back exactly the job (same id, seed, persona pair)
    expect(jobFromInputs(first.inputs as unknown as Record<string, unknown>)).toEqual(jobs[0]);
  });

  it("creates the dataset once, then only adds missing examples and updates changed ones", async () => {
    const client = new FakeClient();
    const examples = datasetExamples(jobs, NAME);
    expect(await syncDataset(client, NAME, examples)).toMatchObject({ created: 4, updated: 0, unchanged: 0 });
    expect(await syncDataset(client, NAME, examples)).toMatchObject({ created: 0, updated: 0, unchanged: 4 });
    const more = datasetExamples(evalJobs(["es", "fr"], 3, 1), NAME);
    const changed = more.map((e, i) => (i === 0 ? { ...e, inputs: { ...e.inputs, speech_event_id: "gossip" } } : e));
    expect(await syncDataset(client, NAME, changed)).toMatchObject({ created: 2, updated: 1, unchanged: 3 });
    expect(client.datasets.size).toBe(1);
    expect(client.updated[0]![0]!.id).toBe(more[0]!.id);
  });

  it("row evaluators log per-dialogue figures; the summary evaluator the set-level ones", async () => {
    const metrics = metricTable();
    const accepted = record("accepted", [
      "¡Hola! ¿Qué tal el fin de semana?",
      "Muy bien, fui a la playa con mis primos.",
    ]);
    const score = async (d: EvalDialogue) => scoreDialogue(d);
    const row = await dialogueEvaluator(score, metrics)({ outputs: { record: accepted } });
    const keys = row.results.map((r) => r.key);
    expect(keys).toEqual(
      expect.arrayContaining([
        "acceptance_rate",
        "language_fidelity",
        "mean_turns",
        "persona_token_recall",
        "tokens_per_accepted",
      ]),
    );
    expect(keys).not.toContain("distinct_1");
    expect(row.results.find((r) => r.key === "acceptance_rate")!.score).toBe(1);
    expect(row.results.find((r) => r.key === "tokens_per_accepted")!.score).toBe(150);

    const rejected = { ...record("rejected", ["Hi"]), id: "es-1-00001" };
    const summary = await summaryEvaluator(score, metrics)({ outputs: [{ record: accepted }, { record: rejected }] });
    const byKey = Object.fromEntries(summary.results.map((r) => [r.key, r.score]));
    expect(byKey.distinct_1).toBe(1);
    expect(byKey.tokens_per_accepted_pooled).toBe(300);
    expect(byKey.acceptance_rate).toBeUndefined();
    // a rejected dialogue is not scored: only the "all" metrics get a row value
    expect(dialogueFeedback([scoreDialogue(fromRecord(rejected))], metrics).map((r) => r.key)).toEqual([
      "acceptance_rate",
    ]);
    expect(summaryFeedback([], metrics)).toEqual([]);
  });
});
