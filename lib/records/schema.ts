import { z } from "zod";

/**
 * The dialogue record: one JSON object per line of the output JSONL.
 * This zod object is the single definition of the format: the writer validates
 * every record against it and every reader parses with it.
 */

export const SpeakerSchema = z.enum(["A", "B"]);
export type Speaker = z.infer<typeof SpeakerSchema>;
export const SPEAKERS: readonly Speaker[] = ["A", "B"];

export const TurnSchema = z.object({
  speaker: SpeakerSchema,
  text: z.string(),
});
export type Turn = z.infer<typeof TurnSchema>;

export const PersonaSchema = z.object({
  speaker: SpeakerSchema,
  /** the first name the rewrite gave the speaker ("" when the rewrite failed) */
  name: z.string(),
  /** the persona written natively in the target language */
  sentences: z.array(z.string()),
  /** the English source persona it was rewritten from */
  source_sentences: z.array(z.string()),
});
export type Persona = z.infer<typeof PersonaSchema>;

export const RejectionReasonSchema = z.object({
  /** a gate name (language, placeholder, …), "critique", or "structured_output" */
  check: z.string(),
  detail: z.string(),
  turn: z.number().int().nonnegative().optional(),
  /** series records: the session (1-based) the reason belongs to */
  session: z.number().int().positive().optional(),
});
export type RejectionReason = z.infer<typeof RejectionReasonSchema>;

export const SpeechEventRefSchema = z.object({
  id: z.string(),
  name: z.string(),
  category: z.string(),
});
export type SpeechEventRef = z.infer<typeof SpeechEventRefSchema>;

/** A 1–5 rating as an enum, so that a grammar can force it (grammars do not know `minimum`). */
const Score = z.union([z.literal(1), z.literal(2), z.literal(3), z.literal(4), z.literal(5)]);

/** What the self-critique LLM call must return (its JSON schema is given to the model as a grammar). */
export const CritiqueSchema = z.object({
  persona_faithfulness: Score.describe("1-5: each speaker stays true to their own persona"),
  speech_event_fit: Score.describe("1-5: the conversation is the requested kind of speech event"),
  naturalness: Score.describe("1-5: reads like native speakers chatting, not a translation"),
  verdict: z.enum(["accept", "revise"]),
  offending_turns: z.array(z.number().int().min(0).max(63)).max(16).describe("0-based indices of the turns to rewrite"),
  feedback: z.string().max(600).describe("what to change, concretely"),
});
export type Critique = z.infer<typeof CritiqueSchema>;

/** The self-critique of a later session of a series: the same axes, plus consistency with the speakers' memory. */
export const SeriesCritiqueSchema = CritiqueSchema.extend({
  memory_consistency: Score.describe("1-5: nobody contradicts or forgets what was said in earlier sessions"),
});
export type SeriesCritique = z.infer<typeof SeriesCritiqueSchema>;

export const UsageSchema = z.object({
  input_tokens: z.number().int().nonnegative(),
  output_tokens: z.number().int().nonnegative(),
});
export type Usage = z.infer<typeof UsageSchema>;
export const ZERO_USAGE: Usage = { input_tokens: 0, output_tokens: 0 };
export function addUsage(a: Usage, b: Usage): Usage {
  return { input_tokens: a.input_tokens + b.input_tokens, output_tokens: a.output_tokens + b.output_tokens };
}

export const ProvenanceSchema = z.object({
  provider: z.string(),
  model: z.string(),
  prompt_variant: z.string(),
  prompt_hash: z.string(),
  seed: z.number().int(),
  /** LLM calls made for this dialogue, failed ones included */
  attempts: z.number().int().nonnegative(),
  usage: UsageSchema,
  created_at: z.string().datetime(),
  duration_ms: z.number().nonnegative(),
  /** the embedded engine's CPU threads (llama-cpp only: its output depends on them) */
  threads: z.number().int().positive().optional(),
  trace_id: z.string().optional(),
  /** hash of the run's configuration (app/run/run-config.ts configHash): checks a journal without its run log */
  run_config: z.string().optional(),
});
export type Provenance = z.infer<typeof ProvenanceSchema>;

/**
 * What the model wrote in the attempt that made a dialogue fail, as it wrote it (its raw answer, or the turn as the
 * gates saw it): on rejected records only, so a user can read what failed next to the reasons. The rest of a
 * rejected record is the text as last written: the personas, common ground, turns and critique that were kept.
 */
export const FailedAttemptSchema = z.object({
  /** the call that failed: a persona rewrite, the common ground, one turn, a whole-dialogue draft, the critique */
  stage: z.enum(["persona", "common_ground", "turn", "dialogue", "critique", "memory"]),
  speaker: SpeakerSchema.optional(),
  turn: z.number().int().nonnegative().optional(),
  /** series records: the session (1-based) of the failed attempt */
  session: z.number().int().positive().optional(),
  text: z.string(),
});
export type FailedAttempt = z.infer<typeof FailedAttemptSchema>;

