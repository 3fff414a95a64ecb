/**
 * Speech events (after Goldsmith & Baxter 1996): the kind of talk a dialogue is,
 * e.g. small talk, catching up, making plans. Loaded from data/speech-events.json,
 * chosen per dialogue by weight with a seeded Rng (or forced with an override id).
 */
import { readFileSync, statSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { z } from "zod";
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

function oneLine(text: string): string {
  return text.replace(/\s+/g, " ").trim();
}

function formatIssues(error: z.ZodError, max = 3): string {
  const parts = error.issues.slice(0, max).map((issue) => {
    const where = issue.path.length > 0 ? issue.path.join(".") : "(root)";
    return `${where}: ${issue.message}`;
  });
  const more = error.issues.length > max ? ` (+${error.issues.length - max} more)` : "";
  return oneLine(parts.join("; ") + more);
}

/** Parsed files by path, while their modification time stays the same (nodes call the loader on every step). */
const loaded = new Map<string, { mtimeMs: number; events: SpeechEvent[] }>();

/** Read and validate a speech-events file. Errors are `SpeechEventError`s with a one-line message naming the file. */
export function loadSpeechEvents(path: string = DEFAULT_SPEECH_EVENTS_PATH): SpeechEvent[] {
  const mtimeMs = statSync(path, { throwIfNoEntry: false })?.mtimeMs;
  const cached = loaded.get(path);
  if (cached && cached.mtimeMs === mtimeMs) return cached.events;
  const events = readSpeechEvents(path);
  if (mtimeMs !== undefined) loaded.set(path, { mtimeMs, events });
  return events;
}

function readSpeechEvents(path: string): SpeechEvent[] {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    throw new SpeechEventError(oneLine(`Cannot read speech events file ${path}: ${(err as Error).message}`));
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new SpeechEventError(oneLine(`Speech events file ${path} is not valid JSON: ${(err as Error).message}`));
  }
  const parsed = SpeechEventsFileSchema.safeParse(json);
  if (!parsed.success) {
    throw new SpeechEventError(`Speech events file ${path} has the wrong shape: ${formatIssues(parsed.error)}`);
  }
  return parsed.data.events;
}

export function speechEventIds(events: readonly SpeechEvent[]): string[] {
  return events.map((e) => e.id);
}

/** Find an event by id; throws a one-line `SpeechEventError` listing the valid ids when unknown. */
export function getSpeechEvent(events: readonly SpeechEvent[], id: string): SpeechEvent {
  const found = events.find((e) => e.id === id);
  if (found) return found;
  const normalised = id.trim().toLowerCase().replace(/[\s-]+/g, "_");
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
export function selectSpeechEvent(events: readonly SpeechEvent[], rng: Rng, overrideId?: string): SpeechEvent {
  if (events.length === 0) {
    throw new SpeechEventError("No speech events to choose from");
  }
  if (overrideId !== undefined && overrideId !== "") {
    return getSpeechEvent(events, overrideId);
  }
  return rng.pickWeighted(events, (e) => e.weight);
}
