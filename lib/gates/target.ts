/** The target language as the checks need it: resolved once per tag and cached. */

import { resolveLanguage, type LanguageInfo } from "../lang/languages.js";
import { expandScripts, SCRIPT_NAMES, type ScriptCode, UNSPACED } from "../lang/scripts.js";

/**
 * Scripts used by exactly one language in everyday writing: when the target is that language and its
 * script dominates the turn, the script alone confirms the language (no detector call needed).
 */
const UNIQUE_SCRIPT: Partial<Record<ScriptCode, string>> = {
  Hang: "ko",
  Grek: "el",
  Armn: "hy",
  Geor: "ka",
  Thai: "th",
  Laoo: "lo",
  Khmr: "km",
  Sinh: "si",
  Gujr: "gu",
  Guru: "pa",
  Orya: "or",
  Taml: "ta",
  Telu: "te",
  Knda: "kn",
  Mlym: "ml",
  Hebr: "he",
  Thaa: "dv",
  Mymr: "my",
};

export type TargetKind =
  /** Japanese: kana confirm it; kana-less Han text is checked against Chinese */
  | "ja"
  /** Chinese: Han without kana/Hangul; Simplified vs Traditional when the tag asks */
  | "zh"
  /** the target's script is its own (Hangul for Korean, Greek for Greek …) */
  | "unique"
  /** a script shared by many languages (Latin, Cyrillic, Arabic, Devanagari …): the detector decides */
  | "shared";

export interface Target {
  info: LanguageInfo;
  expected: ReadonlySet<ScriptCode>;
  /** English names of the expected scripts, for details */
  expectedNames: string;
  accept: ReadonlySet<string>;
  siblings: ReadonlySet<string>;
  kind: TargetKind;
  /** zh-Hans / zh-Hant (or a region implying one) */
  hanVariant?: "Hans" | "Hant";
  latinExpected: boolean;
  /** some expected script writes words without spaces (Han, kana, Thai …), or any script is expected */
  unspaced: boolean;
  /** the detector codes the target answers to: the accepted ones, then the base (what the marker lists take) */
  codes: readonly string[];
}

const cache = new Map<string, Target>();

/** Resolve a tag for the gates; throws an Error with a one-line message for an unknown tag. */
export function targetFor(tag: string): Target {
  const hit = cache.get(tag);
  if (hit) return hit;
  const r = resolveLanguage(tag);
  if (!r.ok) throw new Error(r.message);
  const info = r.lang;
  const expected = new Set(expandScripts(info.scripts));
  let kind: TargetKind = "shared";
  if (info.base === "ja") kind = "ja";
  else if (
    info.base === "zh" ||
    info.base === "yue" ||
    info.base === "wuu" ||
    info.base === "nan" ||
    info.base === "hak"
  )
    kind = "zh";
  else if (expected.size > 0 && [...expected].every((s) => UNIQUE_SCRIPT[s] === info.base)) kind = "unique";
  const hanVariant =
    info.scripts.length === 1 && (info.scripts[0] === "Hans" || info.scripts[0] === "Hant")
      ? info.scripts[0]
      : undefined;
  const target: Target = {
    info,
    expected,
    expectedNames: info.scripts.length
      ? info.scripts.map((s) => (s in SCRIPT_NAMES ? SCRIPT_NAMES[s as ScriptCode] : scriptLabel(s))).join("/")
      : "any script",
    accept: new Set(info.detector.accept),
    siblings: new Set(info.detector.siblings),
    kind,
    ...(hanVariant ? { hanVariant } : {}),
    latinExpected: expected.has("Latn"),
    unspaced: expected.size === 0 || [...expected].some((s) => UNSPACED.has(s)),
    codes: [...new Set(info.detector.accept), info.base],
  };
  if (cache.size > 200) cache.clear();
  cache.set(tag, target);
  return target;
}

function scriptLabel(s: string): string {
  switch (s) {
    case "Jpan":
      return "Japanese (kana + kanji)";
    case "Kore":
      return "Korean (Hangul)";
    case "Hans":
      return "Simplified Han";
    case "Hant":
      return "Traditional Han";
    case "Hanb":
      return "Han + Bopomofo";
    default:
      return s;
  }
}
