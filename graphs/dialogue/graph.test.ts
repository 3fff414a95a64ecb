import type { BaseMessage } from "@langchain/core/messages";
import { describe, expect, it } from "vitest";
import { ScriptedChatModel, type ScriptedCall } from "../../testing/scripted-model.js";
import { ENGLISH_SOURCE_PERSONAS, SPANISH_ACCEPT, SPANISH_COMMON_GROUND, SPANISH_TURNS, spanishPersona } from "../../testing/spanish-script.js";
import { DialogueRecordSchema } from "../../lib/records/schema.js";
import type { DialogueContext } from "../../nodes/configuration.js";
import { runDialogue } from "./graph.js";
import { DialogueStateAnnotation, DialogueStateSchema } from "../../nodes/state.js";

// Spanish material a scripted "model" answers with; every turn differs, so the repetition gate stays quiet.
const ENGLISH_TURN = "Sorry, I think I will just answer in English because it is easier for me today, my friend.";
const COMMON_GROUND = JSON.stringify(SPANISH_COMMON_GROUND);
const ACCEPT = JSON.stringify(SPANISH_ACCEPT);

interface ScriptOptions {
  turn?: (index: number, attempt: number, call: ScriptedCall) => string;
  critique?: (round: number) => string;
  persona?: (attempt: number) => string;
}

/** A scripted model that plays a well-behaved crowdworker unless told otherwise. */
function scriptedModel(options: ScriptOptions = {}) {
  const turnAttempts = new Map<number, number>();
  let personaCalls = 0;
  let critiqueCalls = 0;
  return new ScriptedChatModel((call) => {
    switch (call.task) {
      case "persona":
        return options.persona?.(personaCalls++) ?? spanishPersona(personaCalls++ % 2 === 0 ? "Lucía" : "Marta");
      case "common_ground":
        return COMMON_GROUND;
      case "turn": {
        const index = dialogueLength(call.messages);
        const attempt = turnAttempts.get(index) ?? 0;
        turnAttempts.set(index, attempt + 1);
        return options.turn?.(index, attempt, call) ?? JSON.stringify({ utterance: SPANISH_TURNS[index]!, ends_conversation: false });
      }
      case "critique":
        return options.critique?.(critiqueCalls++) ?? ACCEPT;
      default:
        throw new Error(`unexpected task ${call.task}`);
    }
  });
}

/** How many turns the dialogue has when a speaker is asked for the next one: its messages are the system
 * prompt, the opening cue (speaker A only), then one message per earlier turn. */
function dialogueLength(messages: BaseMessage[]): number {
  const opens = String(messages[1]?.content ?? "").startsWith("(You start");
  return messages.length - 1 - (opens ? 1 : 0);
}

async function run(model: ScriptedChatModel, context: Partial<DialogueContext> = {}, input: Record<string, unknown> = {}) {
  const state = await runDialogue(
    { language: "es", seed: 7, index: 0, sourcePersonas: ENGLISH_SOURCE_PERSONAS, speechEventId: "catching_up", ...input },
    { chatModel: model, turnsMin: 6, turnsMax: 6, ...context },
  );
  const record = DialogueRecordSchema.parse(state.record);
  // the graph runs on LangGraph channels derived from DialogueStateSchema: what they end with fits the schema
  DialogueStateSchema.parse(state);
  return { state, record };
}

describe("dialogue state", () => {
  it("has one LangGraph channel per key of its zod schema", () => {
    expect(Object.keys(DialogueStateAnnotation.spec).sort()).toEqual(Object.keys(DialogueStateSchema.shape).sort());
  });
});

