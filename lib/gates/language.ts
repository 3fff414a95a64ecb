/**
 * `language` and `code_switching`.
 *
 * Evidence, in order of strength:
 * 1. Script. Letters mostly in a script the target does not use (Cyrillic in French, kana in Chinese, Hangul
 *    in Japanese, Han without kana carrying Chinese-only characters in Japanese, Traditional forms when the
 *    tag asks for Simplified) reject a turn whatever its length.
 * 2. Detector (eld), only where the script is shared by several languages. Close pairs are configured in
 *    lib/lang/languages.ts: verdicts the detector cannot separate are accepted (Indonesian ≈ Malay,
 *    Norwegian ≈ Danish, Serbian/Croatian/Bosnian split by script); close relatives it can separate
 *    (Spanish/Catalan/Portuguese, Czech/Slovak, Russian/Ukrainian …) need a longer text and a wider margin.
 *    A turn is rejected only when the target scores clearly below the winner.
 * 3. Sentence glue (lib/lang/markers.ts). A verdict for another language is trusted only when the text holds
 *    that language's pronouns / copulas / negation / question words; names, titles and borrowed noun phrases
 *    ("amo walking dead", "saya suka new kids on the block") have none.
 * 4. Dialogue context. A turn whose words mostly already occur in the earlier turns (names, titles, the
 *    dialogue's own vocabulary) is not rejected on a detector verdict.
 *
 * Short turns ("ok", "jaja", "555", an emoji, a name: fewer than 3 words or 10 letters, fewer than 4
 * characters in unspaced scripts) are never rejected by the detector; only unambiguous script evidence can
 * reject them.
 */

import { detect, scoreOf, type Detection } from "../lang/detect.js";
import {
  anyForeignGlue,
  exclusiveFunctionWords,
  foreignFunctionWordEvidence,
  foreignGlue,
  lexicalAnchor,
  lexicallyTarget,
  ownGlue,
} from "../lang/markers.js";
import { SCRIPT_NAMES, UNSPACED, type ScriptCode, type TextProfile, type Token } from "../lang/scripts.js";
import { analyze, type TextAnalysis } from "./analysis.js";
import type { Target } from "./target.js";
import type { CodeSwitchingPolicy, GateTurn } from "./types.js";

export const LANGUAGE_THRESHOLDS = {
  /** a turn with fewer words or letters (in alphabetic scripts) is short: the detector cannot reject it */
  minWords: 3,
  minLetters: 10,
  /** same for unspaced scripts (Han, kana, Thai …), in characters */
  minUnspacedChars: 4,
  /** reject when the target's detector score is below this fraction of the winner's */
  ratio: 0.85,
  /** for close relatives (siblings) */
  siblingRatio: 0.8,
  siblingMinLetters: 30,
  /** share of a turn's letters found in earlier turns' words above which a detector verdict is not trusted */
  contextCoverage: 0.6,
  /** a Latin-script turn in a non-Latin target is judged from this size */
  latinMinWords: 3,
  latinMinLetters: 10,
  /** a turn with no function word of the target and this many distinct ones of another language is foreign */
  foreignFunctionWords: 2,
  /** a content word this long, given to the target by the detector on its own, is morphological evidence */
  morphologyMinLetters: 5,
  /** targets the detector does not know: another language must win clearly on a longer text */
  unknownMinWords: 5,
  unknownMinLetters: 25,
  unknownMinScore: 0.7,
  unknownMinGap: 0.05,
  /** code switching: a foreign same-script sentence of at least this size, detected this clearly */
  segmentMinWords: 4,
  segmentMinLetters: 16,
  segmentRatio: 0.8,
  /** code switching: a foreign-script phrase of at least this many words / unspaced characters */
  phraseMinWords: 3,
  phraseMinLetters: 10,
  phraseMinUnspacedChars: 4,
} as const;

const T = LANGUAGE_THRESHOLDS;

function fmt(x: number): string {
  return x.toFixed(2);
}

function scriptName(s: ScriptCode): string {
  return SCRIPT_NAMES[s];
}

interface ScriptSplit {
  letters: number;
  expected: number;
  latinForeign: number;
  otherForeign: number;
  dominantOther?: ScriptCode;
  kana: number;
  han: number;
}

