import { type HumanRating, parseItemKey, type Rating } from "./study.js";

/**
 * Ratings out of the review database, for analysis: JSONL (one `HumanRating` a line, which `npm run eval
 * --reviews` reads back) or CSV (RFC 4180: every field quoted, quotes doubled, CRLF line ends; wrong turns as
 * space-separated indices). Exports name the variant and model: they are for the analyst, not the annotators.
 */

export function ratingFromKey(rating: Rating): HumanRating {
  const { language, id, variant, model } = parseItemKey(rating.item);
  return {
    annotator: rating.annotator,
    id,
    variant,
    model,
    language,
    persona_faithfulness: rating.persona_faithfulness,
    speech_event_fit: rating.speech_event_fit,
    naturalness: rating.naturalness,
    verdict: rating.verdict,
    wrong_turns: rating.wrong_turns,
    comment: rating.comment,
    created_at: rating.created_at,
  };
}

const CSV_COLUMNS = [
  "annotator",
  "id",
  "variant",
  "model",
  "language",
  "persona_faithfulness",
  "speech_event_fit",
  "naturalness",
  "verdict",
  "wrong_turns",
  "comment",
  "created_at",
] as const;

const csvField = (value: string) => `"${value.replace(/"/g, '""')}"`;

export function ratingsCsv(ratings: readonly HumanRating[]): string {
  const lines = [CSV_COLUMNS.join(",")];
  for (const r of ratings)
    lines.push(
      CSV_COLUMNS.map((c) => csvField(c === "wrong_turns" ? r.wrong_turns.join(" ") : String(r[c]))).join(","),
    );
  return `${lines.join("\r\n")}\r\n`;
}

export function ratingsJsonl(ratings: readonly HumanRating[]): string {
  return ratings.map((r) => JSON.stringify(r)).join("\n") + (ratings.length ? "\n" : "");
}