describe("dialogue graph (scripted model)", () => {
  it("writes an accepted, contract-valid record on the happy path", async () => {
    const model = scriptedModel();
    const { record } = await run(model);
    expect(record.status).toBe("accepted");
    expect(record.rejection_reasons).toEqual([]);
    expect(record.id).toBe("es-7-00000");
    expect(record.turns.map((t) => t.speaker)).toEqual(["A", "B", "A", "B", "A", "B"]);
    expect(record.turns.map((t) => t.text)).toEqual(SPANISH_TURNS.slice(0, 6));
    expect(record.personas.map((p) => p.source_sentences)).toEqual(ENGLISH_SOURCE_PERSONAS);
    expect(record.personas.map((p) => p.name)).toEqual(["Lucía", "Marta"]);
    expect(record.speech_event.id).toBe("catching_up");
    expect(record.common_ground).toContain("amigas desde el instituto");
    expect(record.critique?.verdict).toBe("accept");
    expect(record.provenance.attempts).toBe(model.calls.length);
    expect(record.provenance.prompt_variant).toBe("baseline");
    expect(record.provenance.prompt_hash).toMatch(/^[0-9a-f]{12}$/);
    expect(record.provenance.usage.input_tokens).toBeGreaterThan(0);
    expect(model.callsFor("turn")).toHaveLength(6);
  });

  it("shows each speaker its own persona only", async () => {
    const model = scriptedModel({
      persona: (attempt) =>
        JSON.stringify({
          name: attempt === 0 ? "Lucía" : "Marta",
          sentences: attempt === 0
            ? ["Soy enfermera en Valencia.", "Cocino paella los domingos.", "Tengo una perra que se llama Trufa.", "Bailo salsa."]
            : ["Trabajo en una librería de Sevilla.", "Leo novelas de misterio.", "Aprendo cerámica.", "Voy a todas partes en autobús."],
        }),
    });
    await run(model);
    const [first, second] = model.callsFor("turn");
    expect(String(first!.messages[0]!.content)).toContain("Trufa");
    expect(String(first!.messages[0]!.content)).not.toContain("librería");
    expect(String(second!.messages[0]!.content)).toContain("librería");
    expect(String(second!.messages[0]!.content)).not.toContain("Trufa");
  });

  it("retries a wrong-language turn with the check's feedback, then accepts", async () => {
    const model = scriptedModel({
      turn: (index, attempt) =>
        JSON.stringify({ utterance: index === 2 && attempt === 0 ? ENGLISH_TURN : SPANISH_TURNS[index]!, ends_conversation: false }),
    });
    const { record } = await run(model);
    expect(record.status).toBe("accepted");
    expect(record.turns[2]!.text).toBe(SPANISH_TURNS[2]);
    const turnCalls = model.callsFor("turn");
    expect(turnCalls).toHaveLength(7);
    const retry = turnCalls[3]!.messages.at(-1)!;
    expect(String(retry.content)).toMatch(/rejected: language/);
  });

  it("rejects the dialogue with its reasons when a turn's retry budget is spent", async () => {
    const model = scriptedModel({
      turn: (index) => JSON.stringify({ utterance: index === 1 ? ENGLISH_TURN : SPANISH_TURNS[index]!, ends_conversation: false }),
    });
    const { record } = await run(model, { maxTurnRetries: 2 });
    expect(record.status).toBe("rejected");
    expect(record.rejection_reasons).toHaveLength(1);
    expect(record.rejection_reasons[0]).toMatchObject({ check: "language", turn: 1 });
    expect(record.turns).toHaveLength(1);
    expect(model.callsFor("turn")).toHaveLength(1 + 3);
    expect(model.callsFor("critique")).toHaveLength(0);
  });

  it("treats malformed structured output as a failed attempt, not a crash", async () => {
    const model = scriptedModel({
      persona: (attempt) => (attempt === 0 ? "Sure! Here is the persona you asked for." : spanishPersona(attempt === 1 ? "Lucía" : "Marta")),
      turn: (index, attempt) =>
        index === 3 && attempt === 0
          ? '{"utterance": "Vale", "ends_conversation": "maybe"}'
          : JSON.stringify({ utterance: SPANISH_TURNS[index]!, ends_conversation: false }),
    });
    const { record } = await run(model);
    expect(record.status).toBe("accepted");
    expect(model.callsFor("persona")).toHaveLength(3);
    expect(model.callsFor("turn")).toHaveLength(7);
    expect(String(model.callsFor("turn")[4]!.messages.at(-1)!.content)).toMatch(/rejected: structured_output: does not match the turn schema/);
  });

  it("rejects with a structured_output reason when the model never returns valid JSON", async () => {
    const model = scriptedModel({ persona: () => "I cannot do that." });
    const { record } = await run(model, { maxStructuredRetries: 1 });
    expect(record.status).toBe("rejected");
    expect(record.rejection_reasons[0]!.check).toBe("structured_output");
    expect(record.rejection_reasons[0]!.detail).toMatch(/^persona A: not valid JSON/);
    expect(record.turns).toEqual([]);
    expect(record.personas.map((p) => p.source_sentences)).toEqual(ENGLISH_SOURCE_PERSONAS);
    expect(model.callsFor("persona")).toHaveLength(2);
  });

  it("ends early when a speaker closes the conversation after the minimum", async () => {
    const model = scriptedModel({
      turn: (index) => JSON.stringify({ utterance: SPANISH_TURNS[index]!, ends_conversation: index === 1 || index === 4 }),
    });
    const { record } = await run(model, { turnsMin: 4, turnsMax: 12 });
    expect(record.status).toBe("accepted");
    // the close at turn 1 is too early and ignored; the one at turn 4 ends the dialogue
    expect(record.turns).toHaveLength(5);
  });

  it("repairs the dialogue from the earliest offending turn after a failed critique", async () => {
    const model = scriptedModel({
      critique: (round) =>
        round === 0
          ? JSON.stringify({
              persona_faithfulness: 2,
              speech_event_fit: 4,
              naturalness: 3,
              verdict: "revise",
              offending_turns: [4, 3],
              feedback: "Marta olvida que trabaja de noche.",
            })
          : ACCEPT,
    });
    const { record, state } = await run(model, { maxCritiqueRounds: 1 });
    expect(record.status).toBe("accepted");
    expect(state.critiqueRounds).toBe(1);
    const turnCalls = model.callsFor("turn");
    expect(turnCalls).toHaveLength(6 + 3);
    expect(String(turnCalls[6]!.messages.at(-1)!.content)).toContain("Marta olvida que trabaja de noche.");
    expect(model.callsFor("critique")).toHaveLength(2);
  });

  it("rejects with the reviewer's feedback when the critique budget is spent", async () => {
    const revise = JSON.stringify({
      persona_faithfulness: 2,
      speech_event_fit: 2,
      naturalness: 2,
      verdict: "revise",
      offending_turns: [],
      feedback: "Suena a traducción.",
    });
    const model = scriptedModel({ critique: () => revise });
    const { record } = await run(model, { maxCritiqueRounds: 1 });
    expect(record.status).toBe("rejected");
    expect(record.rejection_reasons).toEqual([{ check: "critique", detail: "Suena a traducción.", turn: 0 }]);
    expect(model.callsFor("critique")).toHaveLength(2);
    expect(model.callsFor("turn")).toHaveLength(12);
  });

  it("is reproducible: the same seed gives the same plan and id", async () => {
    const a = await run(scriptedModel(), { turnsMin: 4, turnsMax: 10 }, { speechEventId: undefined, seed: 3, index: 2 });
    const b = await run(scriptedModel(), { turnsMin: 4, turnsMax: 10 }, { speechEventId: undefined, seed: 3, index: 2 });
    expect(a.record.id).toBe(b.record.id);
    expect(a.record.speech_event).toEqual(b.record.speech_event);
    expect(a.record.turns.length).toBe(b.record.turns.length);
    expect(a.record.turns.length).toBeGreaterThanOrEqual(4);
    expect(a.record.turns.length).toBeLessThanOrEqual(10);
  });
});