function splitScripts(p: TextProfile, target: Target): ScriptSplit {
  let expected = 0;
  let latinForeign = 0;
  let otherForeign = 0;
  let dominantOther: ScriptCode | undefined;
  let dominantOtherN = 0;
  for (const [s, n] of Object.entries(p.scripts) as [ScriptCode, number][]) {
    if (target.expected.has(s) || target.expected.size === 0) expected += n;
    else if (s === "Latn") latinForeign += n;
    else {
      otherForeign += n;
      if (n > dominantOtherN) {
        dominantOther = s;
        dominantOtherN = n;
      }
    }
  }
  const kana = (p.scripts.Hira ?? 0) + (p.scripts.Kana ?? 0);
  const han = p.scripts.Hani ?? 0;
  return {
    letters: p.letters,
    expected,
    latinForeign,
    otherForeign,
    ...(dominantOther ? { dominantOther } : {}),
    kana,
    han,
  };
}

/**
 * Words and letters written in the target's scripts (interjections such as lol, haha, ok left out). With
 * `distinct`, a word repeated in the turn counts once: "hey hey hey hey" is one word, not evidence of a language.
 * With `enough`, counting stops once the words and letters reach it, for a target without unspaced scripts (callers
 * that only compare the counts with it get the same answer).
 */
function targetSize(
  tokens: readonly Token[],
  target: Target,
  distinct = false,
  enough?: { words: number; letters: number },
): { words: number; letters: number; unspaced: number } {
  let words = 0;
  let letters = 0;
  let unspaced = 0;
  const seen = distinct ? new Set<string>() : undefined;
  const stop = target.unspaced ? undefined : enough;
  for (const t of tokens) {
    if (target.expected.size > 0 && !target.expected.has(t.script)) continue;
    if (seen) {
      const key = t.text.toLowerCase();
      if (seen.has(key)) continue;
      seen.add(key);
    }
    if (UNSPACED.has(t.script)) unspaced += t.letters;
    else {
      words++;
      letters += t.letters;
      if (stop && words >= stop.words && letters >= stop.letters) break;
    }
  }
  return { words, letters, unspaced };
}

/** The size from which the detector may judge a turn. */
const JUDGEABLE = { words: T.minWords, letters: T.minLetters };

function isShort(a: TextAnalysis, target: Target): boolean {
  const s = targetSize(a.words, target, true, JUDGEABLE);
  if (s.unspaced > 0 && s.unspaced >= s.letters) return s.unspaced < T.minUnspacedChars;
  return s.words < T.minWords || s.letters < T.minLetters;
}

/** Lower-cased words of the earlier turns (context vocabulary). */
function contextVocabulary(turns: readonly GateTurn[], index: number): { words: Set<string>; turns: number } {
  const words = new Set<string>();
  let n = 0;
  for (let i = 0; i < index; i++) {
    const t = turns[i];
    if (!t || !t.text) continue;
    n++;
    for (const tok of analyze(t.text).profile.tokens) if (tok.letters >= 2) words.add(tok.text.toLowerCase());
  }
  return { words, turns: n };
}

/** Share of the tokens' letters (words of ≥ 2 letters) that already occurred in earlier turns. */
function coverage(tokens: readonly Token[], vocab: ReadonlySet<string>): number {
  let total = 0;
  let covered = 0;
  for (const t of tokens) {
    if (t.letters < 2) continue;
    total += t.letters;
    if (vocab.has(t.text.toLowerCase())) covered += t.letters;
  }
  return total === 0 ? 0 : covered / total;
}

/** Plainly target-language words (see lexicallyTarget): no need to ask the detector. */
function lexicallyOk(words: readonly string[], target: Target): boolean {
  return lexicallyTarget(words, target.codes);
}

/** No glue word of the winning language: names, titles, borrowed noun phrases rather than a foreign clause. */
function noForeignGlue(words: readonly string[], lang: string, target: Target): boolean {
  return foreignGlue(words, lang, target.codes).length === 0;
}

/**
 * The turn is built on the target's sentence glue while the detector's winner contributes none: a target
 * sentence carrying foreign names or titles ("saya suka pop. New kids on the block, favorit saya.").
 */
