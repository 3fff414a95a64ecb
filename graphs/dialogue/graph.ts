import type { RunnableConfig } from "@langchain/core/runnables";
import { END, START, StateGraph } from "@langchain/langgraph";
import { checkDialogue, routeAfterDialogueCheck } from "../../nodes/check-dialogue/index.js";
import { checkTurn, routeAfterCheck } from "../../nodes/check-turn/index.js";
import { writeCommonGround } from "../../nodes/write-common-ground/index.js";
import { critiqueDialogue } from "../../nodes/critique-dialogue/index.js";
import { finalize } from "../../nodes/finalize/index.js";
import { rewritePersonas } from "../../nodes/rewrite-personas/index.js";
import { selectSpeechEvent } from "../../nodes/select-speech-event/index.js";
import { speakerTurn } from "../../nodes/speaker-turn/index.js";
import { writeDialogue } from "../../nodes/write-dialogue/index.js";
import { installUntracedRunContext } from "../../lib/tracing/untraced-context.js";
import { type DialogueContext, DialogueContextSchema } from "./configuration.js";
import { type DialogueInput, DialogueInputSchema, type DialogueState, DialogueStateAnnotation, DialogueStateSchema } from "./state.js";
import { routeAfterCommonGround, routeAfterCritiqueFor, routeAfterPlan } from "./variant-routing.js";

// untraced runs skip @langchain/core's placeholder RunTree per runnable call (lib/tracing/untraced-context.ts)
installUntracedRunContext();

/** A node that ends the dialogue early when it recorded a rejection. */
const continueOrReject = (next: string) => (state: DialogueState) => (state.rejectionReasons.length > 0 ? "reject" : next);

/**
 * One persona-grounded dialogue, written directly in the target language:
 *
 *   rewritePersonas → selectSpeechEvent → writeCommonGround → speakerTurn ⇄ checkTurn → critiqueDialogue → finalize
 *                                       (or: writeDialogue ⇄ checkDialogue, the whole-dialogue path)
 *
 * checkTurn sends a failed turn back to its speaker (bounded retries), hands the floor to the other speaker,
 * or ends the loop at the turn budget or when a speaker closed the conversation; critiqueDialogue accepts, or sends
 * the dialogue back to the speakers from the earliest offending turn (bounded). Every spent budget ends in
 * finalize with the reasons, so no loop is unbounded. The prompt variant's manifest (variant-routing.ts) may skip
 * writeCommonGround and may have the whole dialogue written in one call, gated by checkDialogue.
 */
export const builder = new StateGraph({ state: DialogueStateAnnotation, input: DialogueInputSchema, output: DialogueStateSchema, context: DialogueContextSchema })
  .addNode("rewritePersonas", rewritePersonas)
  .addNode("selectSpeechEvent", selectSpeechEvent)
  .addNode("writeCommonGround", writeCommonGround)
  .addNode("speakerTurn", speakerTurn)
  .addNode("checkTurn", checkTurn)
  .addNode("writeDialogue", writeDialogue)
  .addNode("checkDialogue", checkDialogue)
  .addNode("critiqueDialogue", critiqueDialogue)
  .addNode("finalize", finalize)
  .addEdge(START, "rewritePersonas")
  .addConditionalEdges("rewritePersonas", continueOrReject("ok"), { ok: "selectSpeechEvent", reject: "finalize" })
  .addConditionalEdges("selectSpeechEvent", routeAfterPlan, { commonGround: "writeCommonGround", turnByTurn: "speakerTurn", wholeDialogue: "writeDialogue" })
  .addConditionalEdges("writeCommonGround", routeAfterCommonGround, { turnByTurn: "speakerTurn", wholeDialogue: "writeDialogue", reject: "finalize" })
  .addEdge("speakerTurn", "checkTurn")
  .addConditionalEdges("checkTurn", routeAfterCheck, {
    nextSpeaker: "speakerTurn",
    retry: "speakerTurn",
    critique: "critiqueDialogue",
    reject: "finalize",
  })
  .addConditionalEdges("writeDialogue", continueOrReject("ok"), { ok: "checkDialogue", reject: "finalize" })
  .addConditionalEdges("checkDialogue", routeAfterDialogueCheck, { retry: "writeDialogue", critique: "critiqueDialogue", reject: "finalize" })
  .addConditionalEdges("critiqueDialogue", routeAfterCritiqueFor, {
    accept: "finalize",
    repair: "speakerTurn",
    redraft: "writeDialogue",
    reject: "finalize",
  })
  .addEdge("finalize", END);

export const graph = builder.compile();
graph.name = "polyglot-personachat";

type GraphContext = NonNullable<Parameters<typeof graph.invoke>[1]>["context"];

/** Per-run invoke options: cancellation, and tracing (tracer callbacks, a runId that is the trace id, labels). */
export type DialogueRunOptions = Pick<RunnableConfig, "signal" | "runId" | "runName" | "tags" | "metadata" | "callbacks">;

/**
 * Runs one dialogue. LangGraph types the context as every key of its schema present; ours are all optional
 * (resolveConfig fills the defaults) and the injected models sit beside them, hence the one cast here.
 */
export async function runDialogue(
  input: DialogueInput,
  context: DialogueContext,
  options: DialogueRunOptions = {},
): Promise<DialogueState> {
  return graph.invoke(input, {
    context: context as GraphContext,
    recursionLimit: 1000,
    ...options,
  });
}
