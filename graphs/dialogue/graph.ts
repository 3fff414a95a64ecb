import type { RunnableConfig } from "@langchain/core/runnables";
import { END, GraphRecursionError, type Runtime, START, StateGraph } from "@langchain/langgraph";
import { checkDialogue } from "../../nodes/check-dialogue.js";
import { writeCommonGround } from "../../nodes/write-common-ground.js";
import { critiqueDialogue } from "../../nodes/critique-dialogue.js";
import { finalize } from "../../nodes/finalize.js";
import { rewritePersonas } from "../../nodes/rewrite-personas.js";
import { selectSpeechEvent } from "../../nodes/select-speech-event.js";
import { speakerTurn } from "../../nodes/speaker-turn.js";
import { writeDialogue } from "../../nodes/write-dialogue.js";
import { installUntracedRunContext } from "../../lib/untraced-context.js";
import { type DialogueContext, DialogueContextSchema, resolveConfig } from "../../nodes/configuration.js";
import { type DialogueEvent, dialogueEvents, WATCHED_STREAM_MODES } from "../../nodes/events.js";
import {
  afterCheckDialogue,
  afterCommonGround,
  afterCritique,
  afterPersonas,
  afterSpeakerTurn,
  afterSpeechEvent,
  afterWriteDialogue,
  routed,
} from "./routes.js";
import { MAX_STEP_BUDGET, stepBudget } from "./step-budget.js";
import {
  stateAfter,
  type DialogueInput,
  DialogueInputSchema,
  type DialogueState,
  DialogueStateAnnotation,
  DialogueStateSchema,
} from "../../nodes/state.js";

/**
 * One persona-grounded dialogue, written directly in the target language:
 *
 *   rewritePersonas → selectSpeechEvent → writeCommonGround → speakerTurn ⟲ → critiqueDialogue → finalize
 *                                       (or: writeDialogue ⇄ checkDialogue, the whole-dialogue path)
 *
 * Each node but finalize is followed by its route (routes.ts, pure functions of the state). speakerTurn writes a
 * turn and checks it (the turn check is a traced step inside the node, nodes/check-turn); a failed turn goes back to
 * its speaker (bounded retries). critiqueDialogue accepts, or sends the dialogue back to the speakers from the
 * earliest offending turn (bounded). Every spent budget ends in finalize with the reasons, so no loop is unbounded.
 * The prompt variant's manifest (put in the state by selectSpeechEvent) may skip writeCommonGround and may have the
 * whole dialogue written in one call, gated by checkDialogue.
 */
export const builder = new StateGraph({
  state: DialogueStateAnnotation,
  input: DialogueInputSchema,
  output: DialogueStateSchema,
  context: DialogueContextSchema,
})
  // the personas → the plan, or finalize when they failed their gates
  .addNode("rewritePersonas", routed(rewritePersonas, afterPersonas), { ends: afterPersonas.ends })
  // the plan → the common ground, or the speakers when the variant writes none
  .addNode("selectSpeechEvent", routed(selectSpeechEvent, afterSpeechEvent), { ends: afterSpeechEvent.ends })
  // the common ground → the speakers of the variant's mode, or finalize when it failed
  .addNode("writeCommonGround", routed(writeCommonGround, afterCommonGround), { ends: afterCommonGround.ends })
  // a checked turn → its speaker again (retry), the other speaker, the critique, or finalize on a rejection
  .addNode("speakerTurn", routed(speakerTurn, afterSpeakerTurn), { ends: afterSpeakerTurn.ends })
  // the whole dialogue in one call → its check, or finalize when the call failed
  .addNode("writeDialogue", routed(writeDialogue, afterWriteDialogue), { ends: afterWriteDialogue.ends })
  // the checked draft → a new draft (retry), the critique, or finalize
  .addNode("checkDialogue", routed(checkDialogue, afterCheckDialogue), { ends: afterCheckDialogue.ends })
  // the verdict → finalize on accept; a repair by the speakers (or a new draft); finalize on a rejection
  .addNode("critiqueDialogue", routed(critiqueDialogue, afterCritique), { ends: afterCritique.ends })
  .addNode("finalize", finalize)
  // every dialogue starts with its personas
  .addEdge(START, "rewritePersonas")
  // the record written, the run ends
  .addEdge("finalize", END);

