import { MemorySaver } from "@langchain/langgraph";
import { describe, expect, it } from "vitest";
import type { ScriptedChatModel, ScriptedCall } from "../../testing/scripted-model.js";
import { ENGLISH_SOURCE_PERSONAS, SPANISH_TURNS } from "../../testing/spanish-script.js";
import { critiqueOf, scriptedMemoryOf, seriesModel } from "../../testing/series-script.js";
import { DialogueRecordSchema } from "../../lib/records/schema.js";
import type { DialogueContext } from "../../nodes/configuration.js";
import { getInputTypeSchema } from "@langchain/langgraph/zod/schema";
import { compileSeries, runSeries, seriesGraph } from "./graph.js";
import { SeriesStateSchema } from "../../nodes/series-state.js";

const CONTRADICTION = critiqueOf({
  memory_consistency: 1,
  verdict: "revise",
  offending_turns: [2],
  feedback: "Lucía dice que nunca ha oído hablar de la novela, pero Marta se la contó en la conversación anterior.",
});

const INPUT = {
  language: "es",
  seed: 7,
  index: 0,
  sourcePersonas: ENGLISH_SOURCE_PERSONAS,
  speechEventId: "getting_to_know_someone",
  sessions: 3,
};
const context = (model: ScriptedChatModel, extra: Partial<DialogueContext> = {}): DialogueContext => ({
  chatModel: model,
  turnsMin: 4,
  turnsMax: 4,
  ...extra,
});
const text = (call: ScriptedCall, i = 0) => call.messages[i]!.text;

/** The calls of one task made while writing session `session` (sessions are told apart by their common-ground call). */
function callsOfSession(model: ScriptedChatModel, task: string, session: number): ScriptedCall[] {
  let current = 0;
  return model.calls.filter((call) => {
    if (call.task === "common_ground") current++;
    return current === session && call.task === task;
  });
}

