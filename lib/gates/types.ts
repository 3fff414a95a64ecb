/** Deterministic per-turn gates: the cheap first line before an LLM critique. */

export type CheckName =
  | "language"
  | "code_switching"
  | "placeholder"
  | "speaker_label"
  | "meta_text"
  | "first_meeting"
  | "repetition"
  | "empty"
  | "alternation"
  | "length"
  | "format";

/** Every check, in the order failures are reported for one turn. */
export const CHECK_NAMES: readonly CheckName[] = [
  "empty",
  "language",
  "code_switching",
  "placeholder",
  "speaker_label",
  "meta_text",
  "first_meeting",
  "repetition",
  "alternation",
  "length",
  "format",
];

/** A turn as the gates read it: any speaker label (our records' A/B, or a dataset's own names) and its text. */
export interface GateTurn {
  speaker: string;
  text: string;
}

export interface GateFailure {
  check: CheckName;
  /** 0-based index of the turn */
  turn: number;
  /** short human-readable reason, e.g. `detected en (0.93), expected es` */
  detail: string;
}

export type CodeSwitchingPolicy = "none" | "loanwords" | "any";

export interface GateOptions {
  /** BCP-47 tag of the target language */
  lang: string;
  /**
   * none: any word in a foreign script, or a sentence in another language, fails.
   * loanwords (default): isolated foreign words, proper names and titles pass; a foreign phrase or sentence fails.
   * any: not checked.
   */
  codeSwitching?: CodeSwitchingPolicy;
  /** default 400 (code points) */
  maxTurnChars?: number;
  /** undefined (default): only emoji floods fail; false: any emoji fails; true: emoji are not checked */
  allowEmoji?: boolean;
  /**
   * Sessions the two speakers had before this dialogue (a later session of a series); 0 or undefined: a first
   * meeting. From 1 on, the `first_meeting` check fails a message that greets the partner as a stranger.
   */
  sessionsBefore?: number;
  /** subset of checks to run (default: all) */
  checks?: CheckName[];
}