function anchoredInTarget(words: readonly string[], lang: string, target: Target): boolean {
  if (foreignGlue(words, lang, target.codes).length > 0) return false;
  // target glue that is not also a word of the winner ("tu" is French and Italian: no evidence either way)
  return target.accept.size > 0 && [...target.accept, target.info.base].some((t) => ownGlue(words, t, lang) > 0);
}

function contextExplains(tokens: readonly Token[], turns: readonly GateTurn[], index: number): boolean {
  if (index < 2) return false;
  const vocab = contextVocabulary(turns, index);
  if (vocab.turns < 2) return false;
  return coverage(tokens, vocab.words) >= T.contextCoverage;
}

/**
 * Letters one language of a close pair writes and its relatives do not. When the detector hesitates between
 * siblings, orthography decides: Swedish ä/ö vs Norwegian/Danish æ/ø, Ukrainian і/ї/є/ґ vs Russian ы/э/ъ/ё …
 */
const DISTINCT_LETTERS: Readonly<Record<string, string>> = {
  sv: "äö",
  no: "æø",
  nb: "æø",
  nn: "æø",
  da: "æø",
  es: "ñ",
  pt: "ãõ",
  gl: "",
  ca: "ŀ",
  uk: "іїєґ",
  ru: "ыэъё",
  be: "ўі",
  sr: "јљњћђџ",
  mk: "ѓќѕјљњџ",
  cs: "řůě",
  sk: "äľĺŕô",
  hr: "đ",
  bs: "đ",
};

function hasAnyOf(text: string, letters: string | undefined): string | undefined {
  if (!letters) return undefined;
  for (const ch of letters) if (text.includes(ch)) return ch;
  return undefined;
}

interface Verdict {
  language: string;
  score: number;
  targetScore: number;
  /** a letter only the winning sibling writes */
  letter?: string;
}

function verdictText(v: Verdict, target: Target): string {
  return `detected ${v.language} (${fmt(v.score)})${v.letter ? `, letter "${v.letter}"` : ""}, expected ${target.info.base}`;
}

/** The detector's verdict if it clearly contradicts the target; undefined when it agrees or is unsure. */
function contradicts(d: Detection, target: Target, letters: number, ratio: number, text: string): Verdict | undefined {
  const lang = d.language;
  if (!lang || target.accept.has(lang)) return undefined;
  const sibling = target.siblings.has(lang);
  const score = scoreOf(d, lang);
  let targetScore = 0;
  for (const a of target.accept) targetScore = Math.max(targetScore, scoreOf(d, a));
  if (sibling) {
    const lower = text.toLowerCase();
    const own = hasAnyOf(lower, DISTINCT_LETTERS[target.info.base]);
    const theirs = hasAnyOf(lower, DISTINCT_LETTERS[lang]);
    if (own) return undefined;
    if (theirs) return { language: lang, score, targetScore, letter: theirs };
    if (letters < T.siblingMinLetters) return undefined;
  }
  const limit = sibling ? Math.min(ratio, T.siblingRatio) : ratio;
  if (score > 0 && targetScore >= limit * score) return undefined;
  return { language: lang, score, targetScore };
}

/** For a target the detector does not know: is another language confidently there? */
function confidentlyOther(d: Detection, target: Target): Verdict | undefined {
  const lang = d.language;
  if (!lang || target.accept.has(lang) || target.siblings.has(lang)) return undefined;
  const scores = d.scores();
  const score = scores[lang] ?? 0;
  let second = 0;
  for (const [k, v] of Object.entries(scores)) if (k !== lang && v > second) second = v;
  if (score < T.unknownMinScore || score - second < T.unknownMinGap) return undefined;
  return { language: lang, score, targetScore: 0 };
}

/**
 * A turn of several sentences whose every judgeable sentence the detector gives to the target needs no
 * whole-turn verdict (and costs the same: detection time is linear in the text).
 */
function segmentsAgree(a: TextAnalysis, target: Target): boolean {
  const segs = a.segments;
  if (segs.length < 2) return false;
  let judged = 0;
  for (const seg of segs) {
    const size = targetSize(seg.words, target, false, JUDGEABLE);
    if (size.words < T.minWords || size.letters < T.minLetters) continue;
    judged++;
    if (!lexicallyOk(seg.wordTexts, target) && !target.accept.has(seg.detection().language)) return false;
  }
  return judged > 0;
}

