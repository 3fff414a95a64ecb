import type { Runtime } from "@langchain/langgraph";
import { type DialogueContext, resolveRuntime } from "./configuration.js";
import type { DialogueState, DialogueUpdate } from "./state.js";
import { modelLabel, modelThreads } from "../lib/models/factory.js";
import { type DialogueRecord, parseDialogueRecord, type Persona, SPEAKERS } from "../lib/records/schema.js";
import { planDialogue } from "../lib/plan.js";

/**
 * Builds the dialogue's record — the only place that knows the record format — and validates it against the
 * record schema. A dialogue rejected before its plan was made still gets the (seeded, hence identical) plan.
 */
export async function finalize(state: DialogueState, runtime: Runtime<DialogueContext>): Promise<DialogueUpdate> {
  const { config, chatModel } = resolveRuntime(runtime);
  const { speechEvent } = state.speechEvent ? { speechEvent: state.speechEvent } : planDialogue(state, config);
  const personas: Persona[] = SPEAKERS.map(
    (speaker, i) =>
      state.personas.find((p) => p.speaker === speaker) ?? {
        speaker,
        name: "",
        sentences: [],
        source_sentences: state.sourcePersonas?.[i] ?? [],
      },
  );
  const label = modelLabel(chatModel);
  const threads = modelThreads(chatModel);
  const rejected = state.rejectionReasons.length > 0;
  const record: DialogueRecord = parseDialogueRecord({
    id: state.dialogueId,
    language: state.language,
    source_language: "en",
    status: rejected ? "rejected" : "accepted",
    rejection_reasons: state.rejectionReasons,
    speech_event: { id: speechEvent.id, name: speechEvent.name, category: speechEvent.category },
    common_ground: state.commonGround,
    personas,
    turns: state.turns,
    critique: state.critique,
    ...(rejected && state.failedAttempt ? { failed_attempt: state.failedAttempt } : {}),
    provenance: {
      provider: label.provider,
      model: label.model,
      prompt_variant: config.promptVariant,
      prompt_hash: state.promptHash,
      seed: state.seed,
      attempts: state.attempts,
      usage: state.usage,
      created_at: new Date().toISOString(),
      duration_ms: state.startedAt ? Date.now() - state.startedAt : 0,
      ...(threads !== undefined ? { threads } : {}),
    },
  });
  return { record };
}
