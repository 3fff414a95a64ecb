import type { Runtime } from "@langchain/langgraph";
import { z } from "zod";
import { type DialogueContext, resolveRuntime } from "./configuration.js";
import type { DialogueState, DialogueUpdate } from "./state.js";
import { emitDialogueEvent } from "./events.js";
import { attemptStructured } from "../lib/models/attempts.js";
import { loadPromptSet } from "../lib/prompts/loader.js";
import { dialogueIdFor, plannedPersonaPair } from "../lib/plan.js";
import { loadBuiltinPersonas } from "../lib/records/personas.js";
import {
  addUsage,
  type FailedAttempt,
  type Persona,
  type RejectionReason,
  SPEAKERS,
  ZERO_USAGE,
} from "../lib/records/schema.js";
import { bulletList, checkProse, languageOf, languageSlots, promptMessages } from "./shared.js";

/** one schema per sentence count: its JSON schema, the model's response format, is then built once (structured.ts) */
const personaSchemas = new Map<number, ReturnType<typeof buildPersonaRewriteSchema>>();

/** What the model returns for one persona: as many sentences as the English source has. */
export function personaRewriteSchema(sentenceCount: number) {
  let schema = personaSchemas.get(sentenceCount);
  if (!schema) personaSchemas.set(sentenceCount, (schema = buildPersonaRewriteSchema(sentenceCount)));
  return schema;
}
function buildPersonaRewriteSchema(sentenceCount: number) {
  return z.object({
    name: z.string().min(1).max(40),
    sentences: z.array(z.string().min(1).max(200)).min(sentenceCount).max(sentenceCount),
  });
}

/**
 * Rewrites each English source persona natively for the target language and culture (one structured call per
 * speaker, retried when the output is malformed or fails the prose gates). Also fixes the dialogue's id and,
 * when the input names no source personas, draws a seeded pair from the built-in set.
 */
export async function rewritePersonas(
  state: DialogueState,
  runtime: Runtime<DialogueContext>,
): Promise<DialogueUpdate> {
  const startedAt = state.startedAt || Date.now();
  const { config, chatModel } = resolveRuntime(runtime);
  const lang = languageOf(state.language);
  const prompts = loadPromptSet(config.promptVariant);
  const prompt = prompts.get("rewrite-persona");
  // a later session of a series: the same two people, with the personas the series carried forward
  if (state.history) {
    const personas = state.history.personas;
    return {
      dialogueId: dialogueIdFor(state.language, state.seed, state.index),
      startedAt,
      sourcePersonas: personas.map((p) => p.source_sentences),
      personas,
      promptHash: prompts.hash,
    };
  }
  const source = (state.sourcePersonas as [string[], string[]] | undefined) ?? plannedSourcePersonas(state);

  // this node's own calls (the graph adds them to the dialogue's totals)
  let usage = ZERO_USAGE;
  let attempts = 0;
  const personas: Persona[] = [];
  const rejectionReasons: RejectionReason[] = [];
  let failedAttempt: FailedAttempt | null = null;
  for (const [i, speaker] of SPEAKERS.entries()) {
    const sourceSentences = source[i]!;
    const slots = {
      ...languageSlots(lang),
      sentence_count: sourceSentences.length,
      source_persona: bulletList(sourceSentences),
    };
    const result = await attemptStructured({
      model: chatModel,
      schema: personaRewriteSchema(sourceSentences.length),
      name: "persona",
      maxRetries: config.maxStructuredRetries,
      messages: promptMessages(prompt, slots),
      validate: (value) => checkProse(value.sentences.join(" "), state.language),
      onRetry: (reason, attempt) =>
        emitDialogueEvent(runtime, { event: "retry", stage: "persona", speaker, attempt, reason }),
    });
    usage = addUsage(usage, result.usage);
    attempts += result.attempts;
    if (!result.ok) {
      rejectionReasons.push({ check: result.check, detail: `persona ${speaker}: ${result.reason}` });
      failedAttempt = { stage: "persona", speaker, text: result.raw };
      // a persona that parsed but failed a gate is kept as written, for the reader of the rejected record
      if (result.value)
        personas.push({
          speaker,
          name: result.value.name,
          sentences: result.value.sentences,
          source_sentences: sourceSentences,
        });
      break;
    }
    const persona = {
      speaker,
      name: result.value.name,
      sentences: result.value.sentences,
      source_sentences: sourceSentences,
    };
    personas.push(persona);
    emitDialogueEvent(runtime, { event: "persona", persona });
  }

  return {
    dialogueId: dialogueIdFor(state.language, state.seed, state.index),
    startedAt,
    sourcePersonas: source,
    personas,
    rejectionReasons,
    ...(failedAttempt ? { failedAttempt } : {}),
    usage,
    attempts,
    promptHash: prompts.hash,
  };
}

/** No personas in the input (a dialogue run alone, as Studio does): the built-in pair the CLI plans for this id. */
function plannedSourcePersonas(state: { seed: number; language: string; index: number }): [string[], string[]] {
  const pool = loadBuiltinPersonas();
  const [a, b] = plannedPersonaPair(pool.length, state.seed, state.language, state.index);
  return [[...pool[a]!], [...pool[b]!]];
}