export function checkLanguage(
  turns: readonly GateTurn[],
  index: number,
  a: TextAnalysis,
  target: Target,
): string | undefined {
  const p = a.profile;
  if (p.letters === 0) return undefined;
  const sp = splitScripts(p, target);

  // 1. Script evidence.
  if (sp.otherForeign >= 2 && sp.otherForeign * 2 >= sp.letters && sp.dominantOther) {
    return `written in ${scriptName(sp.dominantOther)} script (${sp.otherForeign}/${sp.letters} letters), expected ${target.expectedNames}`;
  }
  if (target.kind === "zh" && sp.kana >= 2 && sp.kana * 5 >= sp.kana + sp.han) {
    return `kana in Chinese text (${sp.kana}/${sp.kana + sp.han} characters): looks Japanese`;
  }
  if (target.kind === "ja" && sp.kana === 0 && sp.han >= 2 && p.hanNotJapanese >= 1 && sp.han * 2 >= sp.letters) {
    return `Chinese-only characters (${p.hanNotJapanese}) and no kana: looks Chinese, expected ${target.info.base}`;
  }
  if (target.hanVariant && sp.han > 0) {
    const wrong = target.hanVariant === "Hans" ? p.hanTraditional : p.hanSimplified;
    const right = target.hanVariant === "Hans" ? p.hanSimplified : p.hanTraditional;
    if (wrong >= 2 && wrong >= 3 * right) {
      return `${target.hanVariant === "Hans" ? "Traditional" : "Simplified"} character forms (${wrong} vs ${right}), expected ${target.hanVariant === "Hans" ? "Simplified" : "Traditional"} Chinese`;
    }
  }

  // no letter at all in the target's scripts, some in a non-Latin foreign script ("aerosmith是一支经典乐队" in Korean)
  if (sp.expected === 0 && sp.otherForeign >= 2 && sp.dominantOther) {
    return `no ${target.expectedNames} letters; written in ${scriptName(sp.dominantOther)}${sp.latinForeign ? " and Latin" : ""} script, expected ${target.expectedNames}`;
  }
  // 2. Latin-script text in a non-Latin target: fine when short (ok, lol, a name, a brand).
  if (sp.latinForeign * 2 > sp.letters) {
    let words = 0;
    let letters = 0;
    for (const t of a.words)
      if (t.script === "Latn") {
        words++;
        letters += t.letters;
      }
    if (words < T.latinMinWords || letters < T.latinMinLetters) return undefined;
    if (contextExplains(p.tokens, turns, index)) return undefined;
    const latin = a.words.filter((t) => t.script === "Latn");
    const d = analyze(latin.map((t) => t.text).join(" ")).detection();
    if (anchoredInTarget(a.wordTexts, d.language, target)) return undefined;
    const det = d.language ? `, detected ${d.language} (${fmt(scoreOf(d, d.language))})` : "";
    return `written in Latin script (${sp.latinForeign}/${sp.letters} letters)${det}, expected ${target.expectedNames}`;
  }
  if (sp.expected * 2 < sp.letters) return undefined; // mixed scripts, no majority: code_switching looks at it

  // 3. The target's script dominates.
  if (target.kind === "unique" || target.kind === "zh") return undefined;
  if (target.kind === "ja") {
    if (sp.kana > 0 || sp.han < T.minUnspacedChars) return undefined;
    // kana-less Han text: Chinese or a kanji-only Japanese phrase
    const d = a.detection();
    const v = contradicts(d, target, sp.letters * 3, T.ratio, a.text);
    if (!v) return undefined;
    return `Han characters without kana, detected ${v.language} (${fmt(v.score)}), expected ${target.info.base}`;
  }

  // shared script: the detector decides, never on a short turn
  if (isShort(a, target)) return undefined;
  // built on target glue with no foreign glue: passes whatever the detector says (see anchoredInTarget)
  if (lexicalAnchor(a.wordTexts, target.codes)) return undefined;
  // (after lexicalAnchor: a turn it accepts has a function word of the target no other language shares)
  if (target.info.detectable) {
    const f = foreignFunctionWords(a, target, turns, index);
    if (f) {
      // name the detector's verdict when it agrees
      const v = contradicts(a.detection(), target, sp.expected, T.ratio, a.text);
      return v?.language === f.lang ? verdictText(v, target) : f.detail;
    }
  }
  if (target.info.detectable && segmentsAgree(a, target)) return undefined;
  const d = a.detection();
  if (!target.info.detectable) {
    const s = targetSize(a.words, target);
    if (s.words < T.unknownMinWords || s.letters < T.unknownMinLetters) return undefined;
    const v = confidentlyOther(d, target);
    if (!v || anchoredInTarget(a.wordTexts, v.language, target) || contextExplains(p.tokens, turns, index))
      return undefined;
    return `detected ${v.language} (${fmt(v.score)}) with confidence; ${target.info.base} is not in the detector`;
  }
  const v = contradicts(d, target, sp.expected, T.ratio, a.text);
  if (!v) return undefined;
  if (anchoredInTarget(a.wordTexts, v.language, target) || contextExplains(p.tokens, turns, index)) return undefined;
  if (targetEvidence(a, target, v.language)) return undefined;
  if (namesAndRepeatsOnly(a, target)) return undefined;
  return verdictText(v, target);
}

