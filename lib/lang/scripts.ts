/**
 * Unicode script evidence for chat turns: which writing system each letter belongs to, word tokens with
 * their script, digits and emoji. One linear pass over the code points, no regexes, so it can run on every
 * generated turn.
 *
 * Script codes are ISO 15924. Composite writing systems used in language tags are expanded by
 * {@link expandScripts}: Jpan = Hira + Kana + Hani, Kore = Hang + Hani, Hans/Hant = Hani (the simplified /
 * traditional distinction is made by {@link ./han.ts}), Hanb = Hani + Bopo.
 */

import { hanVariantOf } from "./han.js";

export type ScriptCode =
  | "Latn"
  | "Cyrl"
  | "Grek"
  | "Armn"
  | "Hebr"
  | "Arab"
  | "Syrc"
  | "Thaa"
  | "Nkoo"
  | "Deva"
  | "Beng"
  | "Guru"
  | "Gujr"
  | "Orya"
  | "Taml"
  | "Telu"
  | "Knda"
  | "Mlym"
  | "Sinh"
  | "Thai"
  | "Laoo"
  | "Tibt"
  | "Mymr"
  | "Geor"
  | "Hang"
  | "Ethi"
  | "Cher"
  | "Cans"
  | "Khmr"
  | "Mong"
  | "Hira"
  | "Kana"
  | "Bopo"
  | "Hani"
  | "Tfng"
  | "Zzzz";

export const SCRIPT_NAMES: Readonly<Record<ScriptCode, string>> = {
  Latn: "Latin",
  Cyrl: "Cyrillic",
  Grek: "Greek",
  Armn: "Armenian",
  Hebr: "Hebrew",
  Arab: "Arabic",
  Syrc: "Syriac",
  Thaa: "Thaana",
  Nkoo: "N'Ko",
  Deva: "Devanagari",
  Beng: "Bengali",
  Guru: "Gurmukhi",
  Gujr: "Gujarati",
  Orya: "Oriya",
  Taml: "Tamil",
  Telu: "Telugu",
  Knda: "Kannada",
  Mlym: "Malayalam",
  Sinh: "Sinhala",
  Thai: "Thai",
  Laoo: "Lao",
  Tibt: "Tibetan",
  Mymr: "Myanmar",
  Geor: "Georgian",
  Hang: "Hangul",
  Ethi: "Ethiopic",
  Cher: "Cherokee",
  Cans: "Canadian Aboriginal syllabics",
  Khmr: "Khmer",
  Mong: "Mongolian",
  Hira: "Hiragana",
  Kana: "Katakana",
  Bopo: "Bopomofo",
  Hani: "Han",
  Tfng: "Tifinagh",
  Zzzz: "other",
};

/** ISO 15924 codes accepted in language tags that stand for several of our letter scripts. */
const COMPOSITE: Readonly<Record<string, readonly ScriptCode[]>> = {
  Jpan: ["Hira", "Kana", "Hani"],
  Kore: ["Hang", "Hani"],
  Hans: ["Hani"],
  Hant: ["Hani"],
  Hanb: ["Hani", "Bopo"],
  Hrkt: ["Hira", "Kana"],
  Jamo: ["Hang"],
};

const KNOWN = new Set<string>(Object.keys(SCRIPT_NAMES));

/** Letter scripts covered by a tag script (Jpan → Hira, Kana, Hani). Unknown scripts map to nothing. */
export function expandScripts(scripts: readonly string[]): ScriptCode[] {
  const out = new Set<ScriptCode>();
  for (const s of scripts) {
    const comp = COMPOSITE[s];
    if (comp) for (const c of comp) out.add(c);
    else if (KNOWN.has(s)) out.add(s as ScriptCode);
  }
  return [...out];
}

