import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { beforeAll, describe, expect, it } from "vitest";
import { writeTinyGguf } from "../lib/models/tiny-gguf.js";
import { DialogueRecordSchema } from "../lib/records/schema.js";
import type { EvalResults } from "./report.js";
import { runGenerateEval } from "./run.js";
import { scriptedWriter } from "../testing/scripted-eval-models.js";

const root = fileURLToPath(new URL("..", import.meta.url));
const tsx = join(root, "node_modules", ".bin", "tsx");
const dir = mkdtempSync(join(tmpdir(), "eval-cli-"));
const tiny = join(dir, "tiny.gguf");
const XPERSONA_IT = fileURLToPath(
  new URL("../../shared/data/xpersona/It_persona_split_valid_human_annotated.json", import.meta.url),
);

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

async function cli(args: string[]): Promise<CliResult> {
  try {
    const { stdout, stderr } = await promisify(execFile)(tsx, ["scripts/eval.ts", ...args], {
      cwd: root,
      env: {
        ...process.env,
        LANGSMITH_TRACING: "false",
        LANGCHAIN_TRACING_V2: "false",
        POLYGLOT_MODELS_DIR: join(dir, "empty-cache"),
      },
      timeout: 230_000,
      maxBuffer: 16 * 1024 * 1024,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    return { code: e.code ?? -1, stdout: e.stdout ?? "", stderr: e.stderr ?? "" };
  }
}

function expectOneLineError(result: CliResult, pattern: RegExp) {
  expect(result.code, result.stderr).toBe(2);
  const lines = result.stderr.trim().split("\n");
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(pattern);
}

const readResults = (out: string) => JSON.parse(readFileSync(join(out, "results.json"), "utf8")) as EvalResults;

describe("npm run eval (CLI)", () => {
  beforeAll(async () => {
    await writeTinyGguf(tiny);
  });

  it("compares two variants on the tiny random-weight GGUF: everything rejected, the report well-formed and saying so", async () => {
    const out = join(dir, "tiny-run");
    const result = await cli([
      "--variants",
      "baseline,no-common-ground",
      "--lang",
      "es",
      "--n",
      "2",
      "--model",
      tiny,
      "--threads",
      "1",
      "--out",
      out,
    ]);
    expect(result.code, result.stderr).toBe(0);
    for (const variant of ["baseline", "no-common-ground"]) {
      const records = readFileSync(join(out, "records", `${variant}.jsonl`), "utf8")
        .trim()
        .split("\n")
        .map((l) => DialogueRecordSchema.parse(JSON.parse(l)));
      expect(records.map((r) => r.id).sort()).toEqual(["es-1-00000", "es-1-00001"]);
      expect(records.every((r) => r.status === "rejected" && r.provenance.prompt_variant === variant)).toBe(true);
    }
    const results = readResults(out);
    expect(results.groups.map((g) => [g.variant, g.counts.dialogues, g.counts.accepted])).toEqual([
      ["baseline", 2, 0],
      ["no-common-ground", 2, 0],
    ]);
    expect(results.groups[0]!.metrics.acceptance_rate!.value).toBe(0);
    expect(results.groups[0]!.metrics.distinct_1).toMatchObject({
      value: null,
      note: "no dialogue to score (none accepted)",
    });
    expect(results.comparisons.filter((c) => c.metric === "acceptance_rate")).toHaveLength(1);
    const md = readFileSync(join(out, "report.md"), "utf8");
    expect(md).toContain("| | baseline | no-common-ground |");
    expect(md).toContain("No dialogue was accepted (0 of 4");
    expect(md).toMatch(/\| rejection reasons \| [a-z_]+ 2/);
    const html = readFileSync(join(out, "report.html"), "utf8");
    expect(html).toMatch(/^<!doctype html>/);
    expect(html.trim().endsWith("</html>")).toBe(true);
    expect(html).toContain("No dialogue was accepted");
    expect(result.stdout).toContain("baseline × es: 2 dialogues, 0 accepted");
  }, 600_000);

  it.skipIf(!existsSync(XPERSONA_IT))(
    "scores XPersona Italian (the MT baseline): distinct-1/2 equal their definition over the whole file",
    async () => {
      const out = join(dir, "xpersona-it");
      const result = await cli(["--dataset", XPERSONA_IT, "--format", "xpersona", "--lang", "it", "--out", out]);
      expect(result.code, result.stderr).toBe(0);
      for (const file of ["report.md", "report.html", "results.json"]) expect(existsSync(join(out, file))).toBe(true);
      // independent recomputation from the raw file
      const segmenter = new Intl.Segmenter("it", { granularity: "word" });
      const uni: string[] = [];
      const bi: string[] = [];
      for (const entry of JSON.parse(readFileSync(XPERSONA_IT, "utf8")) as { dialogue: string[][] }[]) {
        for (const utterance of entry.dialogue.flat()) {
          if (utterance === "__SILENCE__") continue;
          const words = [...segmenter.segment(utterance)]
            .filter((s) => s.isWordLike)
            .map((s) => s.segment.toLocaleLowerCase("it"));
          uni.push(...words);
          for (let i = 1; i < words.length; i++) bi.push(`${words[i - 1]}\u0000${words[i]}`);
        }
      }
      const metrics = readResults(out).groups[0]!.metrics;
      expect(metrics.distinct_1!.value).toBeCloseTo(new Set(uni).size / uni.length, 12);
      expect(metrics.distinct_2!.value).toBeCloseTo(new Set(bi).size / bi.length, 12);
      expect(metrics.language_fidelity!.value).toBeGreaterThan(0.9);
      expect(metrics.judge_naturalness!.note).toBe("not measured: no judge model (--judge-model)");
    },
    600_000,
  );

  it("runs the three judges on the real engine (grammar-forced answers) over a JSONL of our records", async () => {
    const scripted = join(dir, "scripted");
    await runGenerateEval({
      out: scripted,
      command: "setup",
      seed: 1,
      resamples: 100,
      scoreRejected: false,
      judge: null,
      variants: ["baseline"],
      languages: ["es"],
      n: 2,
      chatModel: scriptedWriter(),
      modelLabel: "scripted",
      context: { turnsMin: 4, turnsMax: 4 },
      concurrency: 1,
      langsmith: null,
    });
    const out = join(dir, "judged");
    const result = await cli([
      "--dataset",
      join(scripted, "records", "baseline.jsonl"),
      "--judge-model",
      tiny,
      "--threads",
      "1",
      "--out",
      out,
      "--resamples",
      "200",
    ]);
    expect(result.code, result.stderr).toBe(0);
    const results = readResults(out);
    expect(results.meta.judge?.model).toBe("llama-cpp:tiny.gguf");
    expect(results.meta.judge_calls).toBeGreaterThanOrEqual(6);
    const judged = results.dialogues.map((d) => d.judge!);
    expect(judged.every((j) => j.failures.length === 0)).toBe(true);
    expect(
      judged.every((j) => [1, 2, 3, 4, 5].includes(j.naturalness!) && typeof j.speech_event_guess === "string"),
    ).toBe(true);
    expect(results.groups[0]!.metrics.speech_event_accuracy!.value).not.toBeNull();
  }, 600_000);

  it("refuses bad flags and files with one line and exit code 2", async () => {
    const notRecords = join(dir, "notes.jsonl");
    writeFileSync(notRecords, '{"id": 1}\n');
    const x = join(dir, "x");
    // one case per kind of mistake (the flag rules themselves are unit-tested in evals/run.test.ts)
    const cases: [string[], RegExp][] = [
      [["--lang", "es", "--out", x, "--bogus"], /bogus/],
      [["--lang", "zz-bad", "--out", x], /unknown language code "zz-bad"/],
      [["--lang", "es", "--out", x, "--variants", "baseline,nope"], /unknown prompt variant "nope"/],
      [
        ["--dataset", join(dir, "missing.json"), "--lang", "it", "--out", x],
        /cannot read --dataset .*missing\.json: ENOENT/,
      ],
      [["--dataset", notRecords, "--out", x], /notes\.jsonl line 1 is not a dialogue record/],
      [["--lang", "es", "--out", x, "--model", join(dir, "nope.gguf")], /nope\.gguf/],
    ];
    // three at a time: each is a fresh process (tsx start-up dominates)
    for (let i = 0; i < cases.length; i += 3) {
      const batch = cases.slice(i, i + 3);
      const results = await Promise.all(batch.map(([args]) => cli(args)));
      results.forEach((result, k) => expectOneLineError(result, batch[k]![1]));
    }
    expect(existsSync(x)).toBe(false);
  }, 600_000);
});
