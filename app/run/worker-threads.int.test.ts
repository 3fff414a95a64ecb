import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runBatch } from "./batch.js";
import { generateDialogues, planJobs } from "./generate.js";
import { RateLimiter } from "./rate-limit.js";
import { RecordFile } from "./record-file.js";
import { buildRunConfig } from "./run-config.js";
import { generateInThreads, type WorkerThreadsOptions } from "./worker-threads.js";
import { PLANNER_VERSION } from "../../lib/plan.js";
import type { DialogueRecord } from "../../lib/records/schema.js";
import { spanishScriptedModel } from "../../testing/spanish-script.js";
import { THREAD_MODELS } from "../../testing/thread-models.js";

// Worker threads that each build the scripted Spanish crowdworker (testing/thread-models.ts) by importing it.

const CONTEXT = { turnsMin: 4, turnsMax: 4 };
const tempFile = () => join(mkdtempSync(join(tmpdir(), "threads-")), "out.jsonl");
const lines = (path: string) =>
  readFileSync(path, "utf8")
    .split("\n")
    .filter(Boolean)
    .map((line) => JSON.parse(line) as DialogueRecord);

function threads(
  options: { latencyMs?: number; failOn?: string; fromPrompt?: boolean } = {},
  count = 2,
): WorkerThreadsOptions {
  return {
    threads: count,
    chat: { provider: "openai", model: "scripted", seed: 1 },
    settings: CONTEXT,
    factory: { module: THREAD_MODELS, export: "spanish", options },
  };
}

/** A record without what differs from run to run (when and how long). */
const timeless = (record: DialogueRecord) => ({
  ...record,
  provenance: { ...record.provenance, created_at: "", duration_ms: 0 },
});
const byId = (records: DialogueRecord[]) => [...records].sort((a, b) => a.id.localeCompare(b.id)).map(timeless);

function quietStream() {
  return { isTTY: false, write: () => true } as unknown as NodeJS.WriteStream;
}