/** Script of a letter code point, or undefined for non-letters (digits, punctuation, symbols, marks on their own). */
export function scriptOf(cp: number): ScriptCode | undefined {
  if (cp < 0x80) {
    return (cp >= 0x61 && cp <= 0x7a) || (cp >= 0x41 && cp <= 0x5a) ? "Latn" : undefined;
  }
  if (cp < 0x0250) {
    if (cp < 0xc0) return cp === 0xaa || cp === 0xba || cp === 0xb5 ? "Latn" : undefined;
    return cp === 0xd7 || cp === 0xf7 ? undefined : "Latn";
  }
  if (cp < 0x0300) return cp < 0x02b0 ? "Latn" : undefined; // IPA extensions / spacing modifiers
  if (cp < 0x0370) return undefined; // combining diacritics: part of the previous letter
  if (cp < 0x0400) return cp === 0x37e || cp === 0x387 ? undefined : "Grek";
  if (cp < 0x0530) return cp >= 0x483 && cp <= 0x489 ? undefined : "Cyrl";
  if (cp < 0x0590) return cp >= 0x55a && cp <= 0x55f ? undefined : cp === 0x589 ? undefined : "Armn";
  if (cp < 0x0600) return cp >= 0x5d0 || (cp >= 0x591 && cp <= 0x5c7) ? "Hebr" : undefined;
  if (cp < 0x0700) {
    if (cp >= 0x660 && cp <= 0x669) return undefined; // Arabic-Indic digits
    if (cp >= 0x6f0 && cp <= 0x6f9) return undefined;
    if (cp === 0x60c || cp === 0x61b || cp === 0x61f || cp === 0x6d4 || cp === 0x640) return undefined;
    return cp >= 0x610 ? "Arab" : undefined;
  }
  if (cp < 0x0750) return "Syrc";
  if (cp < 0x0780) return "Arab";
  if (cp < 0x07c0) return "Thaa";
  if (cp < 0x0800) return "Nkoo";
  if (cp < 0x0900) return cp >= 0x870 ? "Arab" : "Zzzz";
  if (cp < 0x0d80) {
    // Indic blocks are 128 code points each; digits sit at offset 0x66..0x6f and dandas at 0x964/0x965.
    const off = cp & 0x7f;
    if (off >= 0x66 && off <= 0x6f) return undefined;
    if (cp === 0x964 || cp === 0x965) return undefined;
    const block = (cp - 0x900) >> 7;
    return (["Deva", "Beng", "Guru", "Gujr", "Orya", "Taml", "Telu", "Knda", "Mlym"] as const)[block];
  }
  if (cp < 0x0e00) return "Sinh";
  if (cp < 0x0e80) return cp >= 0xe50 && cp <= 0xe59 ? undefined : cp === 0xe3f ? undefined : "Thai";
  if (cp < 0x0f00) return cp >= 0xed0 && cp <= 0xed9 ? undefined : "Laoo";
  if (cp < 0x1000) return cp >= 0xf20 && cp <= 0xf33 ? undefined : "Tibt";
  if (cp < 0x10a0) return cp >= 0x1040 && cp <= 0x1049 ? undefined : "Mymr";
  if (cp < 0x1100) return "Geor";
  if (cp < 0x1200) return "Hang";
  if (cp < 0x13a0) return "Ethi";
  if (cp < 0x1400) return "Cher";
  if (cp < 0x1680) return "Cans";
  if (cp < 0x1780) return "Zzzz";
  if (cp < 0x1800) return cp >= 0x17e0 && cp <= 0x17e9 ? undefined : "Khmr";
  if (cp < 0x18b0) return cp >= 0x1810 && cp <= 0x1819 ? undefined : "Mong";
  if (cp < 0x1c80) return "Zzzz";
  if (cp < 0x1c90) return "Cyrl";
  if (cp < 0x1cc0) return "Geor";
  if (cp < 0x1d00) return undefined;
  if (cp < 0x1dc0) return "Latn"; // phonetic extensions
  if (cp < 0x1e00) return undefined; // combining marks supplement
  if (cp < 0x1f00) return "Latn"; // Latin extended additional (Vietnamese)
  if (cp < 0x2000) return "Grek";
  if (cp < 0x2c00) {
    if (cp === 0x2071 || cp === 0x207f) return "Latn";
    return undefined; // punctuation, symbols, arrows, emoji-ish symbols
  }
  if (cp < 0x2c60) return "Zzzz"; // Glagolitic
  if (cp < 0x2c80) return "Latn";
  if (cp < 0x2d00) return "Zzzz"; // Coptic
  if (cp < 0x2d30) return "Geor";
  if (cp < 0x2d80) return "Tfng";
  if (cp < 0x2de0) return "Ethi";
  if (cp < 0x2e00) return "Cyrl";
  if (cp < 0x2e80) return undefined; // supplemental punctuation
  if (cp < 0x3000) return "Hani"; // CJK radicals
  if (cp < 0x3040) {
    if (cp === 0x3005 || cp === 0x3007 || (cp >= 0x3021 && cp <= 0x3029) || (cp >= 0x3038 && cp <= 0x303b))
      return "Hani";
    return undefined; // CJK punctuation
  }
  if (cp < 0x30a0) return cp === 0x309b || cp === 0x309c ? "Kana" : "Hira";
  if (cp < 0x3100) return cp === 0x30fb ? undefined : "Kana"; // includes ー (0x30fc)
  if (cp < 0x3130) return "Bopo";
  if (cp < 0x3190) return "Hang"; // compatibility jamo: ㅋㅋ, ㅎㅎ
  if (cp < 0x31a0) return undefined;
  if (cp < 0x31c0) return "Bopo";
  if (cp < 0x31f0) return "Hani"; // strokes
  if (cp < 0x3200) return "Kana";
  if (cp < 0x3400) return undefined; // enclosed CJK, compatibility
  if (cp < 0x4dc0) return "Hani";
  if (cp < 0x4e00) return undefined; // hexagrams
  if (cp < 0xa000) return "Hani";
  if (cp < 0xa4d0) return "Zzzz"; // Yi
  if (cp < 0xa640) return "Zzzz";
  if (cp < 0xa6a0) return "Cyrl";
  if (cp < 0xa720) return "Zzzz";
  if (cp < 0xa800) return "Latn";
  if (cp < 0xa8e0) return "Zzzz";
  if (cp < 0xa900) return "Deva";
  if (cp < 0xa960) return "Zzzz";
  if (cp < 0xa980) return "Hang";
  if (cp < 0xab30) return "Zzzz";
  if (cp < 0xab70) return "Latn";
  if (cp < 0xac00) return "Zzzz";
  if (cp < 0xd7b0) return "Hang";
  if (cp < 0xd800) return "Hang";
  if (cp < 0xf900) return undefined; // surrogates / private use
  if (cp < 0xfb00) return "Hani";
  if (cp < 0xfb07) return "Latn";
  if (cp < 0xfb1d) return "Armn";
  if (cp < 0xfb50) return "Hebr";
  if (cp < 0xfe00) return "Arab";
  if (cp < 0xfe70) return undefined;
  if (cp < 0xff00) return cp === 0xfeff ? undefined : "Arab";
  if (cp < 0xfff0) {
    if ((cp >= 0xff21 && cp <= 0xff3a) || (cp >= 0xff41 && cp <= 0xff5a)) return "Latn"; // fullwidth
    if (cp >= 0xff66 && cp <= 0xff9f) return cp === 0xff70 ? "Kana" : "Kana";
    if (cp >= 0xffa0 && cp <= 0xffdc) return "Hang";
    return undefined;
  }
  if (cp >= 0x20000 && cp <= 0x3134f) return "Hani";
  if (cp >= 0x1b000 && cp <= 0x1b16f) return "Kana"; // kana supplement / extended
  if (cp >= 0x10000 && cp < 0x1f000) return "Zzzz"; // historic scripts, math alphanumerics (rare in chat)
  return undefined;
}