/** Compiled with the step budget of the largest settings as its recursion limit: LangGraph's dev server (Studio) runs
 * this graph as it is, and no setting the context schema accepts can reach it (step-budget.ts). */
export const graph = builder.compile().withConfig({ recursionLimit: MAX_STEP_BUDGET });
graph.name = "polyglot-personachat";

type GraphContext = NonNullable<Parameters<typeof graph.invoke>[1]>["context"];

/** Per-run invoke options: cancellation, tracing (tracer callbacks, a runId that is the trace id, labels), and a
 * lower step budget than the settings' (tests of what happens when a run exceeds its budget). */
export type DialogueRunOptions = Pick<
  RunnableConfig,
  "signal" | "runId" | "runName" | "tags" | "metadata" | "callbacks" | "recursionLimit"
>;

/**
 * A signal of this dialogue's own that follows `shared`, unlinked when the dialogue ends. LangGraph adds an abort
 * listener to the signal a run is given and never removes it (combineAbortSignals in Pregel.stream): on a signal
 * shared by a whole batch that is one listener per dialogue, and Node's MaxListenersExceededWarning after ten.
 */
function ownSignal(shared: AbortSignal | undefined): { signal?: AbortSignal; unlink: () => void } {
  if (!shared) return { unlink: () => {} };
  const controller = new AbortController();
  const forward = () => controller.abort(shared.reason);
  if (shared.aborted) forward();
  else shared.addEventListener("abort", forward, { once: true });
  return { signal: controller.signal, unlink: () => shared.removeEventListener("abort", forward) };
}

/**
 * Runs one dialogue within its step budget (step-budget.ts, from its settings). LangGraph types the context as every
 * key of its schema present; ours are all optional (resolveConfig fills the defaults) and the injected models sit
 * beside them, hence the one cast here. A run that exceeds its budget anyway ends as a rejected record (check
 * "step_budget") holding what it had written, never as a GraphRecursionError that would stop a batch.
 */
export async function runDialogue(
  input: DialogueInput,
  context: DialogueContext,
  options: DialogueRunOptions = {},
  /** sees the dialogue as it is written (events.ts): updates, model tokens and the nodes' custom events */
  watch?: (event: DialogueEvent) => void,
): Promise<DialogueState> {
  // untraced runs skip @langchain/core's placeholder RunTree per runnable call (lib/untraced-context.ts); installed
  // by the first run rather than by importing this module (idempotent: later runs find it in place)
  installUntracedRunContext();
  const recursionLimit = options.recursionLimit ?? stepBudget(resolveConfig(context));
  const { signal, unlink } = ownSignal(options.signal);
  let last: DialogueState | undefined;
  try {
    const stream = await graph.stream(input, {
      context: context as GraphContext,
      ...options,
      recursionLimit,
      // watched: LangGraph's own stream modes besides the values (a dialogue not watched streams nothing else)
      streamMode: watch ? [...WATCHED_STREAM_MODES] : ["values"],
      ...(signal ? { signal } : {}),
    });
    for await (const chunk of stream) {
      const [mode, payload] = chunk as unknown as [string, unknown];
      if (mode === "values") last = payload as DialogueState;
      else for (const event of dialogueEvents([mode, payload])) watch?.(event);
    }
  } catch (error) {
    if (!(error instanceof GraphRecursionError) || !last) throw error;
    const reason = {
      check: "step_budget",
      detail: `the dialogue ran out of its ${recursionLimit} graph steps before it ended`,
    };
    // no attempt is in flight between steps: speakerTurn writes and checks a turn in one step
    const state = stateAfter(last, { rejectionReasons: [reason] });
    return stateAfter(state, await finalize(state, { context } as Runtime<DialogueContext>));
  } finally {
    unlink();
  }
  if (!last) throw new Error("the dialogue graph ended without a state");
  return last;
}
