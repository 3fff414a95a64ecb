import { createHash } from "node:crypto";
import { z } from "zod";
import { CritiqueSchema, type DialogueRecord } from "../../lib/records/schema.js";
import { createRng, hashSeed } from "../../lib/random.js";
import { loadSpeechEvents } from "../../lib/speech-events.js";

/**
 * A native-speaker review study: which dialogues are rated (a seeded sample of a dataset), in which order each
 * annotator sees them, and what a rating is.
 *
 * The rubric is the self-critique's (lib/records/schema.ts `CritiqueSchema`): persona faithfulness, speech-event
 * fit and naturalness (1–5 each), a verdict (accept / revise), the turns that are wrong, and a free comment — so
 * human ratings, the self-critique and the eval's judge can be compared criterion by criterion.
 */

export const CRITERIA = ["persona_faithfulness", "speech_event_fit", "naturalness"] as const;
export type Criterion = (typeof CRITERIA)[number];

/** What each criterion asks, for people: the self-critique's own descriptions, without their "1-5: " prefix. */
export const RUBRIC: { key: Criterion; label: string; question: string }[] = CRITERIA.map((key) => ({
  key,
  label: { persona_faithfulness: "Persona", speech_event_fit: "Kind of talk", naturalness: "Naturalness" }[key],
  question: (CritiqueSchema.shape[key].description ?? key).replace(/^1-5:\s*/, ""),
}));

const Score = z.number().int().min(1).max(5);
export const MAX_COMMENT = 2000;
export const MAX_TURNS = 64;

/** One rating as the page sends it (zod at the boundary: anything else is refused with the reason). */
export const RatingInputSchema = z
  .object({
    persona_faithfulness: Score,
    speech_event_fit: Score,
    naturalness: Score,
    verdict: z.enum(["accept", "revise"]),
    wrong_turns: z
      .array(
        z
          .number()
          .int()
          .min(0)
          .max(MAX_TURNS - 1),
      )
      .max(MAX_TURNS),
    comment: z.string().max(MAX_COMMENT),
  })
  .strict();
export type RatingInput = z.infer<typeof RatingInputSchema>;

/** A saved rating: who rated which dialogue, and when. */
export interface Rating extends RatingInput {
  annotator: string;
  /** the dialogue's key in the study (`ItemKey`) */
  item: string;
  created_at: string;
}

/** An annotator's name as they type it: trimmed, 1–64 characters, no control characters. */
export const AnnotatorNameSchema = z
  .string()
  .transform((s) => s.trim().normalize("NFC"))
  .pipe(
    z
      .string()
      .min(1, "type your name")
      .max(64, "a name is at most 64 characters")
      // eslint-disable-next-line no-control-regex
      .refine((s) => !/[\u0000-\u001f\u007f]/.test(s), "a name has no control characters"),
  );

/**
 * A dialogue of the study. `key` is unique in the study: the record's id with its prompt variant and model (one
 * file may hold the same id under several variants, as `npm run eval` writes them). Annotators never see the key,
 * the variant or the model: the page is sent only `view`.
 */
export interface ReviewItem {
  key: string;
  id: string;
  variant: string;
  model: string;
  language: string;
  status: "accepted" | "rejected";
  /** the self-critique of the record, when it has one */
  critique: DialogueRecord["critique"];
  view: ItemView;
}

/** What the annotator is shown: blind to variant, model, status and the self-critique. */
export interface ItemView {
  language: string;
  /** the event's name and what it is (data/speech-events.json), so raters judge the fit against its definition */
  speech_event: { name: string; category: string; description: string };
  common_ground: string;
  personas: { speaker: "A" | "B"; name: string; sentences: string[] }[];
  turns: { speaker: "A" | "B"; text: string }[];
}

/** `language|id|variant|provider:model`: what identifies a rated dialogue in the database and its exports. */
export function itemKey(record: Pick<DialogueRecord, "id" | "language" | "provenance">): string {
  return [
    record.language,
    record.id,
    record.provenance.prompt_variant,
    `${record.provenance.provider}:${record.provenance.model}`,
  ].join("|");
}

/** The parts of an item key (the model, last, may itself hold "|"). */
export function parseItemKey(key: string): { language: string; id: string; variant: string; model: string } {
  const [language = "", id = "", variant = "", ...model] = key.split("|");
  return { language, id, variant, model: model.join("|") };
}

export function reviewItem(record: DialogueRecord): ReviewItem {
  const description = loadSpeechEvents().find((e) => e.id === record.speech_event.id)?.description ?? "";
  return {
    key: itemKey(record),
    id: record.id,
    variant: record.provenance.prompt_variant,
    model: `${record.provenance.provider}:${record.provenance.model}`,
    language: record.language,
    status: record.status,
    critique: record.critique,
    view: {
      language: record.language,
      speech_event: { name: record.speech_event.name, category: record.speech_event.category, description },
      common_ground: record.common_ground,
      personas: record.personas.map((p) => ({ speaker: p.speaker, name: p.name, sentences: p.sentences })),
      turns: record.turns.map((t) => ({ speaker: t.speaker, text: t.text })),
    },
  };
}

export type StatusFilter = "accepted" | "all";

/**
 * The study's dialogues: records with turns (accepted ones, or all with `status: "all"`), then a seeded sample of
 * `size` of them (all when `size` is absent or larger), in a stable order (by key), so that the same file, size
 * and seed give the same study.
 */
export function sampleItems(
  records: readonly DialogueRecord[],
  options: { size?: number | undefined; seed: number; status: StatusFilter },
): ReviewItem[] {
  const items = records
    .filter((r) => r.turns.length > 0 && (options.status === "all" || r.status === "accepted"))
    .map(reviewItem);
  const seen = new Set<string>();
  for (const item of items) {
    if (seen.has(item.key))
      throw new Error(`the dataset holds dialogue ${item.id} twice under the same variant and model`);
    seen.add(item.key);
  }
  const chosen =
    options.size !== undefined && options.size < items.length
      ? createRng(hashSeed(options.seed, "review-sample")).shuffle(items).slice(0, options.size)
      : items;
  return [...chosen].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

/** The order one annotator sees the study in: seeded by the study's seed and the annotator's name. */
export function annotatorOrder(items: readonly ReviewItem[], seed: number, annotator: string): ReviewItem[] {
  return createRng(hashSeed(seed, "review-order", annotator)).shuffle(items);
}

/** Identifies a study: the same keys (and so the same data) in the same database. */
export function studyFingerprint(items: readonly ReviewItem[]): string {
  return createHash("sha256")
    .update(items.map((i) => i.key).join("\n"))
    .digest("hex")
    .slice(0, 16);
}

/** One annotator's rating of one dialogue, as the review exports it (and as read back from the database). */
export const HumanRatingSchema = z.object({
  annotator: z.string().min(1),
  id: z.string().min(1),
  variant: z.string().min(1),
  model: z.string(),
  language: z.string().min(1),
  persona_faithfulness: z.number().int().min(1).max(5),
  speech_event_fit: z.number().int().min(1).max(5),
  naturalness: z.number().int().min(1).max(5),
  verdict: z.enum(["accept", "revise"]),
  wrong_turns: z.array(z.number().int().nonnegative()),
  comment: z.string(),
  created_at: z.string(),
});
export type HumanRating = z.infer<typeof HumanRatingSchema>;
