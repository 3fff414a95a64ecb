import type { Runtime } from "@langchain/langgraph";
import { type DialogueContext, type DialogueConfig, resolveConfig } from "../../graphs/dialogue/configuration.js";
import type { DialogueState, DialogueUpdate } from "../../graphs/dialogue/state.js";
import { createRng, hashSeed } from "../../lib/random.js";
import { loadSpeechEvents, selectSpeechEvent as pickSpeechEvent } from "../../lib/speech-events.js";

/**
 * The dialogue's plan, without an LLM: which speech event (seeded weighted pick, or the one the input names)
 * and how many turns to aim at (seeded, within the turn budget). Pure: the same seed gives the same plan,
 * which is why finalize may call it too when a dialogue was rejected before reaching this node.
 */
export function planDialogue(state: Pick<DialogueState, "seed" | "language" | "index"> & { speechEventId?: string }, config: DialogueConfig) {
  const rng = createRng(hashSeed(state.seed, state.language, state.index, "plan"));
  const event = pickSpeechEvent(loadSpeechEvents(), rng, state.speechEventId);
  const targetTurns = rng.int(config.turnsMin, config.turnsMax);
  return {
    speechEvent: { id: event.id, name: event.name, category: event.category, description: event.description },
    targetTurns,
  };
}

export async function selectSpeechEvent(state: DialogueState, runtime: Runtime<DialogueContext>): Promise<DialogueUpdate> {
  return planDialogue(state, resolveConfig(runtime.context));
}
