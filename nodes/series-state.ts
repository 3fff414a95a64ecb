import { z } from "zod";
import {
  CritiqueSchema,
  DialogueRecordSchema,
  FailedAttemptSchema,
  GapSchema,
  PersonaSchema,
  RejectionReasonSchema,
  SeriesCritiqueSchema,
  SessionMemorySchema,
  UsageSchema,
  addUsage,
  ZERO_USAGE,
} from "../lib/records/schema.js";
import { type Accumulators, appendReasons, DialogueInputSchema, stateAnnotation, sum } from "./state.js";
import { MAX_SESSIONS, SpeakerMemorySchema } from "./series-history.js";

export { MAX_SESSIONS };

/** One finished session: the dialogue graph's record of it, the gap before it, and what each speaker remembers. */
export const WrittenSessionSchema = z.object({
  session: z.number().int().positive(),
  gap: GapSchema.nullable(),
  /** the dialogue graph's record of this session */
  record: DialogueRecordSchema,
  /** the session's critique as the judge gave it (with memory_consistency for later sessions) */
  critique: z.union([SeriesCritiqueSchema, CritiqueSchema]).nullable(),
  memory: z.array(SessionMemorySchema),
});
export type WrittenSession = z.infer<typeof WrittenSessionSchema>;

/** The next session, as planSession drew it. */
export const PlannedSessionSchema = z.object({
  session: z.number().int().positive(),
  gap: GapSchema.nullable(),
  /** the seed of the session's dialogue (the series' seed for the first session) */
  seed: z.number().int(),
  speechEventId: z.string().optional(),
});
export type PlannedSession = z.infer<typeof PlannedSessionSchema>;

export const SeriesStateSchema = z.object({
  // ── input ──────────────────────────────────────────────────────────────────
  language: z.string(),
  seed: z.number().int(),
  index: z.number().int().nonnegative(),
  sourcePersonas: z.array(z.array(z.string())).length(2).optional(),
  speechEventId: z.string().optional().describe("The first session's speech event; later ones follow from the gap"),
  sessions: z.number().int().min(1).max(MAX_SESSIONS).describe("Sessions in the series"),

  // ── built along the way ─────────────────────────────────────────────────────
  startedAt: z.number(),
  next: PlannedSessionSchema.nullable().describe("The session about to be written"),
  written: z.array(WrittenSessionSchema).describe("The sessions written so far, in order"),
  personas: z
    .array(PersonaSchema)
    .describe("The personas as they stand: the first session's plus the facts learned since"),
  memories: z.array(SpeakerMemorySchema).describe("Each speaker's memory of the sessions so far"),
  rejectionReasons: z
    .array(RejectionReasonSchema)
    .describe("The series' own reasons (a failed memory); a session's are in its record"),
  failedAttempt: FailedAttemptSchema.nullable(),
  usage: UsageSchema.describe("The memory node's usage (the sessions' is in their records)"),
  attempts: z.number().int(),

  // ── output ──────────────────────────────────────────────────────────────────
  record: DialogueRecordSchema.nullable(),
});
export type SeriesState = z.infer<typeof SeriesStateSchema>;

const DEFAULTS: { [K in keyof SeriesState]?: () => SeriesState[K] } = {
  seed: () => 1,
  index: () => 0,
  sessions: () => 3,
  startedAt: () => 0,
  next: () => null,
  written: () => [],
  personas: () => [],
  memories: () => [],
  rejectionReasons: () => [],
  failedAttempt: () => null,
  usage: () => ({ ...ZERO_USAGE }),
  attempts: () => 0,
  record: () => null,
};

/** The series' running totals (its own reasons, the memory node's usage and attempts), added up as the dialogue's. */
export const SERIES_ACCUMULATORS = {
  rejectionReasons: appendReasons,
  usage: addUsage,
  attempts: sum,
} satisfies Accumulators<SeriesState>;

/** What a series node returns: new values, and increments of the running totals (see DialogueUpdate). */
export type SeriesUpdate = Partial<SeriesState>;

/** The series state as LangGraph channels: the running totals add up, the other keys keep the last value written. */
export const SeriesStateAnnotation = stateAnnotation(SeriesStateSchema, DEFAULTS, SERIES_ACCUMULATORS);

/** A series' request: one dialogue's request plus the number of sessions. */
export const SeriesInputSchema = DialogueInputSchema.omit({ history: true }).extend({
  sessions: z
    .number()
    .int()
    .min(1)
    .max(MAX_SESSIONS)
    .optional()
    .describe(`Sessions in the series (1–${MAX_SESSIONS}); default 3`),
});
export type SeriesInput = Omit<z.infer<typeof SeriesInputSchema>, "speechEventId"> & { speechEventId?: string };
