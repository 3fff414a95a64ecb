import type { DialogueRecord } from "../records/schema.js";

/** A small valid record for the tests of lib/run. */
export function makeRecord(id: string, language: string, turns: string[], status: "accepted" | "rejected" = "accepted"): DialogueRecord {
  return {
    id,
    language,
    source_language: "en",
    status,
    rejection_reasons: status === "rejected" ? [{ check: "language", detail: "x" }] : [],
    speech_event: { id: "small_talk", name: "Small talk", category: "informal_superficial" },
    common_ground: "",
    personas: [
      { speaker: "A", name: "", sentences: [], source_sentences: ["I ski."] },
      { speaker: "B", name: "", sentences: [], source_sentences: ["I cook."] },
    ],
    turns: turns.map((text, i) => ({ speaker: i % 2 === 0 ? "A" : "B", text })),
    critique: null,
    provenance: {
      provider: "scripted",
      model: "scripted",
      prompt_variant: "baseline",
      prompt_hash: "0123456789ab",
      seed: 1,
      attempts: 1,
      usage: { input_tokens: 10, output_tokens: 5 },
      created_at: new Date(0).toISOString(),
      duration_ms: 1000,
    },
  };
}
