import { Annotation, type BaseChannel } from "@langchain/langgraph";
import { z } from "zod";
import {
  CritiqueSchema,
  DialogueRecordSchema,
  FailedAttemptSchema,
  PersonaSchema,
  RejectionReasonSchema,
  SpeakerSchema,
  SpeechEventRefSchema,
  TurnSchema,
  UsageSchema,
  ZERO_USAGE,
} from "../lib/records/schema.js";
import { loadSpeechEvents, speechEventIds } from "../lib/speech-events.js";
import { SessionHistorySchema } from "./series-history.js";

/** The utterance a speaker wrote, as the turn check saw it. */
export const CandidateTurnSchema = z.object({
  speaker: SpeakerSchema,
  text: z.string(),
  endsConversation: z.boolean(),
  /** set when the model's output could not be parsed: the attempt failed before any check */
  outputError: z.string().optional(),
  /** the model's answer as it came, when it could not be parsed */
  raw: z.string().optional(),
});
export type CandidateTurn = z.infer<typeof CandidateTurnSchema>;

/**
 * The dialogue's state, as a zod object: the one definition of its keys and types, and the schema LangGraph
 * Studio shows for the graph's output (the whole state).
 */
export const DialogueStateSchema = z.object({
  // ── input: one dialogue's request ────────────────────────────────────────────
  language: z.string().describe("Target language, BCP-47 (es, fr, pt-BR, zh-Hans, …)"),
  seed: z.number().int().describe("Seed of every random choice of this dialogue"),
  index: z.number().int().nonnegative().describe("Index of the dialogue in its run"),
  sourcePersonas: z
    .array(z.array(z.string()))
    .length(2)
    .optional()
    .describe("Two English source personas; default: a seeded pair from the built-in set"),
  speechEventId: z
    .string()
    .optional()
    .describe("Speech event id from data/speech-events.json; default: seeded weighted pick"),
  history: SessionHistorySchema.nullable().describe(
    "A later session of a series: the gap, both speakers' memories and grown personas (set by the series graph)",
  ),

  // ── built along the way ─────────────────────────────────────────────────────
  dialogueId: z.string(),
  startedAt: z.number(),
  personas: z.array(PersonaSchema),
  speechEvent: SpeechEventRefSchema.extend({ description: z.string() }).nullable(),
  commonGround: z.string(),
  targetTurns: z.number().int().describe("The turn count this dialogue aims at, drawn from the turn budget"),
  writing: z
    .enum(["turnByTurn", "wholeDialogue"])
    .describe("How the speakers write, from the prompt variant's manifest: a turn per call, or the whole dialogue"),
  writesCommonGround: z.boolean().describe("The prompt variant writes a common ground before the speakers"),
  turns: z.array(TurnSchema),
  candidate: CandidateTurnSchema.nullable().describe(
    "The last utterance a speaker wrote, as written: the attempt the turn check's verdict (turns, turnFeedback) is about",
  ),
  turnFeedback: z
    .string()
    .nullable()
    .describe("Why the last attempt at the current turn failed; shown to the speaker on retry"),
  turnRetries: z.number().int(),
  closed: z.boolean().describe("A speaker closed the conversation"),
  critique: CritiqueSchema.nullable(),
  critiqueRounds: z.number().int(),
  repairFeedback: z
    .string()
    .nullable()
    .describe("The last failed critique's feedback, shown to the speakers who repair the dialogue"),
  rejectionReasons: z.array(RejectionReasonSchema),
  failedAttempt: FailedAttemptSchema.nullable().describe(
    "What the model wrote in the attempt that made the dialogue fail",
  ),
  attempts: z.number().int(),
  usage: UsageSchema,
  promptHash: z.string(),

  // ── output ──────────────────────────────────────────────────────────────────
  record: DialogueRecordSchema.nullable(),
});
export type DialogueState = z.infer<typeof DialogueStateSchema>;

