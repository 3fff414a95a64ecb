import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects } from "hyparquet";
import { describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { ScriptedChatModel } from "../../testing/scripted-model.js";
import { renderDatasetCard, sizeCategory, writeParquet } from "./export.js";
import { makeRecord } from "../../testing/records.js";
import { DialogueRecordSchema } from "../../lib/records/schema.js";
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
      { check: "language", detail: "detected en", turn: 0, session: null },
      { check: "near_duplicate", detail: "similar to x", turn: null, session: null },
    ]);
    expect(r!.critique ?? null).toBeNull();
    expect(a!.failed_attempt ?? null).toBeNull();
    expect(r!.failed_attempt).toEqual({
      stage: "turn",
      speaker: "B",
      turn: 1,
      session: null,
      text: "I'd rather answer in English.",
    });
    expect(e!.failed_attempt).toEqual({
      stage: "persona",
      speaker: null,
      turn: null,
      session: null,
      text: '{"name": "',
    });
    expect(a!.sessions ?? null).toBeNull();
    expect(e!.turns).toEqual([]);
    expect(Number(e!.provenance.usage.input_tokens)).toBe(5_000_000_000);
  });
});

describe("Parquet export of a multi-session series", () => {
  it("keeps every session: its gap, turns, critique with memory consistency, and each speaker's memory", async () => {
    const first = makeRecord("es-1-00000", "es", ["¡Hola! Soy Lucía.", "Encantada, yo soy Marta."]);
    const session = (n: number, texts: string[]) => ({
      session: n,
      gap: n === 1 ? null : { kind: "weeks" as const, amount: 3, unit: "week" as const },
      status: "accepted" as const,
      speech_event: first.speech_event,
      common_ground: `Conversación ${n}.`,
      personas: first.personas,
      turns: texts.map((text, i) => ({ speaker: i % 2 === 0 ? ("A" as const) : ("B" as const), text })),
      critique: {
        persona_faithfulness: 4,
        speech_event_fit: 4,
        naturalness: 5,
        ...(n === 1 ? {} : { memory_consistency: 2 }),
        verdict: "accept" as const,
        offending_turns: [],
        feedback: "",
      },
      memory:
        n === 1
          ? [
              {
                speaker: "A" as const,
                summary: "Conocí a Marta.",
                new_facts: ["Voy a clases de cerámica."],
                partner_facts: [],
              },
            ]
          : [],
    });
    const series = DialogueRecordSchema.parse({
      ...first,
      status: "rejected" as const,
      rejection_reasons: [{ check: "memory", detail: "olvida la novela", turn: 1, session: 2 }],
      failed_attempt: { stage: "turn" as const, speaker: "B" as const, turn: 1, session: 2, text: "¿Qué novela?" },
      sessions: [
        session(
          1,
          first.turns.map((t) => t.text),
        ),
        session(2, ["¿Qué tal la novela?", "¿Qué novela?"]),
      ],
    });
    const path = join(mkdtempSync(join(tmpdir(), "export-")), "series.parquet");
    writeParquet([series], path);
    const [row] = (await parquetReadObjects({ file: await asyncBufferFromFile(path) })) as ExportRow[];
    const sessions = row!.sessions as {
      session: number;
      gap: unknown;
      turns: unknown[];
      critique: Record<string, unknown>;
      memory: unknown[];
    }[];
    expect(sessions.map((s) => s.session)).toEqual([1, 2]);
    expect(sessions.map((s) => s.gap ?? null)).toEqual([null, { kind: "weeks", amount: 3, unit: "week" }]);
    expect(sessions[1]!.turns).toEqual([
      { speaker: "A", text: "¿Qué tal la novela?" },
      { speaker: "B", text: "¿Qué novela?" },
    ]);
    expect(sessions.map((s) => s.critique.memory_consistency ?? null)).toEqual([null, 2]);
    expect(sessions[0]!.memory).toEqual([
      { speaker: "A", summary: "Conocí a Marta.", new_facts: ["Voy a clases de cerámica."], partner_facts: [] },
    ]);
    expect(sessions[1]!.memory).toEqual([]);
    expect(row!.rejection_reasons).toEqual([{ check: "memory", detail: "olvida la novela", turn: 1, session: 2 }]);
    expect(row!.failed_attempt).toMatchObject({ session: 2, turn: 1 });
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
