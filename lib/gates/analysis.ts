/**
 * Per-text analysis shared by all checks and memoised, so that a turn looked at again as context of a later
 * turn costs nothing. Expensive parts (detector, NFKC form) are computed on first use.
 */

import { detect, type Detection } from "../lang/detect.js";
import { profileText, type TextProfile, type Token } from "../lang/scripts.js";

/** Chat interjections shared by many languages; they carry no evidence of the language. */
const INTERJECTION =
  /^(?:l+o+l+|lmao|rofl|omg|xd+|(?:ha){2,}h?|(?:he){2,}h?|(?:hi){2,}|(?:ja){2,}|(?:je){2,}|(?:ka){2,}|k{3,}|(?:wk){2,}|h+m+|u+m+|u+h+|a+h+|o+h+|a+w+|w+o+w+|ok(?:ay|e?y)?|y+a+y+|ha|ah|eh|oh|uh)$/i;

export function isInterjection(word: string): boolean {
  return word.length <= 12 && INTERJECTION.test(word);
}

/** A sentence-ish part of a text, sharing the text's tokens. */
export interface Segment {
  /** the segment, trimmed */
  readonly text: string;
  /** tokens of the text inside the segment */
  readonly tokens: readonly Token[];
  /** those tokens minus interjections */
  readonly words: readonly Token[];
  /** the segment without interjections, for the detector */
  readonly langText: string;
  /** the texts of `words` (what the marker lists of lib/lang/markers.ts look up) */
  readonly wordTexts: readonly string[];
  /** detector verdict on the segment */
  detection(): Detection;
}

class Seg implements Segment {
  private _wordTexts: readonly string[] | undefined;
  constructor(
    readonly text: string,
    readonly tokens: readonly Token[],
    readonly words: readonly Token[],
    readonly langText: string,
  ) {}
  get wordTexts(): readonly string[] {
    return (this._wordTexts ??= textsOf(this.words));
  }
  detection(): Detection {
    return detect(this.langText);
  }
}

export interface TextAnalysis {
  readonly text: string;
  readonly profile: TextProfile;
  /** NFKC, lower case: fullwidth forms and compatibility characters folded (：→:, ＡＩ→ai) */
  readonly folded: string;
  /** letters and digits only, lower case, for repetition */
  readonly compact: string;
  /** repetition weight: 3 per Han, kana or Hangul character, 1 per other letter or digit */
  readonly units: number;
  /** NFKC form (fullwidth letters, digits and punctuation folded to ASCII) */
  readonly nfkc: string;
  /** sentence-ish segments (split at . ! ? ; … 。！？ and line breaks); one segment when there is only one */
  readonly segments: readonly Segment[];
  /** the text without cross-lingual chat interjections (lol, haha, ok, wow …), for the detector */
  readonly langText: string;
  /** word tokens that are not interjections */
  readonly words: readonly Token[];
  /** the texts of `words` (what the marker lists of lib/lang/markers.ts look up) */
  readonly wordTexts: readonly string[];
  /** a coarse histogram of `compact` (its code units folded into 64 buckets), for repetition's cheap lower bound */
  readonly compactHistogram: Int32Array;
  /** detector verdict on the whole text */
  detection(): Detection;
}

class Analysis implements TextAnalysis {
  private _profile: TextProfile | undefined;
  private _folded: string | undefined;
  private _compact: string | undefined;
  private _units = -1;
  private _words: Token[] | undefined;
  private _nfkc: string | undefined;
  private _segments: Segment[] | undefined;
  private _langText: string | undefined;
  private _wordTexts: readonly string[] | undefined;
  private _compactHistogram: Int32Array | undefined;
  constructor(readonly text: string) {}

