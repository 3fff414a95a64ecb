import { z } from "zod";
import { GapSchema, PersonaSchema, SpeakerSchema } from "../lib/records/schema.js";

/** Most sessions one series may have. */
export const MAX_SESSIONS = 8;

/**
 * What a later session of a series knows of the earlier ones: the time since the last session and each speaker's
 * own memory (summaries of the earlier sessions from their point of view, what they learned about the partner),
 * with the personas grown by the facts that came up. The series graph hands it to the dialogue graph as input; the
 * dialogue's nodes show each speaker only their own memory, and the common-ground writer and the critique both.
 */
export const SpeakerMemorySchema = z.object({
  speaker: SpeakerSchema,
  /** one summary per earlier session, oldest first */
  summaries: z.array(z.object({ session: z.number().int().positive(), text: z.string() })),
  /** what this speaker knows about the partner from earlier sessions */
  partner_facts: z.array(z.string()),
});
export type SpeakerMemory = z.infer<typeof SpeakerMemorySchema>;

export const SessionHistorySchema = z.object({
  /** the session about to be written (2 or more) */
  session: z.number().int().min(2),
  gap: GapSchema,
  /** the speech events of the earlier sessions, oldest first (names) */
  earlierEvents: z.array(z.string()),
  /** the personas as they stand now: the first session's plus the facts learned since */
  personas: z.array(PersonaSchema).length(2),
  memories: z.array(SpeakerMemorySchema).length(2),
});
export type SessionHistory = z.infer<typeof SessionHistorySchema>;

/** Sessions the two speakers had before the one a history belongs to (0 without one: a first meeting). */
export function sessionsBefore(history: SessionHistory | null | undefined): number {
  return history ? history.session - 1 : 0;
}