/** True for pictographic emoji code points (not digits, #, *, ©, ®, which also have emoji presentations). */
export function isEmojiCodePoint(cp: number): boolean {
  if (cp < 0x2300)
    return cp === 0x203c || cp === 0x2049 || cp === 0x2122 || cp === 0x2139 || (cp >= 0x2194 && cp <= 0x21aa);
  if (cp < 0x2400)
    return cp === 0x231a || cp === 0x231b || cp === 0x2328 || cp === 0x23cf || (cp >= 0x23e9 && cp <= 0x23fa);
  if (cp >= 0x25aa && cp <= 0x25fe)
    return cp === 0x25aa || cp === 0x25ab || cp === 0x25b6 || cp === 0x25c0 || cp >= 0x25fb;
  if (cp >= 0x2600 && cp <= 0x27bf) return true;
  if (cp >= 0x2934 && cp <= 0x2935) return true;
  if (cp >= 0x2b05 && cp <= 0x2b55)
    return cp <= 0x2b07 || cp === 0x2b1b || cp === 0x2b1c || cp === 0x2b50 || cp === 0x2b55;
  if (cp === 0x3030 || cp === 0x303d || cp === 0x3297 || cp === 0x3299) return true;
  if (cp >= 0x1f000 && cp <= 0x1faff) return !(cp >= 0x1f3fb && cp <= 0x1f3ff); // skin tones are modifiers
  return false;
}

export interface Token {
  /** the word as written */
  text: string;
  script: ScriptCode;
  /** UTF-16 offsets into the analysed text */
  start: number;
  end: number;
  /** number of letters (code points) */
  letters: number;
  /** first letter is uppercase (meaningful for cased scripts only) */
  capitalized: boolean;
}

