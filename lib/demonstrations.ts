/**
 * English demonstration dialogues (data/demonstrations.en.json) that show the
 * *form* of a PersonaChat-style chat: short casual turns, personas surfacing
 * naturally, questions back, no narration, no speaker labels, a natural close.
 *
 * Turns alternate speakers, starting with the speaker of `personas[0]` (A),
 * then `personas[1]` (B), A, B, …
 */
import { fileURLToPath } from "node:url";
import { z } from "zod";
import { cachedPerPath, readJsonFile } from "./data-file.js";
import type { Rng } from "./random.js";
import { loadSpeechEvents, type SpeechEvent } from "./speech-events.js";

export const MIN_DEMO_TURNS = 8;
export const MAX_DEMO_TURNS = 12;

const singleLine = (what: string) =>
  z
    .string()
    .trim()
    .min(1, `${what} must not be empty`)
    .refine((s) => !/[\r\n]/.test(s), `${what} must be a single line`);

/** A turn must be just what the speaker types: no "A:" / "User:" / "Speaker 1:" label, no stage directions. */
const TurnTextSchema = singleLine("turn")
  .refine(
    (s) => !/^(?:[AB]|User|Bot|Speaker\s*\d*|Person\s*\d*)\s*:/i.test(s),
    "turn must not start with a speaker label",
  )
  .refine((s) => !/^[*([]/.test(s), "turn must not start with a stage direction");

export const DemonstrationSchema = z.object({
  id: z.string().regex(/^[a-z][a-z0-9_]*$/, "id must be snake_case"),
  speech_event: z.string().regex(/^[a-z][a-z0-9_]*$/, "speech_event must be a snake_case speech event id"),
  common_ground: singleLine("common_ground"),
  personas: z.tuple([
    z.array(singleLine("persona sentence")).min(1).max(10),
    z.array(singleLine("persona sentence")).min(1).max(10),
  ]),
  turns: z.array(TurnTextSchema).min(MIN_DEMO_TURNS).max(MAX_DEMO_TURNS),
});
export type Demonstration = z.infer<typeof DemonstrationSchema>;

export const DemonstrationsFileSchema = z
  .object({
    version: z.literal(1),
    demonstrations: z.array(DemonstrationSchema).min(1),
  })
  .superRefine((file, ctx) => {
    const seen = new Set<string>();
    file.demonstrations.forEach((d, i) => {
      if (seen.has(d.id)) {
        ctx.addIssue({
          code: z.ZodIssueCode.custom,
          path: ["demonstrations", i, "id"],
          message: `duplicate id "${d.id}"`,
        });
      }
      seen.add(d.id);
    });
  });

export const DEFAULT_DEMONSTRATIONS_PATH = fileURLToPath(new URL("../data/demonstrations.en.json", import.meta.url));

export class DemonstrationError extends Error {
  override name = "DemonstrationError";
}

/**
 * Read and validate a demonstrations file. When `events` is given, every
 * `speech_event` must be one of their ids. Errors are one-line `DemonstrationError`s.
 */
export function loadDemonstrations(
  path: string = DEFAULT_DEMONSTRATIONS_PATH,
  events?: readonly SpeechEvent[],
): Demonstration[] {
  return events ? readDemonstrations(path, events) : loadCachedDemonstrations(path);
}

const loadCachedDemonstrations = cachedPerPath((path) => readDemonstrations(path));

function readDemonstrations(path: string, events?: readonly SpeechEvent[]): Demonstration[] {
  const parsed = readJsonFile(
    path,
    DemonstrationsFileSchema,
    "demonstrations",
    (message) => new DemonstrationError(message),
  );
  const demos = parsed.demonstrations;
  if (events) {
    const ids = new Set(events.map((e) => e.id));
    const unknown = demos.filter((d) => !ids.has(d.speech_event));
    if (unknown.length > 0) {
      throw new DemonstrationError(
        `Demonstrations file ${path} uses unknown speech events: ${unknown.map((d) => `${d.id} -> ${d.speech_event}`).join(", ")}`,
      );
    }
  }
  return demos;
}

let defaultEvents: SpeechEvent[] | undefined;
function builtinEvents(): SpeechEvent[] {
  defaultEvents ??= loadSpeechEvents();
  return defaultEvents;
}

/** How well a picked demonstration matches the requested speech event. */
export type DemonstrationMatch = "speech_event" | "category" | "any";

/**
 * Like `pickDemonstration`, but also says how the demonstration matched.
 * Categories are looked up in `events` (default: data/speech-events.json).
 */
export function pickDemonstrationWithMatch(
  demos: readonly Demonstration[],
  speechEvent: string | SpeechEvent,
  rng: Rng,
  events: readonly SpeechEvent[] = builtinEvents(),
): { demonstration: Demonstration; match: DemonstrationMatch } {
  if (demos.length === 0) {
    throw new DemonstrationError("No demonstrations to choose from");
  }
  const id = typeof speechEvent === "string" ? speechEvent : speechEvent.id;
  const same = demos.filter((d) => d.speech_event === id);
  if (same.length > 0) return { demonstration: rng.pick(same), match: "speech_event" };

  const categoryOf = (eventId: string) => events.find((e) => e.id === eventId)?.category;
  const category = typeof speechEvent === "string" ? categoryOf(id) : speechEvent.category;
  if (category !== undefined) {
    const sameCategory = demos.filter((d) => categoryOf(d.speech_event) === category);
    if (sameCategory.length > 0) return { demonstration: rng.pick(sameCategory), match: "category" };
  }
  return { demonstration: rng.pick(demos), match: "any" };
}

/**
 * Pick one demonstration for a dialogue about `speechEvent`: one with the same
 * speech event if any, else one from the same category, else any (seeded).
 */
export function pickDemonstration(
  demos: readonly Demonstration[],
  speechEvent: string | SpeechEvent,
  rng: Rng,
  events?: readonly SpeechEvent[],
): Demonstration {
  return pickDemonstrationWithMatch(demos, speechEvent, rng, events).demonstration;
}
