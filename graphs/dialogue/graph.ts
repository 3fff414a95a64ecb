import { END, START, StateGraph } from "@langchain/langgraph";
import { checkTurn, routeAfterCheck } from "../../nodes/check-turn/index.js";
import { writeCommonGround } from "../../nodes/write-common-ground/index.js";
import { critiqueDialogue, routeAfterCritique } from "../../nodes/critique-dialogue/index.js";
import { finalize } from "../../nodes/finalize/index.js";
import { rewritePersonas } from "../../nodes/rewrite-personas/index.js";
import { selectSpeechEvent } from "../../nodes/select-speech-event/index.js";
import { speakerTurn } from "../../nodes/speaker-turn/index.js";
import { type DialogueContext, DialogueContextSchema } from "./configuration.js";
import { type DialogueInput, type DialogueState, DialogueStateSchema } from "./state.js";

/** A node that ends the dialogue early when it recorded a rejection. */
const continueOrReject = (next: string) => (state: DialogueState) => (state.rejectionReasons.length > 0 ? "reject" : next);

/**
 * One persona-grounded dialogue, written directly in the target language:
 *
 *   rewritePersonas → selectSpeechEvent → writeCommonGround → speakerTurn ⇄ checkTurn → critiqueDialogue → finalize
 *
 * checkTurn sends a failed turn back to its speaker (bounded retries), hands the floor to the other speaker,
 * or ends the loop at the turn budget or when a speaker closed the conversation; critiqueDialogue accepts, or sends
 * the dialogue back to the speakers from the earliest offending turn (bounded). Every spent budget ends in
 * finalize with the reasons, so no loop is unbounded.
 */
export const builder = new StateGraph(DialogueStateSchema, DialogueContextSchema)
  .addNode("rewritePersonas", rewritePersonas)
  .addNode("selectSpeechEvent", selectSpeechEvent)
  .addNode("writeCommonGround", writeCommonGround)
  .addNode("speakerTurn", speakerTurn)
  .addNode("checkTurn", checkTurn)
  .addNode("critiqueDialogue", critiqueDialogue)
  .addNode("finalize", finalize)
  .addEdge(START, "rewritePersonas")
  .addConditionalEdges("rewritePersonas", continueOrReject("ok"), { ok: "selectSpeechEvent", reject: "finalize" })
  .addEdge("selectSpeechEvent", "writeCommonGround")
  .addConditionalEdges("writeCommonGround", continueOrReject("ok"), { ok: "speakerTurn", reject: "finalize" })
  .addEdge("speakerTurn", "checkTurn")
  .addConditionalEdges("checkTurn", routeAfterCheck, {
    nextSpeaker: "speakerTurn",
    retry: "speakerTurn",
    critique: "critiqueDialogue",
    reject: "finalize",
  })
  .addConditionalEdges("critiqueDialogue", routeAfterCritique, { accept: "finalize", repair: "speakerTurn", reject: "finalize" })
  .addEdge("finalize", END);

export const graph = builder.compile();
graph.name = "polyglot-personachat";

type GraphContext = NonNullable<Parameters<typeof graph.invoke>[1]>["context"];

/**
 * Runs one dialogue. LangGraph types the context as every key of its schema present; ours are all optional
 * (resolveConfig fills the defaults) and the injected models sit beside them, hence the one cast here.
 */
export async function runDialogue(
  input: DialogueInput,
  context: DialogueContext,
  options: { signal?: AbortSignal; runId?: string; tags?: string[]; metadata?: Record<string, unknown> } = {},
): Promise<DialogueState> {
  return graph.invoke(input, {
    context: context as GraphContext,
    recursionLimit: 1000,
    ...options,
  });
}