export interface TextProfile {
  /** total letters in any script */
  letters: number;
  /** letters per script */
  scripts: Partial<Record<ScriptCode, number>>;
  /**
   * word tokens: maximal runs of letters of one script (hiragana and katakana together); apostrophes and
   * hyphens inside alphabetic words are kept. Unspaced scripts give one token per run ("私は" → 私 + は).
   */
  tokens: Token[];
  digits: number;
  /** emoji clusters (ZWJ sequences and flag pairs count once) */
  emoji: number;
  /** longest run of emoji clusters, whitespace between them ignored */
  maxEmojiRun: number;
  /** visible characters (not whitespace or invisible format characters) */
  visible: number;
  /** ? or ! present (an expressive reaction is not an empty turn) */
  hasQuestionOrExclamation: boolean;
  /** Han characters whose form exists only in Simplified / only in Traditional Chinese */
  hanSimplified: number;
  hanTraditional: number;
  /** Han characters used in Chinese but not in Japanese orthography (你, 们, 这, 吗 …) */
  hanNotJapanese: number;
}

const APOSTROPHES = new Set([0x27, 0x2019, 0x2bc, 0x60]);
const HYPHENS = new Set([0x2d, 0x2010, 0x2011]);

/** Whitespace and invisible format characters (zero-width space/joiners, BOM, word joiner). */
function isSpace(cp: number): boolean {
  return (
    cp === 0x20 ||
    cp === 0x09 ||
    cp === 0x0a ||
    cp === 0x0d ||
    cp === 0xa0 ||
    cp === 0x3000 ||
    (cp >= 0x2000 && cp <= 0x200c) ||
    (cp >= 0x200e && cp <= 0x200f) ||
    cp === 0x202f ||
    cp === 0x205f ||
    cp === 0x2060 ||
    cp === 0xfeff ||
    cp === 0x0b ||
    cp === 0x0c
  );
}

/** Scripts whose words are not separated by spaces: each run is one token of many "letters". */
export const UNSPACED: ReadonlySet<ScriptCode> = new Set<ScriptCode>([
  "Hani",
  "Hira",
  "Kana",
  "Thai",
  "Laoo",
  "Khmr",
  "Mymr",
  "Tibt",
]);

const CASED: ReadonlySet<ScriptCode> = new Set<ScriptCode>(["Latn", "Cyrl", "Grek", "Armn", "Geor"]);

function isUpper(cp: number): boolean {
  if (cp < 0x80) return cp >= 0x41 && cp <= 0x5a;
  const ch = String.fromCodePoint(cp);
  return ch !== ch.toLowerCase();
}

const SCRIPT_LIST = Object.keys(SCRIPT_NAMES) as ScriptCode[];
const SCRIPT_INDEX: Readonly<Record<ScriptCode, number>> = Object.fromEntries(
  SCRIPT_LIST.map((s, i) => [s, i]),
) as Record<ScriptCode, number>;

