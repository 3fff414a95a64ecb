import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { asyncBufferFromFile, parquetMetadataAsync } from "hyparquet";
import { describe, expect, it } from "vitest";
import { type BatchOptions, runBatch, shellCommand } from "./batch.js";
import { planJobs } from "./generate.js";
import { PLANNER_VERSION } from "../../lib/plan.js";
import { buildRunConfig } from "./run-config.js";
import { spanishScriptedModel } from "../../testing/spanish-script.js";

function quietStream() {
  const chunks: string[] = [];
  return {
    chunks,
    stream: { isTTY: false, write: (s: string) => (chunks.push(s), true) } as unknown as NodeJS.WriteStream,
  };
}

function options(out: string, n: number, extra: Partial<BatchOptions> = {}): BatchOptions {
  const chatModel = spanishScriptedModel(0);
  const err = quietStream();
  const config = buildRunConfig({
    seed: 1,
    settings: {
      promptVariant: "baseline",
      turnsMin: 4,
      turnsMax: 4,
      maxTurnRetries: 2,
      maxCritiqueRounds: 1,
      maxStructuredRetries: 2,
      maxTurnChars: 400,
    },
    promptHash: "0123456789ab",
    chatModel,
    personasSource: "built-in",
    personas: [["a"], ["b"]],
    speechEventsHash: "x",
    demonstrationsHash: "y",
    nearDuplicateThreshold: 0.8,
    plannerVersion: PLANNER_VERSION,
  });
  return {
    jobs: planJobs({ languages: ["es"], n, seed: 1 }),
    languages: ["es"],
    context: { chatModel, turnsMin: 4, turnsMax: 4 },
    concurrency: 2,
    out,
    runConfig: config,
    command: "npm run graph -- --lang es",
    handleSignals: false,
    progress: { tty: false, stream: err.stream, out: quietStream().stream },
    ...extra,
  };
}

describe("runBatch", () => {
  it("resumes when --n grows, and writes the summary, the Parquet export and the card from the records on disk", async () => {
    const dir = mkdtempSync(join(tmpdir(), "batch-"));
    const out = join(dir, "data.jsonl");
    const first = await runBatch(options(out, 3));
    expect(first.status).toBe("completed");
    expect(first.written).toBe(3);
    const second = await runBatch(
      options(out, 5, { formats: ["parquet"], acceptedOnly: true, price: { input: 0.5, output: 1.5 } }),
    );
    expect(second.written).toBe(2);
    expect(second.summary.total.dialogues).toBe(5);
    expect(second.summary.total.cost_usd).toBeGreaterThan(0);
    const summary = JSON.parse(readFileSync(join(dir, "data.summary.json"), "utf8"));
    expect(summary.languages.es.dialogues).toBe(5);
    expect(summary.config.seed).toBe(1);
    const accepted = second.summary.total.accepted;
    const file = await asyncBufferFromFile(join(dir, "data.parquet"));
    expect(Number((await parquetMetadataAsync(file)).num_rows)).toBe(accepted);
    expect(readFileSync(join(dir, "data.card.md"), "utf8")).toContain("(accepted only)");
    expect(JSON.parse(readFileSync(join(dir, "data.run.json"), "utf8")).sessions).toHaveLength(2);
  });

  it("runs without --out (nothing written) and still summarises", async () => {
    const result = await runBatch({ ...options("", 2), out: undefined });
    expect(result.summary.total.dialogues).toBe(2);
    expect(result.files).toEqual([]);
  });

  it("reports a failure in one line that says how to resume, after writing what finished", async () => {
    const dir = mkdtempSync(join(tmpdir(), "batch-"));
    const out = join(dir, "data.jsonl");
    const base = options(out, 4);
    const chatModel = spanishScriptedModel(0);
    const invoke = chatModel.invoke.bind(chatModel);
    let calls = 0;
    chatModel.invoke = async (...args: Parameters<typeof invoke>) => {
      if (++calls === 25) throw new Error("502 Bad Gateway\nfrom the server");
      return invoke(...args);
    };
    const error = await runBatch({ ...base, context: { ...base.context, chatModel } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    const message = (error as Error).message;
    expect(message.split("\n")).toHaveLength(1);
    expect(message).toMatch(
      /^dialogue es-1-0000\d failed: 502 Bad Gateway; \d dialogues are in .*data\.jsonl, resume with the same command: npm run graph -- --lang es$/,
    );
    expect(existsSync(join(dir, "data.summary.json"))).toBe(true);
  });

  it("shows the one dialogue in flight as it is written (live), several in flight as whole dialogues (print)", async () => {
    const printed = (record: { id: string }) => `PRINTED ${record.id}`;
    const live = quietStream();
    await runBatch({
      ...options("", 2),
      out: undefined,
      concurrency: 1,
      live: true,
      print: printed,
      progress: { tty: false, stream: quietStream().stream, out: live.stream },
    });
    const screen = live.chunks.join("");
    expect(screen).not.toContain("PRINTED");
    for (const id of ["es-1-00000", "es-1-00001"]) {
      expect(screen).toContain(`── ${id} · es\nA `);
      expect(screen).toMatch(new RegExp(`── ${id} · es · .* · 4 turns · (accepted|rejected)`));
    }
    // one after the other: the first dialogue's status line before the second one starts
    expect(screen.indexOf("── es-1-00000 · es · ")).toBeLessThan(screen.indexOf("── es-1-00001 · es\n"));
    // written piece by piece: a persona was on stdout before the first critique
    expect(live.chunks.findIndex((c) => c.startsWith("A "))).toBeLessThan(
      live.chunks.findIndex((c) => c.startsWith("Critique:")),
    );
    // two in flight: the whole dialogues as before, nothing live
    const batch = quietStream();
    await runBatch({
      ...options("", 2),
      out: undefined,
      concurrency: 2,
      live: true,
      print: printed,
      progress: { tty: false, stream: quietStream().stream, out: batch.stream },
    });
    expect(batch.chunks.sort()).toEqual(["PRINTED es-1-00000\n", "PRINTED es-1-00001\n"]);
    // resuming with one left to write, at concurrency 2: one in flight, shown live
    const dir = mkdtempSync(join(tmpdir(), "batch-"));
    const out = join(dir, "data.jsonl");
    await runBatch(options(out, 1));
    const resumed = quietStream();
    await runBatch({
      ...options(out, 2),
      live: true,
      print: printed,
      progress: { tty: false, stream: quietStream().stream, out: resumed.stream },
    });
    expect(resumed.chunks.join("")).toContain("── es-1-00001 · es\nA ");
    expect(resumed.chunks.join("")).not.toContain("PRINTED");
  });

  it("quotes a command line for the shell", () => {
    expect(shellCommand(["--lang", "es,fr", "--out", "my data.jsonl", "--personas", "it's.json"])).toBe(
      `--lang es,fr --out 'my data.jsonl' --personas 'it'\\''s.json'`,
    );
  });
});
