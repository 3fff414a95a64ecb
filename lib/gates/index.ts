/**
 * Deterministic gates over generated dialogue turns. Cheap (no model calls), run before any LLM critique,
 * and decide which turns get regenerated.
 *
 *   turnGateFailures(turns, i, opts)    the turn at i, in the context of turns[0..i-1]
 *   dialogueGateFailures(turns, opts)   every turn
 *
 * An unknown `opts.lang` throws an Error whose message is one line (see resolveLanguage).
 */

import { analyze } from "./analysis.js";
import { checkCodeSwitching, checkLanguage } from "./language.js";
import { checkFirstMeeting } from "./first-meeting.js";
import { checkMetaText } from "./meta-text.js";
import { checkPlaceholder } from "./placeholder.js";
import { checkRepetition } from "./repetition.js";
import { checkSpeakerLabel } from "./speaker-label.js";
import { checkAlternation, checkEmpty, checkFormat, checkLength } from "./structure.js";
import { targetFor } from "./target.js";
import { CHECK_NAMES, type CheckName, type GateFailure, type GateOptions, type GateTurn } from "./types.js";

export {
  CHECK_NAMES,
  type CheckName,
  type GateFailure,
  type GateOptions,
  type GateTurn,
  type CodeSwitchingPolicy,
} from "./types.js";
export { LANGUAGE_THRESHOLDS } from "./language.js";
export { REPETITION_THRESHOLDS } from "./repetition.js";
export { FORMAT_THRESHOLDS } from "./structure.js";
export { clearAnalysisCache } from "./analysis.js";
export { FIRST_MEETING_LANGUAGES } from "./first-meeting.js";

export const DEFAULT_MAX_TURN_CHARS = 400;

interface Prepared {
  run: ReadonlySet<CheckName>;
  opts: GateOptions;
}

function prepare(opts: GateOptions): Prepared {
  if (opts.checks) {
    for (const c of opts.checks)
      if (!CHECK_NAMES.includes(c)) throw new Error(`unknown check "${c}" (expected one of ${CHECK_NAMES.join(", ")})`);
  }
  targetFor(opts.lang); // validates the tag
  return { run: new Set(opts.checks ?? CHECK_NAMES), opts };
}

function speakerNames(turns: readonly GateTurn[]): string[] {
  const names = new Set<string>();
  for (const t of turns) if (t.speaker.trim()) names.add(t.speaker.trim());
  return [...names];
}

function add(out: GateFailure[], turn: number, check: CheckName, detail: string | undefined): void {
  if (detail !== undefined) out.push({ check, turn, detail });
}

function check(turns: readonly GateTurn[], index: number, p: Prepared, names: readonly string[]): GateFailure[] {
  const turn = turns[index];
  if (!turn) throw new RangeError(`turn index ${index} out of range (0..${turns.length - 1})`);
  const out: GateFailure[] = [];
  const { run, opts } = p;
  const text = typeof turn.text === "string" ? turn.text : "";
  const a = analyze(text);
  const target = targetFor(opts.lang);

  const empty = checkEmpty(a);
  if (run.has("empty")) add(out, index, "empty", empty);
  if (empty === undefined) {
    let languageFailed = false;
    if (run.has("language")) {
      const d = checkLanguage(turns, index, a, target);
      languageFailed = d !== undefined;
      add(out, index, "language", d);
    }
    if (run.has("code_switching") && !languageFailed)
      add(out, index, "code_switching", checkCodeSwitching(turns, index, a, target, opts.codeSwitching ?? "loanwords"));
    if (run.has("placeholder")) add(out, index, "placeholder", checkPlaceholder(a));
    if (run.has("speaker_label")) add(out, index, "speaker_label", checkSpeakerLabel(a, names));
    if (run.has("meta_text")) add(out, index, "meta_text", checkMetaText(a));
    if (run.has("first_meeting")) add(out, index, "first_meeting", checkFirstMeeting(a, opts.sessionsBefore));
    if (run.has("repetition")) add(out, index, "repetition", checkRepetition(turns, index, a));
  }
  if (run.has("alternation")) add(out, index, "alternation", checkAlternation(turns, index));
  if (empty === undefined) {
    if (run.has("length")) add(out, index, "length", checkLength(a, opts.maxTurnChars ?? DEFAULT_MAX_TURN_CHARS));
    if (run.has("format")) add(out, index, "format", checkFormat(a, opts.allowEmoji));
  }
  return out;
}

/** Check the turn at `index` in the context of the turns before it. */
export function turnGateFailures(turns: readonly GateTurn[], index: number, opts: GateOptions): GateFailure[] {
  return check(turns, index, prepare(opts), speakerNames(turns));
}

/** Check every turn of a dialogue. */
export function dialogueGateFailures(turns: readonly GateTurn[], opts: GateOptions): GateFailure[] {
  const p = prepare(opts);
  const names = speakerNames(turns);
  const out: GateFailure[] = [];
  for (let i = 0; i < turns.length; i++) out.push(...check(turns, i, p, names));
  return out;
}