export function profileText(text: string): TextProfile {
  const counts = new Int32Array(SCRIPT_LIST.length);
  let countedScript: ScriptCode | undefined;
  let countedIndex = 0;
  const tokens: Token[] = [];
  let letters = 0;
  let digits = 0;
  let emoji = 0;
  let emojiRun = 0;
  let maxEmojiRun = 0;
  let visible = 0;
  let qx = false;
  let hanS = 0;
  let hanT = 0;
  let hanZ = 0;

  let tokStart = -1;
  let tokScript: ScriptCode = "Zzzz";
  let tokFamily: ScriptCode = "Zzzz";
  let tokLetters = 0;
  let tokUpper = false;
  let lastLetterEnd = -1;
  let prevWasZwj = false;
  let prevWasRegional = false;

  const n = text.length;
  for (let i = 0; i < n;) {
    let cp = text.charCodeAt(i);
    let width = 1;
    if (cp >= 0xd800 && cp <= 0xdbff && i + 1 < n) {
      const lo = text.charCodeAt(i + 1);
      if (lo >= 0xdc00 && lo <= 0xdfff) {
        cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
        width = 2;
      }
    }
    const s = scriptOf(cp);
    if (s !== undefined) {
      const fam = s === "Kana" ? "Hira" : s;
      if (tokStart >= 0 && fam !== tokFamily) {
        tokens.push({
          text: text.slice(tokStart, i),
          script: tokScript,
          start: tokStart,
          end: i,
          letters: tokLetters,
          capitalized: tokUpper,
        });
        tokStart = -1;
      }
      if (tokStart < 0) {
        tokStart = i;
        tokFamily = fam;
        tokScript = s;
        tokLetters = 0;
        tokUpper = CASED.has(s) && isUpper(cp);
      }
      tokLetters++;
      letters++;
      // a script's counter is looked up when the script changes, not for every letter
      if (s !== countedScript) {
        countedScript = s;
        countedIndex = SCRIPT_INDEX[s];
      }
      counts[countedIndex]!++;
      if (s === "Hani") {
        const v = hanVariantOf(cp);
        if (v !== 0) {
          if (v & 1) hanS++;
          if (v & 2) hanT++;
          if (v & 4) hanZ++;
        }
      }
      lastLetterEnd = i + width;
      visible++;
      emojiRun = 0;
      prevWasZwj = false;
      prevWasRegional = false;
      i += width;
      continue;
    }
    if (cp >= 0x300 && cp < 0x370 && tokStart >= 0) {
      // combining mark continues the current word
      lastLetterEnd = i + width;
      i += width;
      continue;
    }
    if (tokStart >= 0 && lastLetterEnd === i && !UNSPACED.has(tokFamily) && (APOSTROPHES.has(cp) || HYPHENS.has(cp))) {
      // keep don't / l'ami / e-mail together when a letter of the same script follows
      const next = text.codePointAt(i + 1);
      if (next === undefined || scriptOf(next) !== tokScript) {
        tokens.push({
          text: text.slice(tokStart, i),
          script: tokScript,
          start: tokStart,
          end: i,
          letters: tokLetters,
          capitalized: tokUpper,
        });
        tokStart = -1;
      }
      visible++;
      i += width;
      continue;
    }
    if (tokStart >= 0) {
      tokens.push({
        text: text.slice(tokStart, i),
        script: tokScript,
        start: tokStart,
        end: i,
        letters: tokLetters,
        capitalized: tokUpper,
      });
      tokStart = -1;
    }
    if (isSpace(cp)) {
      // whitespace does not break an emoji run
    } else if (cp === 0x200d) {
      prevWasZwj = true;
    } else if (cp === 0xfe0f || cp === 0xfe0e || (cp >= 0x1f3fb && cp <= 0x1f3ff) || (cp >= 0xe0020 && cp <= 0xe007f)) {
      // presentation selectors, skin tones, tag characters: part of the previous emoji
    } else if (cp >= 0x1f1e6 && cp <= 0x1f1ff) {
      visible++;
      if (!prevWasRegional) {
        emoji++;
        emojiRun++;
        if (emojiRun > maxEmojiRun) maxEmojiRun = emojiRun;
        prevWasRegional = true;
      } else prevWasRegional = false;
    } else if (cp >= 0x2000 && isEmojiCodePoint(cp)) {
      visible++;
      if (!prevWasZwj) {
        emoji++;
        emojiRun++;
        if (emojiRun > maxEmojiRun) maxEmojiRun = emojiRun;
      }
      prevWasZwj = false;
      prevWasRegional = false;
    } else {
      visible++;
      if ((cp >= 0x30 && cp <= 0x39) || (cp >= 0xff10 && cp <= 0xff19)) digits++;
      else if (
        cp === 0x3f ||
        cp === 0x21 ||
        cp === 0xff1f ||
        cp === 0xff01 ||
        cp === 0xbf ||
        cp === 0xa1 ||
        cp === 0x61f
      )
        qx = true;
      emojiRun = 0;
      prevWasZwj = false;
      prevWasRegional = false;
    }
    i += width;
  }
  if (tokStart >= 0)
    tokens.push({
      text: text.slice(tokStart, n),
      script: tokScript,
      start: tokStart,
      end: n,
      letters: tokLetters,
      capitalized: tokUpper,
    });
  const scripts: Partial<Record<ScriptCode, number>> = {};
  for (let k = 0; k < counts.length; k++) if (counts[k]! > 0) scripts[SCRIPT_LIST[k]!] = counts[k]!;
  return {
    letters,
    scripts,
    tokens,
    digits,
    emoji,
    maxEmojiRun,
    visible,
    hasQuestionOrExclamation: qx,
    hanSimplified: hanS,
    hanTraditional: hanT,
    hanNotJapanese: hanZ,
  };
}

/** Letters of the profile that belong to any of the given scripts. */
export function lettersIn(profile: TextProfile, scripts: ReadonlySet<ScriptCode>): number {
  let n = 0;
  for (const [s, c] of Object.entries(profile.scripts) as [ScriptCode, number][]) if (scripts.has(s)) n += c;
  return n;
}

/** The script with most letters, or undefined for a text without letters. */
export function dominantScript(profile: TextProfile): ScriptCode | undefined {
  let best: ScriptCode | undefined;
  let n = 0;
  for (const [s, c] of Object.entries(profile.scripts) as [ScriptCode, number][])
    if (c > n) {
      best = s;
      n = c;
    }
  return best;
}
