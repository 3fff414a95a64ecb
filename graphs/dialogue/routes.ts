import { Command, type Runtime } from "@langchain/langgraph";
import type { DialogueContext } from "../../nodes/configuration.js";
import { critiquePasses } from "../../nodes/critique-dialogue.js";
import { type DialogueState, type DialogueUpdate, stateAfter } from "../../nodes/state.js";

/**
 * Every route of the dialogue graph: which node runs next, as a pure function of the state the last node left
 * (the prompt variant's manifest is in the state too, put there once by selectSpeechEvent). A route lists the nodes
 * it can choose, so the graph declares them (Studio draws them) from the same definition.
 */
export interface Route<Next extends string> {
  (state: DialogueState): Next;
  readonly ends: Next[];
}

function route<const Next extends string>(ends: Next[], decide: (state: DialogueState) => Next): Route<Next> {
  return Object.assign(decide, { ends });
}

const rejected = (state: DialogueState) => state.rejectionReasons.length > 0;
const speakers = (state: DialogueState) => (state.writing === "wholeDialogue" ? "writeDialogue" : "speakerTurn");

/** After the personas: plan the dialogue, or end it when they failed their gates. */
export const afterPersonas = route(["selectSpeechEvent", "finalize"], (state) =>
  rejected(state) ? "finalize" : "selectSpeechEvent",
);

/** After the plan: the common ground, or (variants without one) straight to the speakers of the variant's mode. */
export const afterSpeechEvent = route(["writeCommonGround", "speakerTurn", "writeDialogue"], (state) =>
  state.writesCommonGround ? "writeCommonGround" : speakers(state),
);

/** After the common ground: the speakers of the variant's mode, or the end when it failed. */
export const afterCommonGround = route(["speakerTurn", "writeDialogue", "finalize"], (state) =>
  rejected(state) ? "finalize" : speakers(state),
);

/**
 * After a turn and its check: the same speaker again when the turn failed (its retries left), the other speaker,
 * the critique at the turn target or when a speaker closed the conversation, or the end on a rejection.
 */
export const afterSpeakerTurn = route(["speakerTurn", "critiqueDialogue", "finalize"], (state) => {
  if (rejected(state)) return "finalize";
  if (state.turnFeedback !== null) return "speakerTurn";
  if (state.closed || state.turns.length >= state.targetTurns) return "critiqueDialogue";
  return "speakerTurn";
});

/** After the whole dialogue was written in one call: its check, or the end when the call failed. */
export const afterWriteDialogue = route(["checkDialogue", "finalize"], (state) =>
  rejected(state) ? "finalize" : "checkDialogue",
);

/** After the whole dialogue's check: a new draft when it failed (retries left), the critique, or the end. */
export const afterCheckDialogue = route(["writeDialogue", "critiqueDialogue", "finalize"], (state) => {
  if (rejected(state)) return "finalize";
  return state.turnFeedback !== null ? "writeDialogue" : "critiqueDialogue";
});

/**
 * After the critique: the end when it accepts (or the dialogue was rejected); otherwise a repair, by the speakers
 * from the earliest offending turn, or by a whole new draft in the whole-dialogue mode.
 */
export const afterCritique = route(["finalize", "speakerTurn", "writeDialogue"], (state) => {
  if (rejected(state) || (state.critique && critiquePasses(state.critique))) return "finalize";
  return speakers(state);
});

/** A node of the dialogue graph: a function of the state and the run's runtime (settings, injected models). */
export type DialogueNode = (state: DialogueState, runtime: Runtime<DialogueContext>) => Promise<DialogueUpdate>;

/**
 * The node, followed by its route: it returns LangGraph's Command with its update and the next node. Compared with a
 * conditional edge, the route decides on the state the node already holds plus its update (stateAfter) instead of
 * LangGraph reading the whole state back, with a fresh checkpoint copy, after every step (`npm run bench -- batch`).
 */
export function routed<Next extends string>(node: DialogueNode, next: Route<Next>) {
  const step = async (state: DialogueState, runtime: Runtime<DialogueContext>) => {
    const update = await node(state, runtime);
    return new Command({ update, goto: next(stateAfter(state, update)) });
  };
  Object.defineProperty(step, "name", { value: node.name });
  return step;
}
