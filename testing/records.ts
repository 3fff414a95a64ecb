import type { DialogueRecord } from "../lib/records/schema.js";

/** A small valid record for the tests of the batch runner (app/run) and the evals. */
export function makeRecord(
  id: string,
  language: string,
  turns: string[],
  status: "accepted" | "rejected" = "accepted",
): DialogueRecord {
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

/**
 * `n` records over `languages` and `events`, each pairing two of `personas` English source personas at random
 * (seeded): few personas for many dialogues make one web of shared personas, many personas make small pieces.
 * Turns alternate A, B, … with 2 to 7 turns (odd counts end on A); about one in six is rejected.
 */
export function randomRecords(
  rng: { int(min: number, max: number): number },
  n: number,
  personas: number,
  languages = ["es", "fr"],
  events = ["small_talk", "gossip", "asking_a_favor"],
): DialogueRecord[] {
  return Array.from({ length: n }, (_, i) => {
    const language = languages[rng.int(0, languages.length - 1)]!;
    const turns = Array.from({ length: rng.int(2, 7) }, (_, t) => `${language} ${i} turno ${t}`);
    const record = makeRecord(
      `${language}-1-${String(i).padStart(5, "0")}`,
      language,
      turns,
      rng.int(0, 5) === 0 ? "rejected" : "accepted",
    );
    const a = rng.int(0, personas - 1);
    let b = rng.int(0, personas - 2);
    if (b >= a) b++;
    record.personas[0] = {
      speaker: "A",
      name: "Ana",
      sentences: [`Soy la persona ${a}.`, `Me gusta el número ${a}.`],
      source_sentences: [`I am person ${a}.`],
    };
    record.personas[1] = {
      speaker: "B",
      name: "Beto",
      sentences: [`Soy la persona ${b}.`],
      source_sentences: [`I am person ${b}.`],
    };
    const event = events[rng.int(0, events.length - 1)]!;
    record.speech_event = { id: event, name: event, category: "informal" };
    record.common_ground = `Los dos esperan el autobús ${i}.`;
    return record;
  });
}
