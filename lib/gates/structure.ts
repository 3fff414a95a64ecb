/** `empty`, `alternation`, `length`, `format`: structural checks that need no language knowledge. */

import type { TextAnalysis } from "./analysis.js";
import type { GateTurn } from "./types.js";

export const FORMAT_THRESHOLDS = {
  /** this many emoji in a row (spaces ignored) is a flood */
  emojiRun: 4,
  /** or this many in one turn */
  emojiTotal: 6,
} as const;

export function checkEmpty(a: TextAnalysis): string | undefined {
  const p = a.profile;
  if (p.visible === 0) return "empty turn";
  if (p.letters === 0 && p.digits === 0 && p.emoji === 0 && !p.hasQuestionOrExclamation)
    return "no content (punctuation only)";
  return undefined;
}

const keys = new Map<string, string>();
function speakerKey(s: string): string {
  let k = keys.get(s);
  if (k === undefined) {
    k = s.normalize("NFKC").trim().toLowerCase();
    if (keys.size > 10_000) keys.clear();
    keys.set(s, k);
  }
  return k;
}

export function checkAlternation(turns: readonly GateTurn[], index: number): string | undefined {
  const t = turns[index];
  if (!t) return undefined;
  const me = speakerKey(t.speaker);
  if (me === "") return "missing speaker";
  if (index > 0) {
    const prev = turns[index - 1];
    if (prev && speakerKey(prev.speaker) === me)
      return `same speaker as turn ${index - 1} (${JSON.stringify(t.speaker.trim())})`;
  }
  // a third distinct speaker before this one?
  let first = "";
  let second = "";
  for (let i = 0; i < index; i++) {
    const k = speakerKey(turns[i]?.speaker ?? "");
    if (k === "" || k === me) {
      if (k === me) return undefined;
      continue;
    }
    if (first === "") first = k;
    else if (k !== first && second === "") second = k;
  }
  if (second !== "") return `third speaker ${JSON.stringify(t.speaker.trim())} (a dialogue has two)`;
  return undefined;
}

export function checkLength(a: TextAnalysis, maxChars: number): string | undefined {
  if (a.text.length <= maxChars) return undefined; // UTF-16 length ≥ code points: cheap exit
  let n = 0;
  for (const _ of a.text) n++;
  return n > maxChars ? `${n} characters, limit ${maxChars}` : undefined;
}

const HEADING = /^[ \t]{0,3}#{1,6}[ \t]+\S/m;
const BOLD = /\*\*[^*\n]+\*\*|(?<![\p{L}\p{N}])__[^_\n]+__(?![\p{L}\p{N}])/u;
const LIST_LINE = /^[ \t]*(?:[-*+•]|\d{1,2}[.)])[ \t]+\S/gm;
const FENCE = /```/;
const TABLE_ROW = /^[ \t]*\|.*\|[ \t]*$/gm;
const QUOTE_PAIRS: Readonly<Record<string, string>> = {
  '"': '"',
  "“": "”",
  "”": "”",
  "«": "»",
  "„": "“",
  "「": "」",
  "『": "』",
  "'": "'",
};

/** C0 / C1 control characters other than newline and tab: terminal escape sequences (ESC, OSC 52 clipboard writes, …) */
// eslint-disable-next-line no-control-regex -- matching control characters is this pattern's purpose
export const CONTROL_CHARACTER = /[\u0000-\u0008\u000B-\u001F\u007F-\u009F]/;

export function checkFormat(a: TextAnalysis, allowEmoji: boolean | undefined): string | undefined {
  const text = a.text;
  const control = CONTROL_CHARACTER.exec(text);
  if (control) return `control character U+${control[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0")}`;
  if (text.includes("#") && HEADING.test(text)) return "markdown heading";
  if ((text.includes("**") || text.includes("__")) && BOLD.test(text)) return "markdown bold";
  if (text.includes("```") && FENCE.test(text)) return "markdown code block";
  const multiline = text.trim().includes("\n");
  if (multiline) {
    const lists = text.match(LIST_LINE)?.length ?? 0;
    if (lists >= 2 || (lists === 1 && /^[ \t]*(?:[-*+•]|\d{1,2}[.)])[ \t]+\S/.test(text.trim())))
      return "markdown list";
    if ((text.match(TABLE_ROW)?.length ?? 0) >= 2) return "markdown table";
  } else if (/^\s*[-*•][ \t]+\S/.test(text)) {
    return "markdown list item";
  }
  const trimmed = text.trim();
  const open = trimmed[0];
  const close = open ? QUOTE_PAIRS[open] : undefined;
  if (close && trimmed.length > 2 && trimmed.endsWith(close)) {
    const inner = trimmed.slice(1, -1);
    if (!inner.includes(close) && !(close !== open && inner.includes(open!)) && /\p{L}/u.test(inner))
      return "whole turn wrapped in quotation marks";
  }
  if (allowEmoji !== true) {
    const p = a.profile;
    if (allowEmoji === false && p.emoji > 0) return `emoji (${p.emoji}) not allowed`;
    if (p.maxEmojiRun >= FORMAT_THRESHOLDS.emojiRun || p.emoji >= FORMAT_THRESHOLDS.emojiTotal)
      return `emoji flood (${p.emoji} emoji)`;
  }
  return undefined;
}
