/**
 * Speech events (after Goldsmith & Baxter 1996): the kind of talk a dialogue is,
 * e.g. small talk, catching up, making plans. Loaded from data/speech-events.json,
 * chosen per dialogue by weight with a seeded Rng (or forced with an override id).
 */
import { fileURLToPath } from "node:url";
import { z } from "zod";
import { cachedPerPath, readJsonFile } from "./data-file.js";
import type { Rng } from "./random.js";

export const SPEECH_EVENT_CATEGORIES = ["informal_superficial", "involving", "goal_directed"] as const;
export const SpeechEventCategorySchema = z.enum(SPEECH_EVENT_CATEGORIES);
export type SpeechEventCategory = z.infer<typeof SpeechEventCategorySchema>;

export const SpeechEventSchema = z.object({
  id: z.string().regex(/^[a-z][a-z0-9]*(_[a-z0-9]+)*$/, "id must be snake_case"),
  name: z.string().trim().min(1),
  category: SpeechEventCategorySchema,
  description: z
    .string()
    .trim()
    .min(1)
    .refine((s) => !/[\r\n]/.test(s), "description must be a single line"),
  weight: z.number().finite().positive(),
  /** "goldsmith_baxter" for events in the 1996 taxonomy, "added" for our extensions. */
  origin: z.enum(["goldsmith_baxter", "added"]).optional(),
});
export type SpeechEvent = z.infer<typeof SpeechEventSchema>;

export const MIN_SPEECH_EVENTS = 25;

/**
 * The ids of data/speech-events.json, in its order, as a constant: the graph's input schema offers them (Studio's
 * speech-event list) without reading the file when the graph module is imported. speech-events.test.ts fails when
 * the file and this list differ.
 */
export const BUILTIN_SPEECH_EVENT_IDS = [
  "small_talk",
  "current_events_talk",
  "gossip",
  "joking_around",
  "catching_up",
  "recapping_the_day",
  "getting_to_know_someone",
  "sports_talk",
  "morning_talk",
  "bedtime_talk",
  "hobby_talk",
  "swapping_recommendations",
  "reminiscing",
  "making_up",
  "love_talk",
  "relationship_talk",
  "conflict",
  "serious_conversation",
  "talking_about_problems",
  "complaining",
  "breaking_bad_news",
  "sharing_good_news",
  "hopes_and_dreams",
  "topic_discussion",
  "persuading_conversation",
  "decision_making_conversation",
  "giving_and_getting_instructions",
  "class_information_talk",
  "lecture",
  "interrogation",
  "making_plans",
  "asking_a_favor",
  "asking_out",
  "asking_for_advice",
  "negotiating",
] as const;

export const SpeechEventsFileSchema = z
  .object({
    version: z.literal(1),
    source: z.string().optional(),
    events: z.array(SpeechEventSchema).min(MIN_SPEECH_EVENTS, `need at least ${MIN_SPEECH_EVENTS} speech events`),
  })
  .superRefine((file, ctx) => {
    const seen = new Set<string>();
    file.events.forEach((event, i) => {
      if (seen.has(event.id)) {
        ctx.addIssue({ code: z.ZodIssueCode.custom, path: ["events", i, "id"], message: `duplicate id "${event.id}"` });
      }
      seen.add(event.id);
    });
  });
export type SpeechEventsFile = z.infer<typeof SpeechEventsFileSchema>;

export const DEFAULT_SPEECH_EVENTS_PATH = fileURLToPath(new URL("../data/speech-events.json", import.meta.url));

export class SpeechEventError extends Error {
  override name = "SpeechEventError";
}

/** Read and validate a speech-events file (cached while it is unchanged). Errors are one-line `SpeechEventError`s naming the file. */
export function loadSpeechEvents(path: string = DEFAULT_SPEECH_EVENTS_PATH): SpeechEvent[] {
  return loadCachedSpeechEvents(path);
}

const loadCachedSpeechEvents = cachedPerPath(
  (path) =>
    readJsonFile(path, SpeechEventsFileSchema, "speech events", (message) => new SpeechEventError(message)).events,
);

export function speechEventIds(events: readonly SpeechEvent[]): string[] {
  return events.map((e) => e.id);
}

/** Find an event by id; throws a one-line `SpeechEventError` listing the valid ids when unknown. */
export function getSpeechEvent(events: readonly SpeechEvent[], id: string): SpeechEvent {
  const found = events.find((e) => e.id === id);
  if (found) return found;
  const normalised = id
    .trim()
    .toLowerCase()
    .replace(/[\s-]+/g, "_");
  const close = events.find((e) => e.id === normalised || e.name.toLowerCase() === id.trim().toLowerCase());
  const hint = close ? ` Did you mean "${close.id}"?` : "";
  throw new SpeechEventError(
    `Unknown speech event "${id}".${hint} Valid ids (see data/speech-events.json): ${speechEventIds(events).join(", ")}`,
  );
}

/**
 * Choose the speech event for one dialogue: the override when given (must be a
 * known id), otherwise a weighted draw from `rng`.
 */
export function drawSpeechEvent(events: readonly SpeechEvent[], rng: Rng, overrideId?: string): SpeechEvent {
  if (events.length === 0) {
    throw new SpeechEventError("No speech events to choose from");
  }
  if (overrideId !== undefined && overrideId !== "") {
    return getSpeechEvent(events, overrideId);
  }
  return rng.pickWeighted(events, (e) => e.weight);
}