describe("series graph (scripted model)", () => {
  it("takes a dialogue's request plus the number of sessions as its input (Studio's form)", () => {
    const schema = getInputTypeSchema(seriesGraph) as { properties: Record<string, unknown> };
    expect(Object.keys(schema.properties).sort()).toEqual([
      "index",
      "language",
      "seed",
      "sessions",
      "sourcePersonas",
      "speechEventId",
    ]);
  });

  it("writes three sessions, each remembering the earlier ones, as one record", async () => {
    const model = seriesModel();
    const state = await runSeries(INPUT, context(model));
    SeriesStateSchema.parse(state);
    const record = DialogueRecordSchema.parse(state.record);
    expect(record.status).toBe("accepted");
    expect(record.id).toBe("es-7-00000");
    expect(record.sessions).toHaveLength(3);
    const [one, two, three] = record.sessions!;
    // the first session is the top-level dialogue; later ones have a gap and an event fitting it, never a first meeting
    expect(record.turns).toEqual(one!.turns);
    expect(record.speech_event.id).toBe("getting_to_know_someone");
    expect(one!.gap).toBeNull();
    for (const later of [two!, three!]) {
      expect(later.gap).not.toBeNull();
      expect(later.speech_event.id).not.toBe("getting_to_know_someone");
      expect(later.critique).toHaveProperty("memory_consistency", 5);
    }
    // personas are rewritten once; each speaker's memory is written after every session
    expect(model.callsFor("persona")).toHaveLength(2);
    expect(model.callsFor("memory")).toHaveLength(6);
    expect(three!.memory.map((m) => m.summary)).toEqual([
      scriptedMemoryOf("A", 3).summary,
      scriptedMemoryOf("B", 3).summary,
    ]);
    // persona facts learned in session 1 are part of A's persona from session 2 on
    expect(one!.personas[0]!.sentences).not.toContain(scriptedMemoryOf("A", 1).new_facts[0]);
    expect(two!.personas[0]!.sentences).toContain(scriptedMemoryOf("A", 1).new_facts[0]);
    expect(three!.personas[0]!.sentences).toEqual(
      expect.arrayContaining([scriptedMemoryOf("A", 1).new_facts[0], scriptedMemoryOf("A", 2).new_facts[0]]),
    );
    // the provenance counts every call of the series
    expect(record.provenance.attempts).toBe(model.calls.length);
    expect(record.provenance.prompt_hash).toMatch(/^[0-9a-f]{12}$/);
  });

  it("shows each speaker only their own memory, and the common ground and critique both", async () => {
    const model = seriesModel();
    await runSeries(INPUT, context(model));
    // session 1: no history anywhere
    for (const call of callsOfSession(model, "turn", 1)) expect(text(call)).not.toContain("jueves número");
    // session 3: A's speaker prompt holds A's summaries of sessions 1 and 2 and what A knows of B, none of B's memory
    const [aTurn, bTurn] = callsOfSession(model, "turn", 3);
    expect(text(aTurn!)).toContain(scriptedMemoryOf("A", 1).summary);
    expect(text(aTurn!)).toContain(scriptedMemoryOf("A", 2).summary);
    expect(text(aTurn!)).toContain(scriptedMemoryOf("A", 2).partner_facts[0]);
    expect(text(aTurn!)).not.toContain(scriptedMemoryOf("B", 1).summary);
    expect(text(bTurn!)).toContain(scriptedMemoryOf("B", 2).summary);
    expect(text(bTurn!)).not.toContain(scriptedMemoryOf("A", 2).summary);
    const [commonGround] = callsOfSession(model, "common_ground", 3);
    const [critique] = callsOfSession(model, "critique", 3);
    for (const call of [commonGround!, critique!]) {
      expect(text(call)).toContain(scriptedMemoryOf("A", 2).summary);
      expect(text(call)).toContain(scriptedMemoryOf("B", 2).summary);
    }
    expect(text(critique!)).toContain("memory_consistency");
    // the memory of session 2 is written from the session's transcript, with names
    const memory = model.callsFor("memory")[2]!;
    expect(text(memory, 1)).toContain(`Lucía: ${SPANISH_TURNS[0]}`);
  });

  it("repairs a session the critique finds contradicting an earlier one", async () => {
    const model = seriesModel({
      critique: (session, round) => (session === 2 && round === 0 ? CONTRADICTION : undefined!),
    });
    const state = await runSeries(INPUT, context(model, { maxCritiqueRounds: 1 }));
    const record = DialogueRecordSchema.parse(state.record);
    expect(record.status).toBe("accepted");
    expect(record.sessions).toHaveLength(3);
    expect(record.sessions![1]!.critique).toHaveProperty("memory_consistency", 5);
    // the speakers of session 2 rewrote from the offending turn with the reviewer's feedback
    const repaired = callsOfSession(model, "turn", 2).filter((call) =>
      call.messages.at(-1)!.text.includes("conversación anterior"),
    );
    expect(repaired.length).toBe(2);
    expect(callsOfSession(model, "critique", 2)).toHaveLength(2);
  });

  it("records a contradiction it could not repair as the series' rejection, and stops", async () => {
    const model = seriesModel({ critique: (session) => (session === 2 ? CONTRADICTION : undefined!) });
    const state = await runSeries(INPUT, context(model, { maxCritiqueRounds: 0 }));
    const record = DialogueRecordSchema.parse(state.record);
    expect(record.status).toBe("rejected");
    expect(record.rejection_reasons).toEqual([
      { check: "memory", detail: expect.stringContaining("conversación anterior"), turn: 2, session: 2 },
    ]);
    expect(record.sessions!.map((s) => s.status)).toEqual(["accepted", "rejected"]);
    expect(record.sessions![1]!.memory).toEqual([]);
    expect(model.callsFor("memory")).toHaveLength(2);
  });

  // a later session's speaker greets the partner as a stranger: the first_meeting gate sends the message back
  const STRANGER = "¡Hola! Encantada de conocerte, me llamo Lucía. ¿Qué tal el fin de semana?";

  it("sends back a later session's message that greets the partner as a stranger (the first_meeting gate)", async () => {
    const model = seriesModel({
      turn: (session, index, attempt) => (index === 0 && attempt === 0 ? STRANGER : undefined),
    });
    const state = await runSeries(INPUT, context(model));
    const record = DialogueRecordSchema.parse(state.record);
    expect(record.status).toBe("accepted");
    // in session 1 the greeting stands (a first meeting); in sessions 2 and 3 it is rewritten after the gate's feedback
    expect(record.sessions![0]!.turns[0]!.text).toBe(STRANGER);
    for (const later of record.sessions!.slice(1)) expect(later.turns[0]!.text).toBe(SPANISH_TURNS[0]);
    for (const session of [2, 3]) {
      const opening = callsOfSession(model, "turn", session).slice(0, 2);
      expect(opening.map((call) => call.messages.at(-1)!.text.includes("first_meeting"))).toEqual([false, true]);
      expect(opening[1]!.messages.at(-1)!.text).toContain(`talked ${session === 2 ? "once" : "2 times"} before`);
    }
    expect(
      callsOfSession(model, "turn", 1).filter((call) => call.messages.at(-1)!.text.includes("first_meeting")),
    ).toEqual([]);
  });

  it("rejects a later session whose speaker keeps meeting the partner as a stranger, at that session", async () => {
    const model = seriesModel({ turn: (session, index) => (session === 2 && index === 0 ? STRANGER : undefined) });
    const state = await runSeries(INPUT, context(model, { maxTurnRetries: 1 }));
    const record = DialogueRecordSchema.parse(state.record);
    expect(record.status).toBe("rejected");
    expect(record.rejection_reasons).toEqual([
      { check: "first_meeting", detail: expect.stringContaining('"Encantada de conocerte"'), turn: 0, session: 2 },
    ]);
    expect(record.sessions!.map((s) => s.status)).toEqual(["accepted", "rejected"]);
    expect(record.failed_attempt).toMatchObject({ stage: "turn", speaker: "A", turn: 0, session: 2 });
  });

  it("resumes a series that stopped in session 3 at session 3, from its checkpoint", async () => {
    const checkpointer = new MemorySaver();
    let down = true;
    const failing = seriesModel({
      beforeSession: (session) => {
        if (session === 3 && down) throw new Error("connect ECONNREFUSED 127.0.0.1:8080");
      },
    });
    await expect(runSeries(INPUT, context(failing), { checkpointer, threadId: "series-1" })).rejects.toThrow(
      /ECONNREFUSED/,
    );
    // the saved state: two sessions written and remembered, session 3 planned, its dialogue next
    const graph = compileSeries(checkpointer);
    const saved = await graph.getState({ configurable: { thread_id: "series-1" } });
    expect(saved.next).toEqual(["runSession"]);
    expect((saved.values as { written: unknown[] }).written).toHaveLength(2);
    const planned = (saved.values as { next: { session: number } }).next;
    expect(planned.session).toBe(3);
    // each session's dialogue graph ran as a subgraph of runSession, checkpointed under its namespace (Studio shows it)
    const namespaces = new Set<string>();
    for await (const checkpoint of checkpointer.list({ configurable: { thread_id: "series-1" } })) {
      namespaces.add(String(checkpoint.config.configurable?.checkpoint_ns).split(":")[0]!);
    }
    expect([...namespaces].sort()).toEqual(["", "runSession"]);

    down = false;
    const resumed = seriesModel({ sessionsBefore: 2 });
    const state = await runSeries(INPUT, context(resumed), { checkpointer, threadId: "series-1" });
    const record = DialogueRecordSchema.parse(state.record);
    expect(record.status).toBe("accepted");
    expect(record.sessions!.map((s) => s.session)).toEqual([1, 2, 3]);
    // nothing of sessions 1 and 2 was written again: no persona, one common ground, two memories (session 3's)
    expect(resumed.callsFor("persona")).toHaveLength(0);
    expect(resumed.callsFor("common_ground")).toHaveLength(1);
    expect(resumed.callsFor("memory")).toHaveLength(2);
    // session 3 still remembers sessions 1 and 2
    const aTurn = resumed.callsFor("turn")[0]!;
    expect(text(aTurn)).toContain(scriptedMemoryOf("A", 1).summary);
    expect(text(aTurn)).toContain(scriptedMemoryOf("A", 2).summary);
    // a finished series run again returns its record without a call
    const again = seriesModel();
    const same = await runSeries(INPUT, context(again), { checkpointer, threadId: "series-1" });
    expect(same.record?.id).toBe(record.id);
    expect(again.calls).toHaveLength(0);
  });
});
