import type { Runtime } from "@langchain/langgraph";
import { HumanMessage, SystemMessage } from "@langchain/core/messages";
import { z } from "zod";
import { type DialogueConfig, type DialogueContext, resolveRuntime } from "./configuration.js";
import type { DialogueState, DialogueUpdate } from "./state.js";
import { emitDialogueEvent } from "./events.js";
import { attemptStructured } from "../lib/models/attempts.js";
import { fillSlots, loadPromptSet } from "../lib/prompts/loader.js";
import { commonGroundHistory } from "./series-render.js";
import { bothSpeakersSlots, demonstrationFor, renderDemonstration } from "./shared.js";

/**
 * The `whole-dialogue` path (a variant whose manifest says `"mode": "whole-dialogue"`): the whole dialogue in one
 * structured call, which checkDialogue then runs through the same gates as the turn-by-turn path, and
 * critiqueDialogue through the same critique. A draft that fails the gates is written again with their feedback
 * (up to maxTurnRetries times); a failed critique has it written again with the reviewer's feedback.
 */

const dialogueSchemas = new Map<string, ReturnType<typeof buildDialogueSchema>>();
function buildDialogueSchema(minTurns: number, maxTurns: number, maxChars: number) {
  return z.object({
    turns: z
      .array(z.object({ speaker: z.enum(["A", "B"]), utterance: z.string().max(maxChars) }))
      .min(minTurns)
      .max(maxTurns),
  });
}
/** `{turns: [{speaker: "A"|"B", utterance}]}`, with the turn budget and the turn length as bounds a grammar can force. */
export function dialogueSchema(config: Pick<DialogueConfig, "turnsMin" | "turnsMax" | "maxTurnChars">) {
  const key = `${config.turnsMin}-${config.turnsMax}-${config.maxTurnChars}`;
  let schema = dialogueSchemas.get(key);
  if (!schema)
    dialogueSchemas.set(key, (schema = buildDialogueSchema(config.turnsMin, config.turnsMax, config.maxTurnChars)));
  return schema;
}

/** Output tokens one whole-dialogue call may need: the longest dialogue at the longest turns, with JSON overhead. */
export function dialogueMaxTokens(config: Pick<DialogueConfig, "turnsMax" | "maxTurnChars">): number {
  return Math.max(1024, Math.ceil(config.turnsMax * (config.maxTurnChars / 2 + 16)));
}

export function dialogueMessages(state: DialogueState, config: DialogueConfig, feedback: string | null) {
  const prompts = loadPromptSet(config.promptVariant);
  const prompt = prompts.get("whole-dialogue");
  const notes = [
    state.repairFeedback ? fillSlots(prompt.section("repair"), { feedback: state.repairFeedback }) : "",
    feedback ? fillSlots(prompt.section("retry"), { feedback }) : "",
  ].filter(Boolean);
  const slots = {
    ...bothSpeakersSlots(state, prompts.manifest, "writeDialogue"),
    demonstration: renderDemonstration(prompt, demonstrationFor(state, prompts.manifest)),
    target_turns: state.targetTurns,
    turns_min: config.turnsMin,
    turns_max: config.turnsMax,
    notes: notes.length ? `\n\n${notes.join("\n")}` : "",
  };
  return [
    new SystemMessage(fillSlots(prompt.section("system"), slots) + commonGroundHistory(state.history)),
    new HumanMessage(fillSlots(prompt.section("user"), slots)),
  ];
}

export async function writeDialogue(state: DialogueState, runtime: Runtime<DialogueContext>): Promise<DialogueUpdate> {
  const { config, chatModel } = resolveRuntime(runtime);
  // the gates' feedback on the last draft (set by checkDialogue) goes into the first attempt; a draft that does not
  // even parse is retried within maxStructuredRetries with the parser's reason
  const gateFeedback = state.turnFeedback;
  const model = chatModel.withConfig({ maxTokens: dialogueMaxTokens(config) } as Record<
    string,
    unknown
  >) as unknown as typeof chatModel;
  const result = await attemptStructured({
    model,
    schema: dialogueSchema(config),
    name: "dialogue",
    maxRetries: config.maxStructuredRetries,
    onRetry: (reason, attempt) => emitDialogueEvent(runtime, { event: "retry", stage: "dialogue", attempt, reason }),
    messages: (feedback) => dialogueMessages(state, config, feedback ?? gateFeedback),
  });
  // what these calls spent: the graph adds it to the dialogue's totals (state.ts)
  const spent = { usage: result.usage, attempts: result.attempts };
  if (!result.ok) {
    return {
      ...spent,
      rejectionReasons: [{ check: result.check, detail: `whole dialogue: ${result.reason}` }],
      failedAttempt: { stage: "dialogue", text: result.raw },
    };
  }
  return {
    ...spent,
    turns: result.value.turns.map((turn) => ({ speaker: turn.speaker, text: turn.utterance.trim() })),
    turnFeedback: null,
    closed: true,
  };
}