/** What each key holds before a node writes it (the input's keys have none but seed and index). */
const STATE_DEFAULTS: { [K in keyof DialogueState]?: () => DialogueState[K] } = {
  seed: () => 1,
  index: () => 0,
  history: () => null,
  dialogueId: () => "",
  startedAt: () => 0,
  personas: () => [],
  speechEvent: () => null,
  commonGround: () => "",
  targetTurns: () => 0,
  writing: () => "turnByTurn",
  writesCommonGround: () => true,
  turns: () => [],
  candidate: () => null,
  turnFeedback: () => null,
  turnRetries: () => 0,
  closed: () => false,
  critique: () => null,
  critiqueRounds: () => 0,
  repairFeedback: () => null,
  rejectionReasons: () => [],
  failedAttempt: () => null,
  attempts: () => 0,
  usage: () => ({ ...ZERO_USAGE }),
  promptHash: () => "",
  record: () => null,
};

type Channels<S> = { [K in keyof S]-?: BaseChannel<S[K], S[K]> };

/**
 * The same state as LangGraph channels, one per key of DialogueStateSchema: each keeps the last value written to
 * it, starting from its default. The graph runs on these rather than on the zod object because with a zod state
 * LangGraph re-validates every node's update against partial schemas it rebuilds on every step — a third of a
 * dialogue's orchestration CPU (`npm run bench -- batch`). The boundaries stay zod: the graph's input
 * (DialogueInputSchema), its context (configuration.ts), every model answer (lib/models/structured.ts) and the
 * record finalize writes (DialogueRecordSchema); between them the nodes are checked by the compiler.
 */
export const DialogueStateAnnotation = lastValueAnnotation(DialogueStateSchema, STATE_DEFAULTS);

/** One LangGraph channel per key of a zod object, each keeping the last value written to it, from its default. */
export function lastValueAnnotation<S extends z.ZodRawShape>(
  schema: z.ZodObject<S>,
  defaults: { [K in keyof S]?: () => unknown },
) {
  return Annotation.Root(
    Object.fromEntries(
      Object.keys(schema.shape).map((key) => {
        const initial = defaults[key as keyof S] ?? (() => undefined);
        return [key, Annotation<unknown>({ reducer: (_current, update) => update, default: initial })];
      }),
    ) as unknown as Channels<z.infer<z.ZodObject<S>>>,
  );
}

/**
 * The graph's input: one dialogue's request and nothing else, so LangGraph Studio's input form shows only these
 * (the rest of the state is built along the way). The speech event is one of data/speech-events.json's ids.
 */
const speechEventIdList = speechEventIds(loadSpeechEvents()) as [string, ...string[]];
export const DialogueInputSchema = z.object({
  language: DialogueStateSchema.shape.language,
  seed: z.number().int().optional().describe("Seed of every random choice of this dialogue; default 1"),
  index: z.number().int().nonnegative().optional().describe("Index of the dialogue in its run; default 0"),
  sourcePersonas: DialogueStateSchema.shape.sourcePersonas,
  speechEventId: z
    .enum(speechEventIdList)
    .optional()
    .describe("Speech event (data/speech-events.json); default: seeded weighted pick"),
  history: SessionHistorySchema.nullable()
    .optional()
    .describe("Series only (set by the series graph): what the speakers remember of earlier sessions"),
});

export type DialogueUpdate = Partial<DialogueState>;
/** One dialogue's request as callers build it (the speech event id is checked against the list at the boundary). */
export type DialogueInput = Omit<z.infer<typeof DialogueInputSchema>, "speechEventId"> & { speechEventId?: string };

type Channel = (typeof DialogueStateAnnotation.spec)[keyof DialogueState];

/**
 * The state a node's update leaves, as LangGraph's channels would make it (each key's channel from the current
 * value, updated with the node's write): what the graph's routes decide on, without LangGraph reading the whole
 * state back after the step.
 */
export function stateAfter(state: DialogueState, update: DialogueUpdate): DialogueState {
  const next: Record<string, unknown> = { ...state };
  const spec = DialogueStateAnnotation.spec as Record<string, Channel>;
  for (const key of Object.keys(update)) {
    const channel = spec[key]!.fromCheckpoint((state as Record<string, unknown>)[key]);
    channel.update([(update as Record<string, unknown>)[key] as never]);
    next[key] = channel.get();
  }
  return next as DialogueState;
}