/**
 * Evidence of the target against a verdict for `lang`, when `lang` has no function word in the turn (so what
 * it saw are names, titles, loanwords): a function word of the target that `lang` does not share ("golden
 * retriever dan husky"), or a content word the detector gives to the target on its own — its morphology
 * ("disebut live action roleplaying").
 */
function targetEvidence(a: TextAnalysis, target: Target, lang: string): boolean {
  const tokens = a.words;
  const words = a.wordTexts;
  const codes = target.codes;
  if (exclusiveFunctionWords(words, lang, codes).length > 0) return false;
  if (codes.some((c) => exclusiveFunctionWords(words, c, [lang]).length > 0)) return true;
  for (const t of tokens) {
    if (t.letters < T.morphologyMinLetters || t.capitalized) continue;
    if (codes.some((c) => exclusiveFunctionWords([t.text], c, []).length > 0)) continue;
    if (target.accept.has(detect(t.text.toLowerCase()).language)) return true;
  }
  return false;
}

/**
 * Without the names (capitalised words after the first word of a sentence) and the repeats, is anything left
 * that the detector gives to another language? "Saya suka Bon Jovi, Guns N' Roses, Metallica!", "Halo halo
 * halo halo halo".
 */
function namesAndRepeatsOnly(a: TextAnalysis, target: Target): boolean {
  const kept: Token[] = [];
  const seen = new Set<string>();
  for (const seg of a.segments) {
    seg.words.forEach((t, i) => {
      const key = t.text.toLowerCase();
      if ((i > 0 && t.capitalized) || seen.has(key)) return;
      seen.add(key);
      kept.push(t);
    });
  }
  if (kept.length === a.words.length) return false;
  const size = targetSize(kept, target, true);
  if (size.words < T.minWords || size.letters < T.minLetters) return true;
  const d = detect(kept.map((t) => t.text).join(" "));
  return !contradicts(d, target, size.letters, T.ratio, kept.map((t) => t.text).join(" "));
}

/**
 * The detector is unsure or even picks the target, yet the turn has no function word of the target and
 * several of another language ("Dove vivi? Io vivo in California." in English): another language.
 */
function foreignFunctionWords(
  a: TextAnalysis,
  target: Target,
  turns: readonly GateTurn[],
  index: number,
): { lang: string; detail: string } | undefined {
  const f = foreignFunctionWordEvidence(a.wordTexts, target.codes, T.foreignFunctionWords);
  if (!f || target.siblings.has(f.lang)) return undefined;
  if (contextExplains(a.profile.tokens, turns, index)) return undefined;
  return {
    lang: f.lang,
    detail: `function words of ${f.lang} (${f.words.slice(0, 4).join(", ")}) and none of ${target.info.base}, expected ${target.info.base}`,
  };
}

// ---------------------------------------------------------------------------------------------------------
// code switching

/** Words that may sit lower-case inside a title or a name ("Lord of the Rings", "Leonardo da Vinci"). */
const NAME_CONNECTORS = new Set([
  "of",
  "the",
  "and",
  "de",
  "la",
  "le",
  "du",
  "des",
  "del",
  "di",
  "da",
  "von",
  "van",
  "der",
  "den",
  "y",
  "e",
  "et",
  "a",
  "on",
  "in",
  "for",
  "to",
]);

