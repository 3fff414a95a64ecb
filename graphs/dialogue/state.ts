import { Annotation } from "@langchain/langgraph";
import { z } from "zod";
import {
  type Critique,
  type DialogueRecord,
  type Persona,
  type RejectionReason,
  SpeakerSchema,
  type SpeechEventRef,
  type Turn,
  type Usage,
  ZERO_USAGE,
} from "../../lib/records/schema.js";
import { loadSpeechEvents, speechEventIds } from "../../lib/speech-events.js";

/** The utterance a speaker just wrote, waiting for the deterministic checks. */
export const CandidateTurnSchema = z.object({
  speaker: SpeakerSchema,
  text: z.string(),
  endsConversation: z.boolean(),
  /** set when the model's output could not be parsed: the attempt failed before any check */
  outputError: z.string().optional(),
});
export type CandidateTurn = z.infer<typeof CandidateTurnSchema>;

/**
 * A state key that keeps the last value written to it and starts as `initial()` when the input does not give it.
 * The state is a LangGraph Annotation rather than a zod object: with a zod state LangGraph re-validates every
 * node's update against partial schemas it rebuilds on every step, which was a third of the orchestration's CPU
 * (`npm run bench -- batch`). The boundaries stay zod: the graph's input (DialogueInputSchema), its context
 * (configuration.ts), every model output (lib/models/structured.ts) and the record finalize writes
 * (DialogueRecordSchema); between them the nodes are checked by the compiler.
 */
function value<T>(initial: () => T) {
  return Annotation<T>({ reducer: (_current: T, update: T) => update, default: initial });
}

export const DialogueStateAnnotation = Annotation.Root({
  // ── input: one dialogue's request ────────────────────────────────────────────
  /** target language, BCP-47 (es, fr, pt-BR, zh-Hans, …) */
  language: Annotation<string>,
  /** seed of every random choice of this dialogue */
  seed: value<number>(() => 1),
  /** index of the dialogue in its run */
  index: value<number>(() => 0),
  /** two English source personas; default: a seeded pair from the built-in set */
  sourcePersonas: Annotation<string[][] | undefined>,
  /** speech event id from data/speech-events.json; default: seeded weighted pick */
  speechEventId: Annotation<string | undefined>,

  // ── built along the way ─────────────────────────────────────────────────────
  dialogueId: value<string>(() => ""),
  startedAt: value<number>(() => 0),
  personas: value<Persona[]>(() => []),
  speechEvent: value<(SpeechEventRef & { description: string }) | null>(() => null),
  commonGround: value<string>(() => ""),
  /** the turn count this dialogue aims at, drawn from the turn budget */
  targetTurns: value<number>(() => 0),
  turns: value<Turn[]>(() => []),
  candidate: value<CandidateTurn | null>(() => null),
  /** why the last attempt at the current turn failed; shown to the speaker on retry */
  turnFeedback: value<string | null>(() => null),
  turnRetries: value<number>(() => 0),
  /** a speaker closed the conversation */
  closed: value<boolean>(() => false),
  critique: value<Critique | null>(() => null),
  critiqueRounds: value<number>(() => 0),
  /** the last failed critique's feedback, shown to the speakers who repair the dialogue */
  repairFeedback: value<string | null>(() => null),
  rejectionReasons: value<RejectionReason[]>(() => []),
  attempts: value<number>(() => 0),
  usage: value<Usage>(() => ({ ...ZERO_USAGE })),
  promptHash: value<string>(() => ""),

  // ── output ──────────────────────────────────────────────────────────────────
  record: value<DialogueRecord | null>(() => null),
});

/**
 * The graph's input: one dialogue's request and nothing else, so LangGraph Studio's input form shows only these
 * (the rest of the state is built along the way). The speech event is one of data/speech-events.json's ids.
 */
const speechEventIdList = speechEventIds(loadSpeechEvents()) as [string, ...string[]];
export const DialogueInputSchema = z.object({
  language: z.string().describe("Target language, BCP-47 (es, fr, pt-BR, zh-Hans, …)"),
  seed: z.number().int().optional().describe("Seed of every random choice of this dialogue; default 1"),
  index: z.number().int().nonnegative().optional().describe("Index of the dialogue in its run; default 0"),
  sourcePersonas: z
    .array(z.array(z.string()))
    .length(2)
    .optional()
    .describe("Two English source personas; default: a seeded pair from the built-in set"),
  speechEventId: z.enum(speechEventIdList).optional().describe("Speech event (data/speech-events.json); default: seeded weighted pick"),
});

export type DialogueState = typeof DialogueStateAnnotation.State;
export type DialogueUpdate = Partial<DialogueState>;
/** One dialogue's request as callers build it (the speech event id is checked against the list at the boundary). */
export type DialogueInput = Omit<z.infer<typeof DialogueInputSchema>, "speechEventId"> & { speechEventId?: string };
