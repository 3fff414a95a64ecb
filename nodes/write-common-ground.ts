import type { Runtime } from "@langchain/langgraph";
import { z } from "zod";
import { type DialogueContext, resolveRuntime } from "./configuration.js";
import type { DialogueState, DialogueUpdate } from "./state.js";
import { emitDialogueEvent } from "./events.js";
import { attemptStructured } from "../lib/models/attempts.js";
import { loadPromptSet } from "../lib/prompts/loader.js";
import { commonGroundHistory } from "./series-render.js";
import { bothSpeakersSlots, checkProse, promptMessages } from "./shared.js";

export const CommonGroundSchema = z.object({
  relationship: z.string().min(1).max(300),
  setting: z.string().min(1).max(300),
  shared_knowledge: z.string().min(1).max(300),
});
export type CommonGround = z.infer<typeof CommonGroundSchema>;

export function commonGroundParagraph(value: CommonGround): string {
  return [value.relationship, value.setting, value.shared_knowledge].map((part) => part.trim()).join(" ");
}

/** The premises of the conversation, in the target language, consistent with both personas and the speech event. */
export async function writeCommonGround(
  state: DialogueState,
  runtime: Runtime<DialogueContext>,
): Promise<DialogueUpdate> {
  const { config, chatModel } = resolveRuntime(runtime);
  const prompts = loadPromptSet(config.promptVariant);
  const prompt = prompts.get("common-ground");
  const slots = bothSpeakersSlots(state, prompts.manifest, "writeCommonGround");
  const result = await attemptStructured({
    model: chatModel,
    schema: CommonGroundSchema,
    name: "common_ground",
    maxRetries: config.maxStructuredRetries,
    onRetry: (reason, attempt) =>
      emitDialogueEvent(runtime, { event: "retry", stage: "common_ground", attempt, reason }),
    messages: promptMessages(prompt, slots, commonGroundHistory(state.history)),
    validate: (value) => checkProse(commonGroundParagraph(value), state.language),
  });
  // what these calls spent: the graph adds it to the dialogue's totals (state.ts)
  const spent = { usage: result.usage, attempts: result.attempts };
  if (!result.ok) {
    return {
      ...spent,
      rejectionReasons: [{ check: result.check, detail: `common ground: ${result.reason}` }],
      failedAttempt: { stage: "common_ground", text: result.raw },
      ...(result.value ? { commonGround: commonGroundParagraph(result.value) } : {}),
    };
  }
  return { ...spent, commonGround: commonGroundParagraph(result.value) };
}
