import { describe, expect, it } from "vitest";
import { formatDialogue } from "../../lib/records/format.js";
import { ScriptedChatModel, type ScriptedCall } from "../../testing/scripted-model.js";
import {
  ENGLISH_SOURCE_PERSONAS,
  SPANISH_ACCEPT,
  SPANISH_COMMON_GROUND,
  SPANISH_TURNS,
  spanishPersona,
  turnIndexOf,
} from "../../testing/spanish-script.js";
import { type DialogueRecord, DialogueRecordSchema } from "../../lib/records/schema.js";
import type { DialogueContext } from "../../nodes/configuration.js";
import { runDialogue } from "./graph.js";

// A rejected record keeps what the model wrote: the text as last written, and the failing attempt marked as such.

const ENGLISH_TURN = "Sorry, I think I will just answer in English because it is easier for me today, my friend.";
const ENGLISH_PERSONA = JSON.stringify({
  name: "Lucy",
  sentences: [
    "I work as a nurse in a big hospital.",
    "I cook paella for my whole family.",
    "I have a dog called Truffle.",
    "I love dancing salsa with friends.",
  ],
});

function model(answers: Partial<Record<string, (call: ScriptedCall) => string>>) {
  let personas = 0;
  return new ScriptedChatModel((call) => {
    const answer = answers[call.task];
    if (answer) return answer(call);
    switch (call.task) {
      case "persona":
        return spanishPersona(personas++ % 2 === 0 ? "Lucía" : "Marta");
      case "common_ground":
        return JSON.stringify(SPANISH_COMMON_GROUND);
      case "turn":
        return JSON.stringify({ utterance: SPANISH_TURNS[turnIndex(call)]!, ends_conversation: false });
      case "critique":
        return JSON.stringify(SPANISH_ACCEPT);
      default:
        throw new Error(`unexpected task ${call.task}`);
    }
  });
}

const turnIndex = (call: ScriptedCall) =>
  turnIndexOf(call.messages.map((m) => ({ role: m.type === "system" ? "system" : "user", content: m.text })));

async function run(chat: ScriptedChatModel, context: Partial<DialogueContext> = {}): Promise<DialogueRecord> {
  const state = await runDialogue(
    { language: "es", seed: 7, index: 0, sourcePersonas: ENGLISH_SOURCE_PERSONAS, speechEventId: "catching_up" },
    { chatModel: chat, turnsMin: 4, turnsMax: 4, maxStructuredRetries: 0, maxTurnRetries: 1, ...context },
  );
  return DialogueRecordSchema.parse(state.record);
}

describe("a rejected record keeps the text that failed", () => {
  it("a persona in the wrong language: its sentences as written, the raw answer as the failed attempt, both printed", async () => {
    const record = await run(model({ persona: () => ENGLISH_PERSONA }));
    expect(record.status).toBe("rejected");
    expect(record.rejection_reasons[0]!.detail).toMatch(/^persona A: /);
    expect(record.personas[0]).toMatchObject({
      speaker: "A",
      name: "Lucy",
      sentences: JSON.parse(ENGLISH_PERSONA).sentences,
    });
    expect(record.failed_attempt).toEqual({ stage: "persona", speaker: "A", text: ENGLISH_PERSONA });
    const printed = formatDialogue(record);
    expect(printed).toContain("I work as a nurse in a big hospital.");
    expect(printed).toMatch(/Failed attempt \(persona, speaker A\), as the model wrote it:\n {2}\{"name":"Lucy"/);
    expect(printed).not.toContain("(not rewritten)");
  });

  it("a turn that fails its gates after its retries: the turns that passed, and the failing turn with speaker and index", async () => {
    const record = await run(
      model({
        turn: (call) =>
          JSON.stringify({
            utterance: turnIndex(call) === 2 ? ENGLISH_TURN : SPANISH_TURNS[turnIndex(call)]!,
            ends_conversation: false,
          }),
      }),
    );
    expect(record.status).toBe("rejected");
    expect(record.turns.map((t) => t.text)).toEqual(SPANISH_TURNS.slice(0, 2));
    expect(record.failed_attempt).toEqual({ stage: "turn", speaker: "A", turn: 2, text: ENGLISH_TURN });
    expect(formatDialogue(record)).toContain(
      `Failed attempt (turn, speaker A, turn 2), as the model wrote it:\n  ${ENGLISH_TURN}`,
    );
  });

  it("a turn whose answer does not parse: the raw answer", async () => {
    const record = await run(
      model({
        turn: (call) =>
          turnIndex(call) === 1
            ? "Claro, aquí va mi respuesta: hola"
            : JSON.stringify({ utterance: SPANISH_TURNS[turnIndex(call)]!, ends_conversation: false }),
      }),
    );
    expect(record.failed_attempt).toEqual({
      stage: "turn",
      speaker: "B",
      turn: 1,
      text: "Claro, aquí va mi respuesta: hola",
    });
  });

  it("the common ground and the critique: their raw answers", async () => {
    const cg = await run(model({ common_ground: () => "{ not json" }));
    expect(cg.failed_attempt).toEqual({ stage: "common_ground", text: "{ not json" });
    expect(cg.personas.every((p) => p.sentences.length > 0)).toBe(true);
    const critique = await run(model({ critique: () => "Me parece bien." }));
    expect(critique.failed_attempt).toEqual({ stage: "critique", text: "Me parece bien." });
    expect(critique.turns).toHaveLength(4);
  });

  it("an accepted record has none", async () => {
    const record = await run(model({}));
    expect(record.status).toBe("accepted");
    expect(record.failed_attempt).toBeUndefined();
    expect(DialogueRecordSchema.safeParse({ ...record, failed_attempt: { stage: "turn", text: "x" } }).success).toBe(
      false,
    );
  });
});
