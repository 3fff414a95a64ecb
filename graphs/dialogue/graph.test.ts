import type { BaseMessage } from "@langchain/core/messages";
import { describe, expect, it } from "vitest";
import { ScriptedChatModel, type ScriptedCall } from "../../testing/scripted-model.js";
import {
  ENGLISH_SOURCE_PERSONAS,
  SPANISH_ACCEPT,
  SPANISH_COMMON_GROUND,
  SPANISH_TURNS,
  spanishPersona,
} from "../../testing/spanish-script.js";
import { DialogueRecordSchema } from "../../lib/records/schema.js";
import type { DialogueContext } from "../../nodes/configuration.js";
import { runDialogue } from "./graph.js";
import { planRun } from "../../lib/plan.js";
import { loadBuiltinPersonas } from "../../lib/records/personas.js";
import { loadSpeechEvents } from "../../lib/speech-events.js";
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
        return (
          options.turn?.(index, attempt, call) ??
          JSON.stringify({ utterance: SPANISH_TURNS[index]!, ends_conversation: false })
        );
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
  const opens = (messages[1]?.text ?? "").startsWith("(You start");
  return messages.length - 1 - (opens ? 1 : 0);
}

async function run(
  model: ScriptedChatModel,
  context: Partial<DialogueContext> = {},
  input: Record<string, unknown> = {},
) {
  const state = await runDialogue(
    {
      language: "es",
      seed: 7,
      index: 0,
      sourcePersonas: ENGLISH_SOURCE_PERSONAS,
      speechEventId: "catching_up",
      ...input,
    },
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
          sentences:
            attempt === 0
              ? [
                  "Soy enfermera en Valencia.",
                  "Cocino paella los domingos.",
                  "Tengo una perra que se llama Trufa.",
                  "Bailo salsa.",
                ]
              : [
                  "Trabajo en una librería de Sevilla.",
                  "Leo novelas de misterio.",
                  "Aprendo cerámica.",
                  "Voy a todas partes en autobús.",
                ],
        }),
    });
    await run(model);
    const [first, second] = model.callsFor("turn");
    expect(first!.messages[0]!.text).toContain("Trufa");
    expect(first!.messages[0]!.text).not.toContain("librería");
    expect(second!.messages[0]!.text).toContain("librería");
    expect(second!.messages[0]!.text).not.toContain("Trufa");
  });

  it("retries a wrong-language turn with the check's feedback, then accepts", async () => {
    const model = scriptedModel({
      turn: (index, attempt) =>
        JSON.stringify({
          utterance: index === 2 && attempt === 0 ? ENGLISH_TURN : SPANISH_TURNS[index]!,
          ends_conversation: false,
        }),
    });
    const { record } = await run(model);
    expect(record.status).toBe("accepted");
    expect(record.turns[2]!.text).toBe(SPANISH_TURNS[2]);
    const turnCalls = model.callsFor("turn");
    expect(turnCalls).toHaveLength(7);
    const retry = turnCalls[3]!.messages.at(-1)!;
    expect(retry.text).toMatch(/rejected: language/);
  });

  it("rejects the dialogue with its reasons when a turn's retry budget is spent", async () => {
    const model = scriptedModel({
      turn: (index) =>
        JSON.stringify({ utterance: index === 1 ? ENGLISH_TURN : SPANISH_TURNS[index]!, ends_conversation: false }),
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
      persona: (attempt) =>
        attempt === 0 ? "Sure! Here is the persona you asked for." : spanishPersona(attempt === 1 ? "Lucía" : "Marta"),
      turn: (index, attempt) =>
        index === 3 && attempt === 0
          ? '{"utterance": "Vale", "ends_conversation": "maybe"}'
          : JSON.stringify({ utterance: SPANISH_TURNS[index]!, ends_conversation: false }),
    });
    const { record } = await run(model);
    expect(record.status).toBe("accepted");
    expect(model.callsFor("persona")).toHaveLength(3);
    expect(model.callsFor("turn")).toHaveLength(7);
    expect(model.callsFor("turn")[4]!.messages.at(-1)!.text).toMatch(
      /rejected: structured_output: does not match the turn schema/,
    );
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
      turn: (index) =>
        JSON.stringify({ utterance: SPANISH_TURNS[index]!, ends_conversation: index === 1 || index === 4 }),
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
    expect(turnCalls[6]!.messages.at(-1)!.text).toContain("Marta olvida que trabaja de noche.");
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

  const critique = (fields: Partial<Record<string, unknown>>) =>
    JSON.stringify({
      persona_faithfulness: 4,
      speech_event_fit: 4,
      naturalness: 4,
      verdict: "accept",
      offending_turns: [],
      feedback: "",
      ...fields,
    });

  it('does not take a critique\'s "accept" when a score is below 3: the dialogue is repaired, or rejected saying why', async () => {
    const lowAccept = critique({ naturalness: 2 });
    const repaired = scriptedModel({ critique: (round) => (round === 0 ? lowAccept : ACCEPT) });
    const first = await run(repaired, { maxCritiqueRounds: 1 });
    expect(first.record.status).toBe("accepted");
    expect(first.state.critiqueRounds).toBe(1);
    expect(repaired.callsFor("critique")).toHaveLength(2);
    expect(repaired.callsFor("turn")).toHaveLength(12); // no offending turn named: written again from the start

    const rejected = scriptedModel({ critique: () => lowAccept });
    const { record } = await run(rejected, { maxCritiqueRounds: 0 });
    expect(record.status).toBe("rejected");
    expect(record.rejection_reasons).toEqual([{ check: "critique", detail: "below 3: naturalness 2", turn: 0 }]);
    expect(record.critique).toMatchObject({ verdict: "accept", naturalness: 2 });
  });

  it("repairs from the earliest offending turn that exists, and from the start when none of those named exists", async () => {
    const revise = (offending: number[]) =>
      critique({ verdict: "revise", persona_faithfulness: 2, offending_turns: offending, feedback: "Más natural." });
    const partly = scriptedModel({ critique: (round) => (round === 0 ? revise([40, 2]) : ACCEPT) });
    expect((await run(partly, { maxCritiqueRounds: 1 })).record.status).toBe("accepted");
    expect(partly.callsFor("turn")).toHaveLength(6 + 4); // turns 2..5 again
    const none = scriptedModel({ critique: (round) => (round === 0 ? revise([40, 63]) : ACCEPT) });
    const { record } = await run(none, { maxCritiqueRounds: 1 });
    expect(record.status).toBe("accepted");
    expect(record.turns).toHaveLength(6);
    expect(none.callsFor("turn")).toHaveLength(6 + 6);
    // rejected after the last round: the reason points at the first turn, not at one the dialogue does not have
    const spent = scriptedModel({ critique: () => revise([40, 63]) });
    expect((await run(spent, { maxCritiqueRounds: 0 })).record.rejection_reasons).toEqual([
      { check: "critique", detail: "Más natural.", turn: 0 },
    ]);
  });

  it("rejects, without crashing, a dialogue whose critique never comes back well-formed", async () => {
    const model = scriptedModel({
      critique: (round) => (round % 2 === 0 ? "Me parece bien, acepto." : critique({ naturalness: 9 })),
    });
    const { record } = await run(model, { maxStructuredRetries: 1 });
    expect(record.status).toBe("rejected");
    expect(record.rejection_reasons).toHaveLength(1);
    expect(record.rejection_reasons[0]!.check).toBe("structured_output");
    expect(record.rejection_reasons[0]!.detail).toMatch(/^critique: /);
    expect(record.failed_attempt).toMatchObject({ stage: "critique" });
    expect(record.turns).toHaveLength(6); // the dialogue written stays in the record
    expect(model.callsFor("critique")).toHaveLength(2);
  });

  it("sends the critique to the injected judge model, not to the writer", async () => {
    const writer = scriptedModel();
    const judge = new ScriptedChatModel((call) => {
      if (call.task !== "critique") throw new Error(`the judge was asked for ${call.task}`);
      return critique({ verdict: "revise", speech_event_fit: 1, feedback: "No es una conversación de reencuentro." });
    });
    const { record } = await run(writer, { judgeModel: judge, maxCritiqueRounds: 0 });
    expect(judge.callsFor("critique")).toHaveLength(1);
    expect(writer.callsFor("critique")).toHaveLength(0);
    // the writer's own critique would have accepted: the judge's verdict is the one in the record
    expect(record.status).toBe("rejected");
    expect(record.critique).toMatchObject({ verdict: "revise", speech_event_fit: 1 });
    expect(record.rejection_reasons).toEqual([
      { check: "critique", detail: "No es una conversación de reencuentro.", turn: 0 },
    ]);
  });

  it("is reproducible: the same seed draws the same personas, speech event and turn budget, and writes the same record", async () => {
    // nothing passed in but the seed: the source personas come from the built-in pool, the event and length from the plan
    // (a crowdworker who writes five persona sentences, one per source sentence: a dialogue whose personas have five)
    const personas = loadBuiltinPersonas();
    const cliPlan = planRun({ languages: ["es"], n: 50, seed: 3, personas, events: loadSpeechEvents() });
    const cliJob = cliPlan.find((job) => job.sourcePersonas!.every((p) => p.length === 5))!;
    const input = { sourcePersonas: undefined, speechEventId: undefined, seed: 3, index: cliJob.index };
    const fiveSentences = (call: number) =>
      JSON.stringify({
        name: call % 2 === 0 ? "Lucía" : "Marta",
        sentences: [
          "Trabajo de enfermera en un hospital de Valencia.",
          "Los domingos hago paella para toda mi familia.",
          "Tengo un perro que se llama Trufa.",
          "Me encanta bailar salsa con mis amigas.",
          "Vivo en un piso pequeño cerca del mercado central.",
        ],
      });
    const scripted = () => scriptedModel({ persona: fiveSentences });
    const context = { turnsMin: 4, turnsMax: 10 };
    const a = await run(scripted(), context, input);
    const b = await run(scripted(), context, input);
    const other = await run(scripted(), context, { ...input, seed: 4 });
    // everything but when it was written and how long it took
    const stable = (record: typeof a.record) => ({
      ...record,
      provenance: { ...record.provenance, created_at: "", duration_ms: 0 },
    });
    expect(stable(a.record)).toEqual(stable(b.record));
    expect(a.record.id).toBe(cliJob.id);
    expect(a.record.personas.every((p) => p.source_sentences.length > 0)).toBe(true);
    expect(a.record.turns.length).toBeGreaterThanOrEqual(4);
    expect(a.record.turns.length).toBeLessThanOrEqual(10);
    // the plan follows the seed: another seed draws another one
    const plan = (record: typeof a.record) => [
      record.personas.map((p) => p.source_sentences),
      record.speech_event.id,
      record.turns.length,
    ];
    expect(plan(other.record)).not.toEqual(plan(a.record));
    // the personas are the ones the CLI plans for the same id (seed 3 of es, built-in pool)
    expect(a.record.personas.map((p) => p.source_sentences)).toEqual(cliJob.sourcePersonas);
  });
});
