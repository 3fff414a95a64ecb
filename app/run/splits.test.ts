import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { createRng } from "../../lib/random.js";
import type { DialogueRecord } from "../../lib/records/schema.js";
import { fineTuningProblems } from "../../testing/fine-tuning.js";
import { type ExportFormat, writeDataset } from "./export.js";
import { randomRecords } from "../../testing/records.js";
import { readRecords } from "./record-file.js";
import { apportion, planSplits } from "./splits.js";
import { summarize } from "./summary.js";

const sourcePersonas = (r: DialogueRecord) => r.personas.map((p) => p.source_sentences.join("\n"));

function exportSplits(
  records: DialogueRecord[],
  shares: number[],
  seed: number,
  formats: ExportFormat[] = ["jsonl", "messages", "personachat"],
) {
  const out = join(mkdtempSync(join(tmpdir(), "splits-")), "run.jsonl");
  const written = writeDataset({
    out,
    records,
    formats,
    acceptedOnly: false,
    includeRejected: false,
    commonGround: false,
    splits: shares,
    seed,
    summary: summarize(records),
    config: null,
    command: "npm run export -- --out run.jsonl",
  });
  return { out, written };
}

describe("--splits", () => {
  it("are persona-disjoint and within one dialogue of the shares of what they hold, over seeds, sizes and persona webs", () => {
    let cases = 0;
    for (const seed of [1, 2, 3]) {
      for (const [n, personas] of [
        [12, 40], // tiny: some splits get one dialogue or none
        [150, 400], // many personas: small pieces
        [150, 30], // few personas: one web
        [400, 120],
      ] as const) {
        for (const shares of [
          [0.8, 0.1, 0.1],
          [0.7, 0.3],
          [0.6, 0.2, 0.2],
        ]) {
          const records = randomRecords(createRng(seed * 1000 + n + personas), n, personas);
          const { out } = exportSplits(records, shares, seed, ["jsonl", "personachat"]);
          const names = shares.length === 3 ? ["train", "validation", "test"] : ["train", "test"];
          const splits = names.map((name) => readRecords(join(dirname(out), `run.${name}.jsonl`)).records);
          // persona-disjoint: no source persona in two splits
          const owner = new Map<string, string>();
          splits.forEach((records, s) => {
            for (const persona of records.flatMap(sourcePersonas)) {
              expect(owner.get(persona) ?? names[s], `${persona} in ${owner.get(persona)} and ${names[s]}`).toBe(
                names[s],
              );
              owner.set(persona, names[s]!);
            }
          });
          // accepted dialogues only (a training format was asked for), each in one split at most
          const ids = splits.flat().map((r) => r.id);
          expect(new Set(ids).size).toBe(ids.length);
          expect(splits.flat().every((r) => r.status === "accepted")).toBe(true);
          // sizes within one dialogue of the requested shares of the dialogues the splits hold
          const total = ids.length;
          splits.forEach((records, s) =>
            expect(Math.abs(records.length - shares[s]! * total), `${names[s]} of ${total}`).toBeLessThan(1),
          );
          // with many personas little is lost
          if (personas >= 2 * n && n >= 100)
            expect(total).toBeGreaterThan(0.85 * records.filter((r) => r.status === "accepted").length);
          cases++;
        }
      }
    }
    expect(cases).toBe(36);
  });

  it("are deterministic from the seed, and another seed deals differently", () => {
    const records = randomRecords(createRng(4), 200, 300);
    const a = planSplits(records, [0.8, 0.1, 0.1], 1);
    expect(planSplits(records, [0.8, 0.1, 0.1], 1)).toEqual(a);
    expect(planSplits(records, [0.8, 0.1, 0.1], 2).splits[2]!.ids).not.toEqual(a.splits[2]!.ids);
  });

  it("are stratified by language and speech event when personas allow it", () => {
    // every dialogue its own two personas: nothing ties dialogues together
    const records = randomRecords(createRng(9), 600, 100_000, ["es", "fr", "de"], ["small_talk", "gossip"]);
    const plan = planSplits(records, [0.8, 0.1, 0.1], 1);
    expect(plan.leftOut).toHaveLength(0);
    const stratum = (r: DialogueRecord) => `${r.language}/${r.speech_event.id}`;
    const byId = new Map(records.map((r) => [r.id, r]));
    const totals = new Map<string, number>();
    for (const r of records) totals.set(stratum(r), (totals.get(stratum(r)) ?? 0) + 1);
    for (const split of plan.splits) {
      const counts = new Map<string, number>();
      for (const id of split.ids) counts.set(stratum(byId.get(id)!), (counts.get(stratum(byId.get(id)!)) ?? 0) + 1);
      for (const [key, total] of totals)
        expect(Math.abs((counts.get(key) ?? 0) - split.share * total), `${split.name} ${key}`).toBeLessThanOrEqual(1);
    }
  });

  it("write each format per split, and a card whose YAML names every split file of every format", () => {
    const records = randomRecords(createRng(21), 120, 200);
    const { out, written } = exportSplits(records, [0.8, 0.1, 0.1], 1, ["messages", "personachat", "parquet"]);
    const card = readFileSync(join(dirname(out), "run.card.md"), "utf8");
    expect(written).toContain(join(dirname(out), "run.card.md"));
    const front = /^---\n([\s\S]*?)\n---\n/.exec(card);
    expect(front).not.toBeNull();
    const yaml = parseYaml(front![1]!) as {
      configs: { config_name: string; data_files: { split: string; path: string }[] }[];
      language: string[];
    };
    expect(yaml.language).toEqual(["es", "fr"]);
    expect(yaml.configs.map((c) => c.config_name)).toEqual(["default", "personachat", "parquet"]);
    const suffixes = ["messages.jsonl", "personachat.json", "parquet"];
    yaml.configs.forEach((config, i) => {
      expect(config.data_files.map((f) => f.split)).toEqual(["train", "validation", "test"]);
      expect(config.data_files.map((f) => f.path)).toEqual(
        ["train", "validation", "test"].map((s) => `run.${s}.${suffixes[i]}`),
      );
      for (const file of config.data_files) expect(existsSync(join(dirname(out), file.path)), file.path).toBe(true);
    });
    // every file written is in the card, and the three formats hold the same dialogues per split
    const named = yaml.configs.flatMap((c) => c.data_files.map((f) => f.path));
    expect(
      written
        .map((p) => basename(p))
        .filter((p) => p !== "run.card.md")
        .sort(),
    ).toEqual([...named].sort());
    for (const split of ["train", "validation", "test"]) {
      const messages = readFileSync(join(dirname(out), `run.${split}.messages.jsonl`), "utf8")
        .trim()
        .split("\n")
        .filter(Boolean)
        .map((l) => JSON.parse(l) as unknown);
      const personachat = JSON.parse(
        readFileSync(join(dirname(out), `run.${split}.personachat.json`), "utf8"),
      ) as unknown[];
      expect(messages).toHaveLength(2 * personachat.length);
      for (const example of messages) expect(fineTuningProblems(example)).toEqual([]);
    }
  });

  it("apportion by largest remainder", () => {
    expect(apportion(10, [0.8, 0.1, 0.1])).toEqual([8, 1, 1]);
    expect(apportion(7, [0.8, 0.1, 0.1])).toEqual([5, 1, 1]);
    expect(apportion(0, [0.5, 0.5])).toEqual([0, 0]);
  });
});
