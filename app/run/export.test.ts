import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects } from "hyparquet";
import { describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { ScriptedChatModel } from "../../testing/scripted-model.js";
import { renderDatasetCard, sizeCategory, writeParquet } from "./export.js";
import { makeRecord } from "../../testing/records.js";
import { buildRunConfig } from "./run-config.js";
import { summarize } from "./summary.js";

/** A row as hyparquet reads it back: the record's fields, int64 columns as bigint. */
interface ExportRow {
  id: string;
  turns: unknown;
  personas: unknown[];
  provenance: { trace_id: string | null; usage: { input_tokens: bigint | number }; created_at: string | number | Date };
  [column: string]: unknown;
}

function records() {
  const accepted = makeRecord("es-1-00000", "es", ["¡Hola! ¿Qué tal?", "Muy bien, ¿y tú?"]);
  accepted.critique = {
    persona_faithfulness: 4,
    speech_event_fit: 5,
    naturalness: 4,
    verdict: "accept",
    offending_turns: [],
    feedback: "",
  };
  accepted.personas[0]!.sentences = ["Soy enfermera.", "Vivo en Valencia."];
  accepted.personas[0]!.name = "Lucía";
  accepted.provenance.trace_id = "0190a8c4-0000-7000-8000-000000000000";
  const rejected = makeRecord("fr-1-00000", "fr", ["Bonjour"], "rejected");
  rejected.rejection_reasons = [
    { check: "language", detail: "detected en", turn: 0 },
    { check: "near_duplicate", detail: "similar to x" },
  ];
  rejected.failed_attempt = { stage: "turn", speaker: "B", turn: 1, text: "I'd rather answer in English." };
  const empty = makeRecord("zh-1-00000", "zh", [], "rejected");
  empty.failed_attempt = { stage: "persona", text: '{"name": "' };
  empty.provenance.usage = { input_tokens: 5_000_000_000, output_tokens: 0 };
  return [accepted, rejected, empty];
}

describe("Parquet export", () => {
  it("round-trips every record with nested lists and structs", async () => {
    const path = join(mkdtempSync(join(tmpdir(), "export-")), "data.parquet");
    const input = records();
    writeParquet(input, path);
    const file = await asyncBufferFromFile(path);
    const metadata = await parquetMetadataAsync(file);
    expect(Number(metadata.num_rows)).toBe(3);
    const rows = (await parquetReadObjects({ file })) as ExportRow[];
    expect(rows).toHaveLength(3);
    expect(rows.map((r) => r.id)).toEqual(["es-1-00000", "fr-1-00000", "zh-1-00000"]);
    const [a, r, e] = rows;
    expect(a!.turns).toEqual([
      { speaker: "A", text: "¡Hola! ¿Qué tal?" },
      { speaker: "B", text: "Muy bien, ¿y tú?" },
    ]);
    expect(a!.personas[0]).toEqual({
      speaker: "A",
      name: "Lucía",
      sentences: ["Soy enfermera.", "Vivo en Valencia."],
      source_sentences: ["I ski."],
    });
    expect(a!.critique).toMatchObject({ persona_faithfulness: 4, verdict: "accept", offending_turns: [] });
    expect(a!.speech_event).toEqual({ id: "small_talk", name: "Small talk", category: "informal_superficial" });
    expect(a!.provenance.trace_id).toBe("0190a8c4-0000-7000-8000-000000000000");
    expect(Number(a!.provenance.usage.input_tokens)).toBe(10);
    expect(new Date(a!.provenance.created_at).toISOString()).toBe(new Date(0).toISOString());
    expect(a!.rejection_reasons).toEqual([]);
    expect(r!.rejection_reasons).toEqual([
      { check: "language", detail: "detected en", turn: 0 },
      { check: "near_duplicate", detail: "similar to x", turn: null },
    ]);
    expect(r!.critique ?? null).toBeNull();
    expect(a!.failed_attempt ?? null).toBeNull();
    expect(r!.failed_attempt).toEqual({ stage: "turn", speaker: "B", turn: 1, text: "I'd rather answer in English." });
    expect(e!.failed_attempt).toEqual({ stage: "persona", speaker: null, turn: null, text: '{"name": "' });
    expect(e!.turns).toEqual([]);
    expect(Number(e!.provenance.usage.input_tokens)).toBe(5_000_000_000);
  });
});

describe("dataset card", () => {
  it("has a Hugging Face YAML header (languages, size category, license left to fill in) and the run's figures", () => {
    const input = records();
    const config = buildRunConfig({
      seed: 1,
      settings: {
        promptVariant: "baseline",
        turnsMin: 8,
        turnsMax: 14,
        maxTurnRetries: 2,
        maxCritiqueRounds: 1,
        maxStructuredRetries: 2,
        maxTurnChars: 400,
      },
      promptHash: "0123456789ab",
      chatModel: new ScriptedChatModel(() => "", { modelName: "qwen" }),
      personasSource: "built-in",
      personas: [["a"], ["b"]],
      speechEventsHash: "x",
      demonstrationsHash: "y",
      nearDuplicateThreshold: 0.8,
      plannerVersion: 1,
    });
    const card = renderDatasetCard({
      dataFile: "/tmp/out/data.parquet",
      rows: 3,
      acceptedOnly: false,
      summary: summarize(input),
      config,
      command: "npm run graph -- --lang es,fr,zh",
    });
    const header = card.split("---")[1]!;
    expect(header).toMatch(/language:\n- es\n- fr\n- zh\n/);
    expect(header).toMatch(/license: #/);
    expect(header).toMatch(/size_categories:\n- n<1K/);
    expect(header).toMatch(/path: data\.parquet/);
    expect(card).toContain("| es | 1 | 1 | 100.0 % |");
    expect(card).toContain("npm run graph -- --lang es,fr,zh");
    expect(sizeCategory(999)).toBe("n<1K");
    expect(sizeCategory(3000)).toBe("1K<n<10K");
    expect(sizeCategory(10_000)).toBe("10K<n<100K");
    // the header is YAML the Hub can read: one config whose data file is the Parquet written next to the card
    const parsed = parseYaml(header) as {
      language: string[];
      license: unknown;
      size_categories: string[];
      configs: { data_files: unknown }[];
    };
    expect(parsed.language).toEqual(["es", "fr", "zh"]);
    expect(parsed.license).toBeNull();
    expect(parsed.size_categories).toEqual(["n<1K"]);
    expect(JSON.stringify(parsed.configs)).toContain("data.parquet");
  });
});
