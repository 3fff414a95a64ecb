import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ScriptedChatModel, type ScriptedCall } from "../../testing/scripted-model.js";
import { DialogueFailedError, generateDialogues, planJobs } from "./generate.js";
import { makeRecord } from "../../testing/records.js";
import { completeLines } from "../../testing/processes.js";
import { RecordFile } from "./record-file.js";
import { spanishScript, spanishScriptedModel } from "../../testing/spanish-script.js";

const tempFile = () => join(mkdtempSync(join(tmpdir(), "generate-")), "out.jsonl");
const CONTEXT = { turnsMin: 4, turnsMax: 4 };
// the ids of the records whose line is complete: the next record's append may be part-way while one is read
const ids = (path: string) => completeLines(path).map((line) => (JSON.parse(line) as { id: string }).id);

/** The scripted Spanish model, except that the calls of one dialogue (found by a persona source sentence) throw. */
function failingFor(marker: string, latencyMs = 20) {
  const good = spanishScript();
  return new ScriptedChatModel(
    async (call: ScriptedCall, calls) => {
      if (call.messages.some((m) => m.text.includes(marker))) throw new Error("connection reset by peer");
      return good(call, calls);
    },
    { latencyMs },
  );
}

describe("generateDialogues (worker pool)", () => {
  it("writes every job once, with a concurrency of 3", async () => {
    const path = tempFile();
    const file = RecordFile.open(path).file;
    const jobs = planJobs({ languages: ["es"], n: 5, seed: 1 });
    const result = await generateDialogues({
      jobs,
      context: { chatModel: spanishScriptedModel(5), ...CONTEXT },
      concurrency: 3,
      file,
    });
    await file.closeAsync();
    expect(result.written).toHaveLength(5);
    expect(ids(path).sort()).toEqual(jobs.map((j) => j.id).sort());
  });

  it("on a failing dialogue: takes no new job, writes the others in flight, then throws one line", async () => {
    const path = tempFile();
    const file = RecordFile.open(path).file;
    const jobs = planJobs({ languages: ["es"], n: 12, seed: 1 });
    const marker = jobs[1]!.sourcePersonas![0][0]!;
    const others = jobs.filter((j) => j.sourcePersonas!.flat().includes(marker));
    let error: unknown;
    try {
      await generateDialogues({ jobs, context: { chatModel: failingFor(marker), ...CONTEXT }, concurrency: 3, file });
    } catch (e) {
      error = e;
    }
    await file.closeAsync();
    expect(error).toBeInstanceOf(DialogueFailedError);
    expect((error as Error).message).toMatch(/^dialogue es-1-0000\d failed: connection reset by peer$/);
    const written = ids(path);
    // jobs 0 and 2 were in flight beside job 1: they finish and are written; the queue behind them is not started
    expect(written).toContain("es-1-00000");
    expect(written).toContain("es-1-00002");
    expect(written.length).toBeLessThan(12 - others.length);
    expect((error as DialogueFailedError).written).toBe(written.length);
  });

  it("abandons the dialogues in flight on the abort signal, writing nothing partial", async () => {
    const path = tempFile();
    const file = RecordFile.open(path).file;
    const abandon = new AbortController();
    const model = spanishScriptedModel(30);
    setTimeout(() => abandon.abort(), 150);
    const result = await generateDialogues({
      jobs: planJobs({ languages: ["es"], n: 6, seed: 1 }),
      context: { chatModel: model, ...CONTEXT },
      concurrency: 3,
      file,
      abortSignal: abandon.signal,
    });
    await file.closeAsync();
    expect(result.written).toHaveLength(0);
    expect(result.abandoned).toBe(3);
    expect(readFileSync(path, "utf8")).toBe("");
  });

  it("takes the next job while a record goes to disk; a record counts only once it is there", async () => {
    const path = tempFile();
    const file = RecordFile.open(path).file;
    // the disk is slow: no append finishes until the gate opens
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    const append = file.appendAsync.bind(file);
    file.appendAsync = async (record) => {
      await gate;
      return append(record);
    };
    const jobs = planJobs({ languages: ["es"], n: 3, seed: 1 });
    const started: string[] = [];
    const onDisk: boolean[] = [];
    const run = generateDialogues({
      jobs,
      context: { chatModel: spanishScriptedModel(0), ...CONTEXT },
      concurrency: 1,
      file,
      onStart: (job) => {
        started.push(job.id);
        if (started.length === jobs.length) open();
      },
      onRecord: (record) => onDisk.push(ids(path).includes(record.id)),
    });
    const result = await run;
    await file.closeAsync();
    // one worker started all three dialogues while the first record was still waiting for the disk
    expect(started).toEqual(jobs.map((j) => j.id));
    expect(result.written.map((r) => r.id)).toEqual(jobs.map((j) => j.id));
    expect(onDisk).toEqual([true, true, true]);
    expect(ids(path)).toEqual(jobs.map((j) => j.id));
  });

  it("stops taking jobs when a record cannot be written, and throws after the appends in flight", async () => {
    const path = tempFile();
    const file = RecordFile.open(path).file;
    const append = file.appendAsync.bind(file);
    let appends = 0;
    file.appendAsync = (record) =>
      appends++ === 0 ? Promise.reject(new Error("ENOSPC: no space left on device")) : append(record);
    const jobs = planJobs({ languages: ["es"], n: 8, seed: 1 });
    const error = await generateDialogues({
      jobs,
      context: { chatModel: spanishScriptedModel(2), ...CONTEXT },
      concurrency: 1,
      file,
    }).catch((e: unknown) => e);
    await file.closeAsync();
    expect(error).toBeInstanceOf(DialogueFailedError);
    expect((error as Error).message).toBe(`dialogue ${jobs[0]!.id} failed: ENOSPC: no space left on device`);
    // at most the dialogue that was being written when the append failed is written after it; the rest are not started
    expect(ids(path).length).toBeLessThanOrEqual(1);
    expect((error as DialogueFailedError).written).toBe(ids(path).length);
  });

  it("lets the run review each record before it is written (near-duplicate rejection)", async () => {
    const path = tempFile();
    const file = RecordFile.open(path).file;
    const result = await generateDialogues({
      jobs: planJobs({ languages: ["es"], n: 2, seed: 1 }),
      context: { chatModel: spanishScriptedModel(0), ...CONTEXT },
      file,
      review: () => makeRecord("es-1-00000", "es", ["x"], "rejected"),
    });
    await file.closeAsync();
    expect(result.written.every((r) => r.status === "rejected")).toBe(true);
  });
});

describe("RecordFile.appendAsync", () => {
  it("writes whole lines, once per id, even when appends overlap", async () => {
    const path = tempFile();
    const file = RecordFile.open(path).file;
    await Promise.all(
      [0, 1, 2, 1, 0].map((i) => file.appendAsync(makeRecord(`es-1-0000${i}`, "es", ["hola ".repeat(2000)]))),
    );
    await file.closeAsync();
    const lines = readFileSync(path, "utf8").split("\n");
    expect(lines.at(-1)).toBe("");
    expect(lines.slice(0, -1).map((l) => JSON.parse(l).id)).toEqual(["es-1-00000", "es-1-00001", "es-1-00002"]);
  });
});
