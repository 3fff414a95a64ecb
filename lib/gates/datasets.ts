/**
 * Dialogue datasets the gates run on: XPersona / ConvAI2 JSON and our JSONL records.
 *
 * XPersona: `[{ "persona": [...], "dialogue": [[user, reply], ...] }]`; `__SILENCE__` means no turn; a
 * dialogue's id is its index in the file. Users are speaker "A", replies speaker "B".
 * JSONL: one object per line, `{ id, language, turns: [{ speaker, text }] }` (extra fields allowed); a multi-session
 * series also has `sessions: [{ session, turns }]`, every session's turns (its top-level turns are the first's).
 */

import { z } from "zod";
import type { GateTurn } from "./types.js";

/** ConvAI2's marker for "no turn here" (an XPersona pair whose first speaker says nothing). */
export const SILENCE = "__SILENCE__";

/** One dialogue of a dataset the gates audit: a human-written reference (XPersona, ConvAI2) or one of our records. */
export interface DatasetDialogue {
  id: string;
  /** BCP-47 tag, when the record carries one */
  language?: string;
  turns: GateTurn[];
  /** a multi-session series: each session's turns, the first included (session 1-based) */
  sessions?: { session: number; turns: GateTurn[] }[];
}

export const XPersonaSchema = z.array(
  z.object({
    persona: z.array(z.string()).optional(),
    dialogue: z.array(z.array(z.string())),
  }),
);

export const JsonlRecordSchema = z
  .object({
    id: z.union([z.string(), z.number()]).transform(String),
    language: z.string().min(1),
    turns: z.array(z.object({ speaker: z.string(), text: z.string() }).passthrough()),
    sessions: z
      .array(
        z
          .object({
            session: z.number().int().positive(),
            turns: z.array(z.object({ speaker: z.string(), text: z.string() }).passthrough()),
          })
          .passthrough(),
      )
      .nullish(),
  })
  .passthrough();

/** Turns of one XPersona dialogue (silences dropped). */
export function xpersonaTurns(dialogue: readonly (readonly string[])[]): GateTurn[] {
  const turns: GateTurn[] = [];
  for (const pair of dialogue) {
    pair.forEach((text, k) => {
      if (text !== SILENCE) turns.push({ speaker: k === 0 ? "A" : "B", text });
    });
  }
  return turns;
}

/** ConvAI2-style JSON: `[{ "dialog": [{ "sender" | "speaker", "text" }], "dialog_id"?: … }]`. */
export const ConvAI2Schema = z.array(
  z.object({
    dialog: z.array(z.object({ sender: z.string().optional(), speaker: z.string().optional(), text: z.string() })),
    dialog_id: z.union([z.string(), z.number()]).optional(),
    id: z.union([z.string(), z.number()]).optional(),
  }),
);

/** XPersona (`dialogue` pairs) or ConvAI2 (`dialog` turns) JSON; throws a ZodError when it is neither. */
export function parseXPersona(json: unknown): DatasetDialogue[] {
  const x = XPersonaSchema.safeParse(json);
  if (x.success) return x.data.map((d, i) => ({ id: String(i), turns: xpersonaTurns(d.dialogue) }));
  const c = ConvAI2Schema.safeParse(json);
  if (c.success) {
    return c.data.map((d, i) => ({
      id: String(d.dialog_id ?? d.id ?? i),
      turns: d.dialog
        .filter((t) => t.text !== SILENCE)
        .map((t, k) => ({ speaker: t.sender ?? t.speaker ?? (k % 2 === 0 ? "A" : "B"), text: t.text })),
    }));
  }
  throw x.error;
}

/** Language implied by an XPersona file name (Fr_persona_…, Jp_…, En_persona_valid.json). */
export function languageFromXPersonaName(fileName: string): string | undefined {
  const base = fileName.split(/[\\/]/).pop() ?? "";
  const m = /^(En|Fr|Id|It|Jp|Ko|Zh)_/i.exec(base);
  if (!m) return undefined;
  const p = m[1]!.toLowerCase();
  return p === "jp" ? "ja" : p;
}