function isNameLike(tokens: readonly Token[]): boolean {
  const cased = tokens.filter(
    (t) => t.script === "Latn" || t.script === "Cyrl" || t.script === "Grek" || t.script === "Armn",
  );
  if (cased.length === 0) return false;
  let caps = 0;
  for (const t of cased) {
    if (t.capitalized) caps++;
    else if (!NAME_CONNECTORS.has(t.text.toLowerCase())) return false;
  }
  return caps > 0 && cased[0]!.capitalized;
}

export function checkCodeSwitching(
  turns: readonly GateTurn[],
  index: number,
  a: TextAnalysis,
  target: Target,
  policy: CodeSwitchingPolicy,
): string | undefined {
  if (policy === "any") return undefined;
  const p = a.profile;
  if (p.letters === 0) return undefined;

  // Foreign-script runs: consecutive tokens outside the target's scripts.
  if (target.expected.size > 0) {
    const toks = p.tokens;
    let runStart = -1;
    for (let i = 0; i <= toks.length; i++) {
      const t = toks[i];
      const foreign = t !== undefined && !target.expected.has(t.script) && t.script !== "Zzzz";
      if (runStart >= 0 && (!foreign || !sameFamily(toks[runStart]!.script, t.script))) {
        const r = judgeRun(toks.slice(runStart, i), a, target, policy, turns, index);
        if (r) return r;
        runStart = -1;
      }
      if (foreign && runStart < 0) runStart = i;
    }
  }

  // Same-script foreign sentences (an English sentence inside a French turn): the detector per segment.
  if (target.kind !== "shared" || !target.info.detectable) return undefined;
  if (a.segments.length < 2) return undefined;
  const minWords = policy === "none" ? T.minWords : T.segmentMinWords;
  const minLetters = policy === "none" ? T.minLetters + 2 : T.segmentMinLetters;
  const ratio = policy === "none" ? T.ratio : T.segmentRatio;
  // a chat turn has a few sentences; an over-long text (the length check's business) is sampled, not scanned
  for (const seg of a.segments.slice(0, 40)) {
    const size = targetSize(seg.words, target);
    if (size.words < minWords || size.letters < minLetters) continue;
    const letters = size.letters;
    // without any foreign glue word the segment is names/titles/loanwords: it would pass below anyway
    if (policy !== "none" && !anyForeignGlue(seg.wordTexts, target.codes)) continue;
    const v = contradicts(seg.detection(), target, letters, ratio, seg.text);
    if (!v) continue;
    if (policy !== "none" && (isNameLike(seg.tokens) || noForeignGlue(seg.wordTexts, v.language, target))) continue;
    if (contextExplains(seg.tokens, turns, index)) continue;
    return `sentence "${clip(seg.text)}" ${verdictText(v, target)}`;
  }
  return undefined;
}

function judgeRun(
  r: readonly Token[],
  a: TextAnalysis,
  target: Target,
  policy: CodeSwitchingPolicy,
  turns: readonly GateTurn[],
  index: number,
): string | undefined {
  const script = r[0]!.script;
  let letters = 0;
  for (const t of r) letters += t.letters;
  const phrase = a.text.slice(r[0]!.start, r[r.length - 1]!.end);
  const where = `${scriptName(script)} ${r.length > 1 || UNSPACED.has(script) ? "phrase" : "word"} "${clip(phrase)}" in ${target.info.base} text`;
  if (policy === "none") return letters >= 2 ? where : undefined;
  if (UNSPACED.has(script) || script === "Hang") return letters >= T.phraseMinUnspacedChars ? where : undefined;
  if (r.length < T.phraseMinWords || letters < T.phraseMinLetters) return undefined;
  if (isNameLike(r)) return undefined;
  if (contextExplains(r, turns, index)) return undefined;
  return where;
}

function sameFamily(a: ScriptCode, b: ScriptCode): boolean {
  if (a === b) return true;
  const cjk = (s: ScriptCode) => s === "Hani" || s === "Hira" || s === "Kana" || s === "Bopo";
  return cjk(a) && cjk(b);
}

function clip(s: string, n = 40): string {
  const t = s.replace(/\s+/g, " ").trim();
  return t.length > n ? `${t.slice(0, n - 1)}…` : t;
}