/** The time between two sessions of a series, drawn by the series graph (nodes/series-gap.ts). */
export const GapSchema = z.object({
  kind: z.enum(["hours", "next_day", "days", "weeks", "months"]),
  amount: z.number().int().positive(),
  unit: z.enum(["hour", "day", "week", "month"]),
});
export type Gap = z.infer<typeof GapSchema>;

/** What one speaker took away from a session, written by the memory node in the target language, from their point of view. */
export const SessionMemorySchema = z.object({
  speaker: SpeakerSchema,
  /** a short summary of the session as this speaker remembers it */
  summary: z.string(),
  /** persona facts about this speaker that came up new or changed in the session (added to their persona) */
  new_facts: z.array(z.string()),
  /** what this speaker learned about the partner */
  partner_facts: z.array(z.string()),
});
export type SessionMemory = z.infer<typeof SessionMemorySchema>;

/** One session of a series record. */
export const SeriesSessionSchema = z.object({
  /** 1-based */
  session: z.number().int().positive(),
  /** the time since the previous session (null for the first) */
  gap: GapSchema.nullable(),
  status: z.enum(["accepted", "rejected"]),
  speech_event: SpeechEventRefSchema,
  common_ground: z.string(),
  /** the personas as the speakers had them in this session: the first session's plus the facts learned since */
  personas: z.array(PersonaSchema).length(2),
  turns: z.array(TurnSchema),
  critique: z.union([SeriesCritiqueSchema, CritiqueSchema]).nullable(),
  /** each speaker's memory of this session (empty when the session or its memory failed) */
  memory: z.array(SessionMemorySchema),
});
export type SeriesSession = z.infer<typeof SeriesSessionSchema>;

export const DialogueRecordSchema = z
  .object({
    id: z.string().min(1),
    language: z.string().min(1),
    source_language: z.literal("en"),
    status: z.enum(["accepted", "rejected"]),
    rejection_reasons: z.array(RejectionReasonSchema),
    speech_event: SpeechEventRefSchema,
    common_ground: z.string(),
    personas: z.array(PersonaSchema).length(2),
    turns: z.array(TurnSchema),
    critique: CritiqueSchema.nullable(),
    provenance: ProvenanceSchema,
    /** rejected records: the failing attempt's text (absent from accepted records and from older files) */
    failed_attempt: FailedAttemptSchema.optional(),
    /**
     * a multi-session series (`--sessions N`): every session, the first included. The top-level speech event,
     * common ground, turns and critique are the first session's, so a reader of single dialogues sees the first meeting.
     */
    sessions: z.array(SeriesSessionSchema).min(1).optional(),
  })
  .superRefine((record, ctx) => {
    if (record.status === "accepted" && record.rejection_reasons.length > 0) {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        message: "an accepted record has no rejection reasons",
        path: ["rejection_reasons"],
      });
    }
    if (record.status === "accepted" && record.failed_attempt) {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        message: "an accepted record has no failed attempt",
        path: ["failed_attempt"],
      });
    }
    if (record.status === "rejected" && record.rejection_reasons.length === 0) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, message: "a rejected record says why", path: ["rejection_reasons"] });
    }
  });
export type DialogueRecord = z.infer<typeof DialogueRecordSchema>;

/** Records parsed by parseDialogueRecord: checked once, where they were made or entered this process. */
const parsedRecords = new WeakSet<DialogueRecord>();

/**
 * DialogueRecordSchema.parse where a record is made (finalize, the traced copy) or enters this process (a worker
 * thread's or a fleet worker's answer): the parsed record is remembered, so that the journal does not parse the same
 * object again on its way to disk (checkedRecord). Any other object, such as a record copied with a change, is
 * parsed there.
 */
export function parseDialogueRecord(value: unknown): DialogueRecord {
  const record = DialogueRecordSchema.parse(value);
  parsedRecords.add(record);
  return record;
}

/** The record as the journal writes it: the same object when parseDialogueRecord made it, else a parse's result. */
export function checkedRecord(
  record: DialogueRecord,
): { success: true; data: DialogueRecord } | { success: false; error: z.ZodError } {
  return parsedRecords.has(record) ? { success: true, data: record } : DialogueRecordSchema.safeParse(record);
}

/** One line, for error messages: `path: message; path: message`. */
export function formatZodError(error: z.ZodError, max = 3): string {
  const shown = error.issues
    .slice(0, max)
    .map((issue) => `${issue.path.length ? issue.path.join(".") : "(root)"}: ${issue.message}`)
    .join("; ");
  return error.issues.length > max ? `${shown} (+${error.issues.length - max} more)` : shown;
}
