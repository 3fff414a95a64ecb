import { withLangGraph } from "@langchain/langgraph/zod";
import { z } from "zod";
import {
  CritiqueSchema,
  DialogueRecordSchema,
  PersonaSchema,
  RejectionReasonSchema,
  SpeakerSchema,
  SpeechEventRefSchema,
  TurnSchema,
  UsageSchema,
} from "../../lib/records/schema.js";
import { loadSpeechEvents, speechEventIds } from "../../lib/speech-events.js";

/** A field whose value starts as `value()` when the input does not give it. */
function withDefault<T extends z.ZodTypeAny>(schema: T, value: () => z.infer<T>): T {
  return withLangGraph(schema, { default: value }) as unknown as T;
}

/** The utterance a speaker just wrote, waiting for the deterministic checks. */
export const CandidateTurnSchema = z.object({
  speaker: SpeakerSchema,
  text: z.string(),
  endsConversation: z.boolean(),
  /** set when the model's output could not be parsed: the attempt failed before any check */
  outputError: z.string().optional(),
});
export type CandidateTurn = z.infer<typeof CandidateTurnSchema>;

export const DialogueStateSchema = z.object({
  // ── input: one dialogue's request ────────────────────────────────────────────
  language: z.string().describe("Target language, BCP-47 (es, fr, pt-BR, zh-Hans, …)"),
  seed: withDefault(z.number().int().describe("Seed of every random choice of this dialogue"), () => 1),
  index: withDefault(z.number().int().nonnegative().describe("Index of the dialogue in its run"), () => 0),
  sourcePersonas: z
    .array(z.array(z.string()))
    .length(2)
    .optional()
    .describe("Two English source personas; default: a seeded pair from the built-in set"),
  speechEventId: z.string().optional().describe("Speech event id from data/speech-events.json; default: seeded weighted pick"),

  // ── built along the way ─────────────────────────────────────────────────────
  dialogueId: withDefault(z.string(), () => ""),
  startedAt: withDefault(z.number(), () => 0),
  personas: withDefault(z.array(PersonaSchema), () => []),
  speechEvent: withDefault(SpeechEventRefSchema.extend({ description: z.string() }).nullable(), () => null),
  commonGround: withDefault(z.string(), () => ""),
  /** the turn count this dialogue aims at, drawn from the turn budget */
  targetTurns: withDefault(z.number().int(), () => 0),
  turns: withDefault(z.array(TurnSchema), () => []),
  candidate: withDefault(CandidateTurnSchema.nullable(), () => null),
  /** why the last attempt at the current turn failed; shown to the speaker on retry */
  turnFeedback: withDefault(z.string().nullable(), () => null),
  turnRetries: withDefault(z.number().int(), () => 0),
  /** a speaker closed the conversation */
  closed: withDefault(z.boolean(), () => false),
  critique: withDefault(CritiqueSchema.nullable(), () => null),
  critiqueRounds: withDefault(z.number().int(), () => 0),
  /** the last failed critique's feedback, shown to the speakers who repair the dialogue */
  repairFeedback: withDefault(z.string().nullable(), () => null),
  rejectionReasons: withDefault(z.array(RejectionReasonSchema), () => []),
  attempts: withDefault(z.number().int(), () => 0),
  usage: withDefault(UsageSchema, () => ({ input_tokens: 0, output_tokens: 0 })),
  promptHash: withDefault(z.string(), () => ""),

  // ── output ──────────────────────────────────────────────────────────────────
  record: withDefault(DialogueRecordSchema.nullable(), () => null),
});

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
  speechEventId: z.enum(speechEventIdList).optional().describe("Speech event (data/speech-events.json); default: seeded weighted pick"),
});

export type DialogueState = z.infer<typeof DialogueStateSchema>;
export type DialogueUpdate = Partial<DialogueState>;
export type DialogueInput = Pick<DialogueState, "language"> &
  Partial<Pick<DialogueState, "seed" | "index" | "sourcePersonas" | "speechEventId">>;
