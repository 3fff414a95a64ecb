import { END, START, StateGraph } from "@langchain/langgraph";
import { describe, expect, it } from "vitest";
import type { Critique } from "../../lib/records/schema.js";
import { type DialogueState, DialogueStateAnnotation, type DialogueUpdate, stateAfter } from "../../nodes/state.js";
import { builder } from "./graph.js";
import {
  afterCheckDialogue,
  afterCommonGround,
  afterCritique,
  afterPersonas,
  afterSpeakerTurn,
  afterSpeechEvent,
  afterWriteDialogue,
} from "./routes.js";

/** A state as the graph starts it (every channel's default), with the given keys set. */
async function stateWith(values: DialogueUpdate): Promise<DialogueState> {
  let seen: DialogueState | undefined;
  const probe = new StateGraph(DialogueStateAnnotation)
    .addNode("look", (state) => {
      seen = state;
      return {};
    })
    .addEdge(START, "look")
    .addEdge("look", END)
    .compile();
  await probe.invoke({ language: "es", seed: 1, index: 0, ...values });
  return seen!;
}

const reason = { check: "language", detail: "not Spanish" };
const turn = (i: number) => ({ speaker: i % 2 === 0 ? ("A" as const) : ("B" as const), text: `t${i}` });
const turns = (n: number) => Array.from({ length: n }, (_, i) => turn(i));
const critique = (over: Partial<Critique>): Critique => ({
  persona_faithfulness: 4,
  speech_event_fit: 4,
  naturalness: 4,
  verdict: "accept",
  offending_turns: [],
  feedback: "",
  ...over,
});

describe("the dialogue graph's routes", () => {
  it("a rejection recorded by any node ends the dialogue in finalize", async () => {
    const state = await stateWith({ rejectionReasons: [reason], turns: turns(2), targetTurns: 6 });
    for (const route of [afterPersonas, afterCommonGround, afterSpeakerTurn, afterWriteDialogue, afterCheckDialogue])
      expect(route(state), route.name).toBe("finalize");
    expect(afterCritique({ ...state, critique: critique({ verdict: "revise" }) })).toBe("finalize");
  });

  it("the variant's mode, decided once in the state, picks the common ground and the speakers", async () => {
    const base = await stateWith({});
    expect(afterSpeechEvent(base)).toBe("writeCommonGround");
    expect(afterSpeechEvent({ ...base, writesCommonGround: false })).toBe("speakerTurn");
    expect(afterSpeechEvent({ ...base, writesCommonGround: false, writing: "wholeDialogue" })).toBe("writeDialogue");
    expect(afterCommonGround({ ...base, writing: "wholeDialogue" })).toBe("writeDialogue");
    expect(afterCommonGround(base)).toBe("speakerTurn");
  });

  it("after a turn: retry on feedback, the critique at the target or when closed, else the other speaker", async () => {
    const base = await stateWith({ targetTurns: 4, turns: turns(2) });
    expect(afterSpeakerTurn(base)).toBe("speakerTurn");
    expect(afterSpeakerTurn({ ...base, turnFeedback: "too short" })).toBe("speakerTurn");
    expect(afterSpeakerTurn({ ...base, closed: true })).toBe("critiqueDialogue");
    expect(afterSpeakerTurn({ ...base, turns: turns(4) })).toBe("critiqueDialogue");
    // a failed turn at the target is retried, not critiqued
    expect(afterSpeakerTurn({ ...base, turns: turns(4), turnFeedback: "too short" })).toBe("speakerTurn");
  });

  it("after the critique: accept only a passing verdict; a repair by the speakers or by a new draft", async () => {
    const base = await stateWith({ turns: turns(4) });
    expect(afterCritique({ ...base, critique: critique({}) })).toBe("finalize");
    // "accept" with a score below the passing score is not an acceptance
    expect(afterCritique({ ...base, critique: critique({ naturalness: 2 }) })).toBe("speakerTurn");
    expect(afterCritique({ ...base, critique: critique({ verdict: "revise" }) })).toBe("speakerTurn");
    expect(afterCritique({ ...base, writing: "wholeDialogue", critique: critique({ verdict: "revise" }) })).toBe(
      "writeDialogue",
    );
    expect(afterCheckDialogue({ ...base, turnFeedback: "too short" })).toBe("writeDialogue");
    expect(afterCheckDialogue(base)).toBe("critiqueDialogue");
  });

  it("every node a route can choose is declared to the graph (Studio draws what a route can do)", async () => {
    const drawn = (await builder.compile().getGraphAsync()).edges.map((e) => `${e.source}->${e.target}`);
    for (const [node, route] of [
      ["rewritePersonas", afterPersonas],
      ["selectSpeechEvent", afterSpeechEvent],
      ["writeCommonGround", afterCommonGround],
      ["speakerTurn", afterSpeakerTurn],
      ["writeDialogue", afterWriteDialogue],
      ["checkDialogue", afterCheckDialogue],
      ["critiqueDialogue", afterCritique],
    ] as const)
      for (const end of route.ends) expect(drawn).toContain(`${node}->${end}`);
  });
});

describe("stateAfter", () => {
  it("gives the state LangGraph's own channels make of a node's update, for every key", async () => {
    const before = await stateWith({
      turns: turns(2),
      rejectionReasons: [reason],
      attempts: 3,
      usage: { input_tokens: 10, output_tokens: 5 },
      turnRetries: 1,
    });
    const update: DialogueUpdate = {
      turns: turns(3),
      rejectionReasons: [{ check: "length", detail: "too long" }],
      attempts: 2,
      usage: { input_tokens: 7, output_tokens: 1 },
      turnFeedback: null,
      closed: true,
    };
    let after: DialogueState | undefined;
    const graph = new StateGraph(DialogueStateAnnotation)
      .addNode("write", () => update)
      .addNode("look", (state) => {
        after = state;
        return {};
      })
      .addEdge(START, "write")
      .addEdge("write", "look")
      .addEdge("look", END)
      .compile();
    // the input goes through the same channels, so the node sees `before` as it is
    await graph.invoke(before);
    expect(stateAfter(before, update)).toEqual(after);
  });

  it("leaves the state it is given as it was", async () => {
    const before = await stateWith({ turns: turns(1) });
    const copy = structuredClone(before);
    stateAfter(before, { turns: turns(2), closed: true });
    expect(before).toEqual(copy);
  });
});