  get profile(): TextProfile {
    return (this._profile ??= profileText(this.text));
  }
  get nfkc(): string {
    if (this._nfkc === undefined) {
      // ASCII text is already NFKC; skip the normalisation call for it
      // eslint-disable-next-line no-control-regex
      this._nfkc = /^[\x00-\x7f]*$/.test(this.text) ? this.text : this.text.normalize("NFKC");
    }
    return this._nfkc;
  }
  get folded(): string {
    return (this._folded ??= this.nfkc.toLowerCase());
  }
  get segments(): readonly Segment[] {
    if (this._segments === undefined) {
      const toks = this.profile.tokens;
      const words = this.words;
      if (!hasTwoSegments(this.text)) this._segments = [new Seg(this.text, toks, words, this.langText)];
      else {
        const out: Segment[] = [];
        SEGMENT_RE.lastIndex = 0;
        for (let m = SEGMENT_RE.exec(this.text); m !== null; m = SEGMENT_RE.exec(this.text)) {
          const start = m.index;
          const end = start + m[0].length;
          const segTokens = toks.filter((t) => t.start >= start && t.end <= end);
          if (segTokens.length === 0) continue;
          const segWords = words === toks ? segTokens : segTokens.filter((t) => words.includes(t));
          const langText = segWords.length === segTokens.length ? m[0] : segWords.map((t) => t.text).join(" ");
          out.push(new Seg(m[0].trim(), segTokens, segWords, langText));
        }
        this._segments = out.length ? out : [new Seg(this.text, toks, words, this.langText)];
      }
    }
    return this._segments;
  }
  get compact(): string {
    return (this._compact ??= this.folded.replace(NOT_WORD, ""));
  }
  get units(): number {
    if (this._units < 0) {
      const p = this.profile;
      const sc = p.scripts;
      const cjk = (sc.Hani ?? 0) + (sc.Hira ?? 0) + (sc.Kana ?? 0) + (sc.Hang ?? 0);
      this._units = p.letters + 2 * cjk + p.digits;
    }
    return this._units;
  }
  get words(): readonly Token[] {
    if (this._words === undefined) {
      const toks = this.profile.tokens;
      let any = false;
      for (const t of toks)
        if (t.letters <= 12 && isInterjection(t.text)) {
          any = true;
          break;
        }
      this._words = any ? toks.filter((t) => !isInterjection(t.text)) : toks;
    }
    return this._words;
  }
  get wordTexts(): readonly string[] {
    return (this._wordTexts ??= textsOf(this.words));
  }
  get compactHistogram(): Int32Array {
    if (this._compactHistogram === undefined) {
      const h = new Int32Array(64);
      const s = this.compact;
      for (let i = 0; i < s.length; i++) h[s.charCodeAt(i) & 63]!++;
      this._compactHistogram = h;
    }
    return this._compactHistogram;
  }
  get langText(): string {
    if (this._langText === undefined) {
      const words = this.words;
      const toks = this.profile.tokens;
      if (words.length === toks.length) this._langText = this.text;
      else {
        let out = "";
        let pos = 0;
        for (const t of toks) {
          if (words.includes(t)) continue;
          out += this.text.slice(pos, t.start);
          pos = t.end;
        }
        this._langText = out + this.text.slice(pos);
      }
    }
    return this._langText;
  }
  detection(): Detection {
    return detect(this.langText);
  }
}

function textsOf(tokens: readonly Token[]): string[] {
  return tokens.map((t) => t.text);
}

const NOT_WORD = /[^\p{L}\p{M}\p{N}]+/gu;

/** Sentence-ish segments: up to and including sentence punctuation or a line break. */
const SEGMENT_RE = /[^.!?;。！？；\n…]+[.!?;。！？；\n…]*/g;

function hasTwoSegments(text: string): boolean {
  const t = text.trimEnd();
  for (let i = 0; i < t.length - 1; i++) {
    const c = t.charCodeAt(i);
    if (
      c === 0x2e ||
      c === 0x21 ||
      c === 0x3f ||
      c === 0x3b ||
      c === 0x0a ||
      c === 0x2026 ||
      c === 0x3002 ||
      c === 0xff01 ||
      c === 0xff1f ||
      c === 0xff1b
    )
      return true;
  }
  return false;
}

const memo = new Map<string, TextAnalysis>();
const LIMIT = 5_000;

export function analyze(text: string): TextAnalysis {
  let a = memo.get(text);
  if (!a) {
    if (memo.size >= LIMIT) memo.clear();
    a = new Analysis(text);
    memo.set(text, a);
  }
  return a;
}

/** Forget memoised analyses (benchmarks measure cold work). */
export function clearAnalysisCache(): void {
  memo.clear();
}
