import type { Runtime } from "@langchain/langgraph";
import { planDialogue } from "../lib/plan.js";
import { loadPromptSet } from "../lib/prompts/loader.js";
import { type DialogueContext, resolveConfig } from "./configuration.js";
import type { DialogueState, DialogueUpdate } from "./state.js";

/**
 * Plans the dialogue without an LLM: its speech event and turn target from its seed (lib/plan.ts planDialogue), and
 * how the prompt variant has it written (its manifest: with or without a common ground, turn by turn or whole), decided
 * here once so that the graph's routes read it from the state.
 */
export async function selectSpeechEvent(
  state: DialogueState,
  runtime: Runtime<DialogueContext>,
): Promise<DialogueUpdate> {
  const config = resolveConfig(runtime.context);
  const { manifest } = loadPromptSet(config.promptVariant);
  return {
    ...planDialogue(state, config),
    writing: manifest.mode === "whole-dialogue" ? "wholeDialogue" : "turnByTurn",
    writesCommonGround: manifest.commonGround,
  };
}
