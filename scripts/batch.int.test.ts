/**
 * Large runs through the real CLI on the tiny random-weight GGUF: SIGKILL at any moment then the same command
 * resumes (no duplicate, no loss, no torn line); Ctrl-C stops gracefully and says how to resume; a different
 * configuration against the same file is refused; --format parquet writes a file a Parquet reader loads.
 */
import { appendFileSync, existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects } from "hyparquet";
import { beforeAll, describe, expect, it } from "vitest";
import { writeTinyGguf } from "../lib/models/tiny-gguf.js";
import { DialogueRecordSchema } from "../lib/records/schema.js";
import { completeLines, startScript } from "../testing/processes.js";

const dir = mkdtempSync(join(tmpdir(), "batch-cli-"));
const tinyModel = join(dir, "tiny.gguf");

/** The CLI as one node process, in its own process group, with an empty model cache. */
const start = (args: string[]) =>
  startScript("scripts/graph.ts", args, { POLYGLOT_MODELS_DIR: join(dir, "empty-cache") });

async function waitForLines(path: string, count: number, timeoutMs = 180_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (completeLines(path).length < count) {
    if (Date.now() > deadline) throw new Error(`no ${count} records in ${path} after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const args = (out: string, extra: string[] = []) => [
  "--lang",
  "es,fr",
  "--n",
  "6",
  "--concurrency",
  "3",
  "--model",
  tinyModel,
  "--threads",
  "1",
  "--out",
  out,
  "--quiet",
  ...extra,
];

describe("large runs (CLI, tiny GGUF)", () => {
  beforeAll(async () => {
    await writeTinyGguf(tinyModel);
  });

  it("resumes after SIGKILL: exactly 12 unique records, 6 per language, no torn line, a summary", async () => {
    const out = join(dir, "killed.jsonl");
    const first = start(args(out));
    await waitForLines(out, 1);
    process.kill(-first.child.pid!, "SIGKILL");
    const killed = await first.done;
    expect(killed.signal).toBe("SIGKILL");
    const before = completeLines(out).length;
    expect(before).toBeGreaterThanOrEqual(1);
    expect(before).toBeLessThan(12);
    // as if the kill had landed in the middle of a write
    appendFileSync(out, '{"id":"es-1-0000');

    const second = await start(args(out)).done;
    expect(second.code).toBe(0);
    expect(second.stderr).toMatch(/cut off a torn last line/);
    expect(second.stderr).toMatch(/dialogues already written; resuming/);
    const text = readFileSync(out, "utf8");
    expect(text.endsWith("\n")).toBe(true);
    const records = completeLines(out).map((line) => DialogueRecordSchema.parse(JSON.parse(line)));
    expect(records).toHaveLength(12);
    expect(new Set(records.map((r) => r.id)).size).toBe(12);
    expect(records.filter((r) => r.language === "es")).toHaveLength(6);
    expect(records.filter((r) => r.language === "fr")).toHaveLength(6);
    const summary = JSON.parse(readFileSync(join(dir, "killed.summary.json"), "utf8"));
    expect(summary.total.dialogues).toBe(12);
    expect(summary.languages.es.dialogues).toBe(6);
    expect(summary.wall_time_s).toBeGreaterThan(0);
    const runLog = JSON.parse(readFileSync(join(dir, "killed.run.json"), "utf8"));
    expect(runLog.sessions).toHaveLength(2);
    expect(second.stderr).toMatch(/12 dialogues: 0 accepted, 12 rejected/);

    // the same file with another configuration: refused in one line, exit code 2
    const refused = await start(args(out, ["--seed", "2"])).done;
    expect(refused.code).toBe(2);
    expect(refused.stderr.trim().split("\n")).toHaveLength(1);
    expect(refused.stderr).toMatch(/holds a run with another configuration \(seed: 1 → 2\)/);
    // growing --n resumes the same run
    expect(completeLines(out)).toHaveLength(12);
  });

  it("stops gracefully on Ctrl-C, writes no partial record, and says how to resume", async () => {
    const out = join(dir, "interrupted.jsonl");
    const run = start(args(out));
    await waitForLines(out, 1);
    process.kill(run.child.pid!, "SIGINT");
    const result = await run.done;
    expect(result.code).toBe(130);
    expect(result.stderr).toMatch(/SIGINT: no new dialogues/);
    expect(result.stderr).toMatch(/resume with the same command: npm run graph -- --lang es,fr --n 6/);
    const records = completeLines(out).map((line) => DialogueRecordSchema.parse(JSON.parse(line)));
    expect(records.length).toBeLessThan(12);
    expect(readFileSync(out, "utf8").endsWith("\n")).toBe(true);
    expect(existsSync(join(dir, "interrupted.summary.json"))).toBe(true);
  });

  it("--format parquet writes a Parquet file with one row per record, and a dataset card", async () => {
    const out = join(dir, "parquet.jsonl");
    const result = await start([
      "--lang",
      "es",
      "--n",
      "2",
      "--model",
      tinyModel,
      "--threads",
      "1",
      "--out",
      out,
      "--quiet",
      "--format",
      "parquet",
    ]).done;
    expect(result.code).toBe(0);
    const file = await asyncBufferFromFile(join(dir, "parquet.parquet"));
    expect(Number((await parquetMetadataAsync(file)).num_rows)).toBe(2);
    const rows = (await parquetReadObjects({ file })) as { id: string; personas: { source_sentences: string[] }[] }[];
    expect(rows.map((r) => r.id).sort()).toEqual(["es-1-00000", "es-1-00001"]);
    expect(rows[0]!.personas[0]!.source_sentences.length).toBeGreaterThan(0);
    expect(readFileSync(join(dir, "parquet.card.md"), "utf8")).toMatch(/^---\nlanguage:\n- es\n/);
  });
});
