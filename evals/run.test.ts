import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { UsageError } from "../app/cli/errors.js";
import { ScriptedChatModel } from "../testing/scripted-model.js";
import { DialogueRecordSchema } from "../lib/records/schema.js";
import { parseEvalFlags } from "./flags.js";
import { loadJudgePrompts } from "./judges.js";
import type { EvalResults } from "./report.js";
import { runGenerateEval } from "./run.js";
import { scriptedJudge, scriptedWriter } from "../testing/scripted-eval-models.js";

function run(
  chatModel: ScriptedChatModel,
  options: { judge?: boolean | ScriptedChatModel; variants?: string[]; out?: string } = {},
) {
  const out = options.out ?? mkdtempSync(join(tmpdir(), "eval-run-"));
  return runGenerateEval({
    out,
    command: "npm run eval -- (test)",
    seed: 1,
    resamples: 200,
    price: { input: 0.1, output: 0.4 },
    scoreRejected: false,
    judge: options.judge
      ? {
          model: options.judge === true ? scriptedJudge() : options.judge,
          prompts: loadJudgePrompts("baseline"),
          label: "scripted:judge",
        }
      : null,
    variants: options.variants ?? ["baseline", "no-common-ground"],
    languages: ["es"],
    n: 2,
    chatModel,
    modelLabel: "scripted:writer",
    context: { turnsMin: 4, turnsMax: 6 },
    concurrency: 1,
    langsmith: null,
  }).then((results) => ({ results, out }));
}

const metricOf = (results: EvalResults, variant: string, key: string) =>
  results.groups.find((g) => g.variant === variant)!.metrics[key]!;

