import type { Runtime } from "@langchain/langgraph";
import { planDialogue } from "../lib/plan.js";
import { type DialogueContext, resolveConfig } from "./configuration.js";
import type { DialogueState, DialogueUpdate } from "./state.js";

/** Picks the dialogue's speech event and turn target from its seed (lib/plan.ts planDialogue), without an LLM. */
export async function selectSpeechEvent(
  state: DialogueState,
  runtime: Runtime<DialogueContext>,
): Promise<DialogueUpdate> {
  return planDialogue(state, resolveConfig(runtime.context));
}