describe("--worker-threads (generateInThreads)", () => {
  it("writes the same records as the in-process pool, with the same ids, in its journal", async () => {
    const jobs = planJobs({ languages: ["es"], n: 10, seed: 3 });
    // answers that depend on the prompt alone (as a seeded model's do): the order calls arrive in does not matter
    const model = spanishScriptedModel(0, { fromPrompt: true });
    const inProcess = tempFile();
    const fileA = RecordFile.open(inProcess).file;
    await generateDialogues({ jobs, context: { chatModel: model, ...CONTEXT }, concurrency: 4, file: fileA });
    await fileA.closeAsync();

    const threaded = tempFile();
    const fileB = RecordFile.open(threaded).file;
    const result = await generateInThreads(threads({ fromPrompt: true }))({
      jobs,
      context: CONTEXT,
      concurrency: 4,
      file: fileB,
    });
    await fileB.closeAsync();

    expect(result.written).toHaveLength(10);
    expect(
      lines(threaded)
        .map((r) => r.id)
        .sort(),
    ).toEqual(jobs.map((j) => j.id).sort());
    expect(byId(lines(threaded))).toEqual(byId(lines(inProcess)));
    // the records are real dialogues, not empty shells that would be equal anyway
    expect(lines(threaded).every((r) => r.turns.length === 4)).toBe(true);

    // rate limits stay in this thread: every model call of every thread asked the run's one limiter
    let acquired = 0;
    let settled = 0;
    const limiter = new RateLimiter({ rpm: 1_000_000 });
    const acquire = limiter.acquire.bind(limiter);
    const settle = limiter.settle.bind(limiter);
    limiter.acquire = (tokens, signal) => (acquired++, acquire(tokens, signal));
    limiter.settle = (estimated, actual) => {
      settled++;
      settle(estimated, actual);
    };
    await generateInThreads(threads())({ jobs, context: CONTEXT, concurrency: 4, limiter });
    expect(acquired).toBe(model.callCount);
    expect(settled).toBe(model.callCount);
  });

  it("a dialogue that throws in a thread stops the run with one line; the rerun resumes and completes", async () => {
    const out = tempFile();
    const jobs = planJobs({ languages: ["es"], n: 12, seed: 1 });
    const marker = jobs[4]!.sourcePersonas![0][0]!;
    const runConfig = buildRunConfig({
      seed: 1,
      settings: {
        promptVariant: "baseline",
        ...CONTEXT,
        maxTurnRetries: 2,
        maxCritiqueRounds: 1,
        maxStructuredRetries: 2,
        maxTurnChars: 400,
      },
      promptHash: "0123456789ab",
      chatModel: spanishScriptedModel(0),
      personasSource: "built-in",
      personas: [["a"], ["b"]],
      speechEventsHash: "x",
      demonstrationsHash: "y",
      nearDuplicateThreshold: 0.8,
      plannerVersion: PLANNER_VERSION,
    });
    const batch = (generate: ReturnType<typeof generateInThreads>) =>
      runBatch({
        jobs,
        languages: ["es"],
        context: CONTEXT,
        concurrency: 3,
        out,
        runConfig,
        command: "npm run graph -- --lang es --worker-threads 2",
        handleSignals: false,
        progress: { tty: false, stream: quietStream(), out: quietStream() },
        generate,
      });

    const error = await batch(generateInThreads(threads({ latencyMs: 10, failOn: marker }))).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    const message = (error as Error).message;
    expect(message).not.toContain("\n");
    expect(message).toMatch(
      /^dialogue es-1-000\d\d failed: connection reset by peer; \d+ dialogues are in .*out\.jsonl, resume with the same command: npm run graph -- --lang es --worker-threads 2$/,
    );
    const before = lines(out);
    expect(before.length).toBeGreaterThan(0);
    expect(before.length).toBeLessThan(12);

    const result = await batch(generateInThreads(threads({ latencyMs: 0 })));
    expect(result.status).toBe("completed");
    expect(result.written).toBe(12 - before.length);
    const after = lines(out);
    expect(after.map((r) => r.id).sort()).toEqual(jobs.map((j) => j.id).sort());
    // what the first session wrote is kept as it was
    expect(after.slice(0, before.length)).toEqual(before);
  });

  it("interrupted: the dialogues in flight finish and are written, none is started; the rerun writes the rest", async () => {
    const path = tempFile();
    const jobs = planJobs({ languages: ["es"], n: 12, seed: 2 });
    const stop = new AbortController();
    const file = RecordFile.open(path).file;
    const first = await generateInThreads(threads({ latencyMs: 5 }))({
      jobs,
      context: CONTEXT,
      concurrency: 4,
      file,
      signal: stop.signal,
      onRecord: () => stop.abort(),
    });
    await file.closeAsync();
    // the first record stopped the run: the dialogues in flight then finished and are written, whole
    const kept = first.written.length;
    expect(kept).toBeGreaterThanOrEqual(1);
    expect(kept).toBeLessThan(12);
    expect(first.abandoned).toBe(0);
    expect(lines(path).map((r) => r.id)).toEqual(first.written.map((r) => r.id));

    const reopened = RecordFile.open(path).file;
    const second = await generateInThreads(threads({ latencyMs: 0 }))({
      jobs,
      context: CONTEXT,
      concurrency: 4,
      file: reopened,
    });
    await reopened.closeAsync();
    expect(second.skipped).toBe(kept);
    expect(second.written).toHaveLength(12 - kept);
    expect(
      lines(path)
        .map((r) => r.id)
        .sort(),
    ).toEqual(jobs.map((j) => j.id).sort());
  });

  it("abandoned: the dialogues in flight stop in their threads and nothing of theirs is written", async () => {
    const path = tempFile();
    const file = RecordFile.open(path).file;
    const abandon = new AbortController();
    let started = 0;
    const result = await generateInThreads(threads({ latencyMs: 200 }))({
      jobs: planJobs({ languages: ["es"], n: 8, seed: 1 }),
      context: CONTEXT,
      concurrency: 4,
      file,
      abortSignal: abandon.signal,
      // once the four are in flight (each call takes 200 ms: none is done)
      onStart: () => {
        if (++started === 4) setTimeout(() => abandon.abort(), 100);
      },
    });
    await file.closeAsync();
    expect(result.written).toHaveLength(0);
    expect(result.abandoned).toBe(4);
    expect(readFileSync(path, "utf8")).toBe("");
  });

  it("a model factory that cannot be loaded stops the run before any job, in one line", async () => {
    const error = await generateInThreads({
      ...threads(),
      factory: { module: THREAD_MODELS, export: "nothingHere" },
    })({ jobs: planJobs({ languages: ["es"], n: 2, seed: 1 }), context: CONTEXT, concurrency: 2 }).catch(
      (e: unknown) => e,
    );
    expect((error as Error).message).toBe(`${THREAD_MODELS} has no function "nothingHere" to build a model with`);
  });
});