describe("npm run eval, generation mode (scripted models)", () => {
  it("generates the same jobs with each variant, scores them, pairs them, and writes every output", async () => {
    const writer = scriptedWriter();
    // a judge whose scores differ from one dialogue to the next: the figures must be the means of what it said
    const naturalness = [1, 5, 3, 4]; // however they fall into two pairs, the pairs' means differ
    const commonGround = [1, 4];
    let naturalCalls = 0;
    let commonGroundCalls = 0;
    const judge = scriptedJudge({
      naturalness_judge: () =>
        JSON.stringify({ evidence: "…", naturalness: naturalness[naturalCalls++ % 4], sounds_translated: false }),
      persona_judge: (call) =>
        JSON.stringify({
          evidence: "…",
          persona_grounding: 3,
          contradiction: false,
          contradicting_turns: [],
          ...(call.messages[0]?.text.includes("common_ground_use")
            ? { common_ground_use: commonGround[commonGroundCalls++ % 2] }
            : {}),
        }),
    });
    const { results, out } = await run(writer, { judge });
    for (const file of [
      "report.md",
      "report.html",
      "results.json",
      "records/baseline.jsonl",
      "records/no-common-ground.jsonl",
    ]) {
      expect(existsSync(join(out, file)), file).toBe(true);
    }
    const ids = (variant: string) =>
      readFileSync(join(out, "records", `${variant}.jsonl`), "utf8")
        .trim()
        .split("\n")
        .map((l) => DialogueRecordSchema.parse(JSON.parse(l)));
    const base = ids("baseline");
    const ablated = ids("no-common-ground");
    expect(base.map((r) => r.id).sort()).toEqual(ablated.map((r) => r.id).sort());
    expect(base.map((r) => r.personas.map((p) => p.source_sentences))).toEqual(
      base.map((r) => ablated.find((a) => a.id === r.id)!.personas.map((p) => p.source_sentences)),
    );
    expect(base.every((r) => r.status === "accepted" && r.common_ground !== "")).toBe(true);
    expect(ablated.every((r) => r.status === "accepted" && r.common_ground === "")).toBe(true);

    expect(results.groups.map((g) => `${g.variant}/${g.language}/${g.counts.accepted}`)).toEqual([
      "baseline/es/2",
      "no-common-ground/es/2",
    ]);
    expect(metricOf(results, "baseline", "acceptance_rate").value).toBe(1);
    expect(metricOf(results, "baseline", "language_fidelity").value).toBe(1);
    expect(metricOf(results, "baseline", "distinct_1").value).toBeGreaterThan(0);
    expect(metricOf(results, "baseline", "distinct_1").method).toBe("jackknife normal");
    const judged = results.dialogues as {
      variant: string;
      judge: { naturalness: number | null; common_ground_use: number | null } | null;
    }[];
    const scoresOf = (variant: string, key: "naturalness" | "common_ground_use") =>
      judged.filter((d) => d.variant === variant).map((d) => d.judge![key]);
    const mean = (xs: (number | null)[]) => xs.reduce((a: number, b) => a + b!, 0) / xs.length;
    // every answer the judge gave is in one dialogue's figures, and each variant's figure is the mean of its own
    expect([...scoresOf("baseline", "naturalness"), ...scoresOf("no-common-ground", "naturalness")].sort()).toEqual([
      1, 3, 4, 5,
    ]);
    expect(metricOf(results, "baseline", "judge_naturalness").value).toBeCloseTo(
      mean(scoresOf("baseline", "naturalness")),
      12,
    );
    expect(metricOf(results, "no-common-ground", "judge_naturalness").value).toBeCloseTo(
      mean(scoresOf("no-common-ground", "naturalness")),
      12,
    );
    expect(metricOf(results, "baseline", "judge_naturalness").value).not.toBe(
      metricOf(results, "no-common-ground", "judge_naturalness").value,
    );
    expect(scoresOf("baseline", "common_ground_use").sort()).toEqual([1, 4]);
    expect(metricOf(results, "baseline", "judge_common_ground_use").value).toBe(2.5);
    expect(metricOf(results, "no-common-ground", "common_ground_recall")).toMatchObject({
      value: null,
      note: "not measured: no common ground",
    });
    expect(metricOf(results, "no-common-ground", "judge_common_ground_use").value).toBeNull();
    expect(metricOf(results, "baseline", "cost_per_accepted").value).toBeGreaterThan(0);
    // the no-common-ground variant skips one LLM call per dialogue: fewer tokens per accepted dialogue
    expect(metricOf(results, "no-common-ground", "tokens_per_accepted").value!).toBeLessThan(
      metricOf(results, "baseline", "tokens_per_accepted").value!,
    );
    const tokens = results.comparisons.find((c) => c.metric === "tokens_per_accepted")!;
    expect(tokens).toMatchObject({
      variant: "no-common-ground",
      reference: "baseline",
      n: 2,
      method: "paired bootstrap",
    });
    expect(tokens.diff!).toBeLessThan(0);
    expect(results.meta.judge_calls).toBe(4 * 3);

    const md = readFileSync(join(out, "report.md"), "utf8");
    expect(md).toContain("| | baseline | no-common-ground |");
    expect(md).toContain("### es: variants against baseline (paired)");
    expect(md).toMatch(/\| Common-ground token recall \| [0-9.]+ .*\| n\/a \(not measured: no common ground\) \|/);
    const html = readFileSync(join(out, "report.html"), "utf8");
    expect(html).not.toMatch(/<(link|img)\b|src=|href="http/);
    expect((html.match(/<svg class="chart"/g) ?? []).length).toBeGreaterThan(10);
    const json = JSON.parse(readFileSync(join(out, "results.json"), "utf8")) as EvalResults;
    expect(json.dialogues).toHaveLength(4);
    expect(json.meta.variants.map((v) => v.manifest?.commonGround)).toEqual([true, false]);

    // a rerun resumes: nothing is generated again, the figures are the same
    const again = scriptedWriter();
    const second = await run(again, { judge: true, out });
    expect(again.calls).toHaveLength(0);
    expect(second.results.groups.map((g) => g.metrics.distinct_2!.value)).toEqual(
      results.groups.map((g) => g.metrics.distinct_2!.value),
    );
  });

  it("says plainly when nothing was accepted, and keeps the report well-formed", async () => {
    const broken = new ScriptedChatModel(() => "I am not going to write JSON.");
    const { results, out } = await run(broken);
    expect(results.groups.every((g) => g.counts.accepted === 0 && g.counts.dialogues === 2)).toBe(true);
    expect(results.notes[0]).toMatch(/^No dialogue was accepted \(0 of 4/);
    expect(results.notes).toContain(
      "No judge model was given (--judge-model): the LLM-judge metrics are not measured.",
    );
    expect(metricOf(results, "baseline", "acceptance_rate")).toMatchObject({ value: 0, n: 2 });
    expect(metricOf(results, "baseline", "distinct_1")).toMatchObject({
      value: null,
      note: "no dialogue to score (none accepted)",
    });
    expect(metricOf(results, "baseline", "tokens_per_accepted").value).toBeNull();
    expect(results.groups[0]!.rejections).toEqual({ structured_output: 2 });
    const md = readFileSync(join(out, "report.md"), "utf8");
    expect(md).toContain("No dialogue was accepted");
    expect(md).toContain("| rejection reasons | structured_output 2 | structured_output 2 |");
    const html = readFileSync(join(out, "report.html"), "utf8");
    expect(html).toContain("No dialogue to score (none accepted)");
    expect(html.trim().endsWith("</html>")).toBe(true);
  });
});

describe("eval flags", () => {
  const bad = (argv: string[], message: RegExp) => {
    expect(() => parseEvalFlags(argv)).toThrow(UsageError);
    expect(() => parseEvalFlags(argv)).toThrow(message);
  };
  it("parse a generation and a dataset command", () => {
    expect(
      parseEvalFlags([
        "--variants",
        "baseline,no-common-ground",
        "--lang",
        "es,fr",
        "--n",
        "20",
        "--out",
        "d",
        "--price",
        "0.15,0.6",
      ]),
    ).toMatchObject({
      variants: ["baseline", "no-common-ground"],
      lang: ["es", "fr"],
      n: 20,
      price: { input: 0.15, output: 0.6 },
      resamples: 1000,
    });
    expect(parseEvalFlags(["--dataset", "x.json", "--lang", "it", "--out", "d"])).toMatchObject({
      dataset: "x.json",
      lang: ["it"],
    });
    expect(parseEvalFlags(["--help"])).toBeNull();
  });
  it("refuse what does not make sense, in one line", () => {
    bad(["--lang", "es"], /--out DIR is required/);
    bad(["--out", "d"], /--lang is required/);
    bad(["--lang", "es", "--out", "d", "--n", "0"], /--n must be between 1/);
    bad(["--lang", "es", "--out", "d", "--price", "cheap"], /--price takes IN,OUT/);
    bad(["--lang", "es", "--out", "d", "--variants", "a,a"], /--variants lists a value twice/);
    bad(["--dataset", "x.txt", "--out", "d"], /--format jsonl\|xpersona is required/);
    bad(["--dataset", "x.json", "--format", "csv", "--out", "d"], /--format is jsonl or xpersona/);
    bad(["--dataset", "x.json", "--lang", "it,fr", "--out", "d"], /one --lang/);
    bad(["--lang", "es", "--out", "d", "--judge-provider", "openai"], /need --judge-model/);
    bad(["--lang", "es", "--out", "d", "--provider", "gpt"], /unknown --provider "gpt"/);
    bad(["--lang", "es", "--out", "d", "--bogus"], /bogus/);
  });
});
