import { Annotation, type BaseChannel, Overwrite, type OverwriteValue } from "@langchain/langgraph";
import { z } from "zod";
import {
  CritiqueSchema,
  DialogueRecordSchema,
  FailedAttemptSchema,
  PersonaSchema,
  type RejectionReason,
  RejectionReasonSchema,
  SpeakerSchema,
  SpeechEventRefSchema,
  TurnSchema,
  addUsage,
  UsageSchema,
  ZERO_USAGE,
} from "../lib/records/schema.js";
import { BUILTIN_SPEECH_EVENT_IDS } from "../lib/speech-events.js";
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

/**
 * How a key that accumulates joins what a node writes to it (the increment) to what the state holds. A node returns
 * only what it adds — the reasons it found, the usage and attempts of its own calls, one more critique round — and
 * LangGraph's channel adds it up; every other key keeps the last value written to it.
 */
export type Accumulators<S> = { [K in keyof S]?: (held: S[K], increment: S[K]) => S[K] };

/** Rejection reasons, in the order the nodes found them. */
export const appendReasons = (held: RejectionReason[], increment: RejectionReason[]): RejectionReason[] =>
  increment.length ? [...held, ...increment] : held;
/** Counts (LLM attempts, critique rounds). */
export const sum = (held: number, increment: number): number => held + increment;

/** The dialogue's running totals: its reasons for rejection, the usage and attempts of all its calls, its critique rounds. */
export const DIALOGUE_ACCUMULATORS = {
  rejectionReasons: appendReasons,
  usage: addUsage,
  attempts: sum,
  critiqueRounds: sum,
} satisfies Accumulators<DialogueState>;

/** What a node returns: any key's new value, and for a key that accumulates, its increment. */
export type DialogueUpdate = Partial<DialogueState>;

/**
 * An update that may also reset running totals: `replace(value)` sets a total to `value` (LangGraph's Overwrite: the
 * channel takes it as it is, bypassing the sum). No node of the dialogue graph resets one today.
 */
export type StateUpdate<S, A extends keyof S> = { [K in keyof S]?: K extends A ? S[K] | Overwrite<S[K]> : S[K] };
export type DialogueUpdateWithResets = StateUpdate<DialogueState, keyof typeof DIALOGUE_ACCUMULATORS>;

/** An update that resets an accumulating key to `value` instead of adding to it. */
export function replace<T>(value: T): Overwrite<T> {
  return new Overwrite(value);
}

// every channel takes an Overwrite (LangGraph applies it before any reducer); StateUpdate allows it where it means something
type Channels<S> = { [K in keyof S]-?: BaseChannel<S[K], S[K] | OverwriteValue<S[K]>> };

/**
 * The same state as LangGraph channels, one per key of DialogueStateSchema, starting from its default: the
 * running totals (DIALOGUE_ACCUMULATORS) add up what nodes write to them, every other key keeps the last value
 * written. The graph runs on these rather than on the zod object because with a zod state
 * LangGraph re-validates every node's update against partial schemas it rebuilds on every step — a third of a
 * dialogue's orchestration CPU (`npm run bench -- batch`). The boundaries stay zod: the graph's input
 * (DialogueInputSchema), its context (configuration.ts), every model answer (lib/models/structured.ts) and the
 * record finalize writes (DialogueRecordSchema); between them the nodes are checked by the compiler.
 */
export const DialogueStateAnnotation = stateAnnotation(DialogueStateSchema, STATE_DEFAULTS, DIALOGUE_ACCUMULATORS);

/**
 * One LangGraph channel per key of a zod object, from its default: the keys in `accumulators` join each update to
 * what they hold with their function (a `replace(value)` sets them), the others keep the last value written to them.
 */
export function stateAnnotation<S extends z.ZodRawShape>(
  schema: z.ZodObject<S>,
  defaults: { [K in keyof S]?: () => unknown },
  accumulators: Accumulators<z.infer<z.ZodObject<S>>>,
) {
  const lastValue = (_held: unknown, update: unknown) => update;
  return Annotation.Root(
    Object.fromEntries(
      Object.keys(schema.shape).map((key) => {
        const initial = defaults[key as keyof S] ?? (() => undefined);
        const reducer = (accumulators as Record<string, (held: unknown, update: unknown) => unknown>)[key] ?? lastValue;
        return [key, Annotation<unknown>({ reducer, default: initial })];
      }),
    ) as unknown as Channels<z.infer<z.ZodObject<S>>>,
  );
}

// typed as strings, as callers build the input (the schema checks the id where the input is parsed)
const speechEventIds: Readonly<[string, ...string[]]> = BUILTIN_SPEECH_EVENT_IDS;

/**
 * The graph's input: one dialogue's request and nothing else, so LangGraph Studio's input form shows only these
 * (the rest of the state is built along the way). The speech event is one of data/speech-events.json's ids (the
 * constant list lib/speech-events.ts keeps in step with the file: no file is read when this module is imported).
 */
export const DialogueInputSchema = z.object({
  language: DialogueStateSchema.shape.language,
  seed: z.number().int().optional().describe("Seed of every random choice of this dialogue; default 1"),
  index: z.number().int().nonnegative().optional().describe("Index of the dialogue in its run; default 0"),
  sourcePersonas: DialogueStateSchema.shape.sourcePersonas,
  speechEventId: z
    .enum(speechEventIds)
    .optional()
    .describe("Speech event (data/speech-events.json); default: seeded weighted pick"),
  history: SessionHistorySchema.nullable()
    .optional()
    .describe("Series only (set by the series graph): what the speakers remember of earlier sessions"),
});

/** One dialogue's request as callers build it (the speech event id is checked against the list at the boundary). */
export type DialogueInput = Omit<z.infer<typeof DialogueInputSchema>, "speechEventId"> & { speechEventId?: string };

type Channel = (typeof DialogueStateAnnotation.spec)[keyof DialogueState];

/**
 * The state a node's update leaves, as LangGraph's channels make it (each key's channel from the current value,
 * updated with the node's write: a running total adds the increment, `replace(value)` sets it): what the graph's
 * routes decide on, without LangGraph reading the whole state back after the step; and how a dialogue that ran out
 * of steps is finalized after the graph stopped.
 */
export function stateAfter(state: DialogueState, update: DialogueUpdateWithResets): DialogueState {
  const next: Record<string, unknown> = { ...state };
  const spec = DialogueStateAnnotation.spec as Record<string, Channel>;
  for (const key of Object.keys(update)) {
    const channel = spec[key]!.fromCheckpoint((state as Record<string, unknown>)[key]);
    channel.update([(update as Record<string, unknown>)[key] as never]);
    next[key] = channel.get();
  }
  return next as DialogueState;
}
