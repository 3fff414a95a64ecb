/**
 * `npm run export` on `npm run eval`'s records (written by the real eval generation with a scripted model), then
 * the PersonaChat export read back by `npm run audit` and `npm run eval -- --dataset … --format xpersona` as child
 * processes: the same dialogues come back; the Parquet export audited gives what the JSONL journal gives.
 */
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { runGenerateEval } from "../evals/run.js";
import { scriptedWriter } from "../testing/scripted-eval-models.js";
import { readRecords } from "../app/run/record-file.js";
import { fineTuningProblems } from "../testing/fine-tuning.js";
import { startScript } from "../testing/processes.js";

const dir = mkdtempSync(join(tmpdir(), "export-cli-"));
const records = join(dir, "eval", "records", "baseline.jsonl");

const run = (script: string, args: string[]) => startScript(script, args, { LANGCHAIN_TRACING_V2: "false" }).done;

beforeAll(async () => {
  await runGenerateEval({
    out: join(dir, "eval"),
    command: "setup",
    seed: 1,
    resamples: 100,
    scoreRejected: false,
    judge: null,
    variants: ["baseline"],
    languages: ["es"],
    n: 3,
    chatModel: scriptedWriter(),
    modelLabel: "scripted",
    context: { turnsMin: 5, turnsMax: 5 },
    concurrency: 1,
    langsmith: null,
  });
}, 300_000);

describe("npm run export", () => {
  it("exports eval records as messages and PersonaChat; audit and eval read the PersonaChat file back as the same dialogues", async () => {
    const written = readRecords(records).records.filter((r) => r.status === "accepted");
    expect(written.length).toBeGreaterThan(0);
    const result = await run("scripts/export.ts", [
      "--out",
      records,
      "--format",
      "personachat,messages",
      "--common-ground",
    ]);
    expect(result.code, result.stderr).toBe(0);
    const personachat = join(dir, "eval", "records", "baseline.personachat.json");
    const messages = readFileSync(join(dir, "eval", "records", "baseline.messages.jsonl"), "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { messages: { content: string }[] });
    expect(messages).toHaveLength(2 * written.length);
    messages.forEach((example, i) => {
      const record = written[Math.floor(i / 2)]!;
      expect(fineTuningProblems(example, record.personas[i % 2]!.sentences)).toEqual([]);
      expect(example.messages[0]!.content).toContain(record.common_ground);
    });
    // the card: no run log for eval records, still the Hub header and the files
    const card = readFileSync(join(dir, "eval", "records", "baseline.card.md"), "utf8");
    const yaml = parseYaml(/^---\n([\s\S]*?)\n---\n/.exec(card)![1]!) as {
      configs: { config_name: string; data_files: { split: string; path: string }[] }[];
    };
    expect(yaml.configs).toEqual([
      { config_name: "default", data_files: [{ split: "train", path: "baseline.personachat.json" }] },
      { config_name: "messages", data_files: [{ split: "train", path: "baseline.messages.jsonl" }] },
    ]);
    expect(card).not.toContain("## How it was made");

    const audit = await run("scripts/audit.ts", [personachat, "--lang", "es", "--json"]);
    expect(audit.code, audit.stderr).toBe(0);
    expect(audit.stdout.trim().split("\n")).toHaveLength(written.length);

    const evalOut = join(dir, "scored");
    const scored = await run("scripts/eval.ts", [
      "--dataset",
      personachat,
      "--format",
      "xpersona",
      "--lang",
      "es",
      "--out",
      evalOut,
      "--resamples",
      "100",
    ]);
    expect(scored.code, scored.stderr).toBe(0);
    const results = JSON.parse(readFileSync(join(evalOut, "results.json"), "utf8")) as {
      groups: { counts: { dialogues: number } }[];
      dialogues: { turns?: number }[];
    };
    expect(results.groups[0]!.counts.dialogues).toBe(written.length);
    // the eval's reader gives the same turns as our records
    const { fromXPersona } = await import("../evals/dialogues.js");
    const back = fromXPersona(JSON.parse(readFileSync(personachat, "utf8")), "es");
    expect(back.map((d) => d.turns.map((t) => t.text))).toEqual(written.map((r) => r.turns.map((t) => t.text)));
  }, 600_000);

  it("npm run audit reads the Parquet export: the same verdicts as on the JSONL journal it came from", async () => {
    const all = readRecords(records).records;
    const result = await run("scripts/export.ts", ["--out", records, "--format", "parquet"]);
    expect(result.code, result.stderr).toBe(0);
    const parquet = join(dir, "eval", "records", "baseline.parquet");
    const fromParquet = await run("scripts/audit.ts", [parquet, "--json"]);
    const fromJsonl = await run("scripts/audit.ts", [records, "--json"]);
    expect(fromParquet.stderr).toBe("");
    expect([0, 1]).toContain(fromParquet.code);
    expect(fromParquet.code).toBe(fromJsonl.code);
    const verdicts = fromParquet.stdout
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as { id: string });
    expect(verdicts.map((v) => v.id)).toEqual(all.map((r) => r.id));
    expect(fromParquet.stdout).toBe(fromJsonl.stdout);
    // the table names the format it read
    const table = await run("scripts/audit.ts", [parquet]);
    expect(table.stdout).toContain(
      `${all.length} dialogue(s), ${all.reduce((n, r) => n + r.turns.length, 0)} turn(s), language es (parquet)`,
    );
  }, 300_000);

  it("refuses a missing journal and contradictory flags with one line and exit code 2", async () => {
    for (const [args, message] of [
      [["--out", join(dir, "none.jsonl"), "--format", "messages"], /no such file/],
      [["--out", records, "--splits", "0.5,0.6"], /must sum to 1/],
      [["--out", records, "--format", "xml"], /unknown --format "xml"/],
    ] as const) {
      const result = await run("scripts/export.ts", [...args]);
      expect(result.code).toBe(2);
      expect(result.stderr.trim().split("\n")).toHaveLength(1);
      expect(result.stderr).toMatch(message);
    }
    expect(existsSync(join(dir, "none.card.md"))).toBe(false);
  }, 300_000);
});
