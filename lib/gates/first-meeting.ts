/**
 * `first_meeting`: in a later session of a series (the two speakers have talked before), a message that greets
 * the partner as a stranger — "nice to meet you", "encantada de conocerte", "はじめまして", "很高兴认识你" — or asks
 * their name ("what's your name?", "¿cómo te llamas?", "как тебя зовут?"). It is the one kind of forgetting the
 * earlier sessions that a rule can catch soundly: these formulas are said only at a first meeting, in any topic, so
 * a hit is a speaker who forgot the history (contradictions of facts are for the critique, which sees the memory).
 *
 * Only fixed first-meeting formulas are listed, never words that also serve between acquaintances: "mucho gusto"
 * (also "con mucho gusto", gladly), "만나서 반가워요" ("다시 만나서 반가워요", nice to see you again), "senang bertemu"
 * ("… lagi"), "my name is" ("my name is on the list"), or "what's its name". Patterns cover the languages below
 * and are matched in every target language (like meta_text), on the NFKC lower-cased text, at word starts for
 * spaced scripts; a language not listed relies on the critique alone.
 */

import type { TextAnalysis } from "./analysis.js";

const L = String.raw`\p{L}\p{N}`;
/** start and end of a word (spaced scripts) */
const B = String.raw`(?<![${L}])`;
const E = String.raw`(?![${L}])`;
/** an apostrophe, straight or typographic, or a hyphen between words */
const AP = String.raw`['’]\s?`;

/** [language, pattern source]; spaced-script patterns are wrapped in word boundaries. */
const SPACED: readonly (readonly [string, string])[] = [
  ["en", String.raw`(?:nice|pleased|glad) to meet you`],
  ["en", String.raw`nice meeting you`],
  ["en", String.raw`what(?:${AP}s| is) your name`],
  ["es", String.raw`(?:encantad[oa]|un placer|gusto(?: en)?) (?:de )?conocerte`],
  ["es", String.raw`c[oó]mo te llamas`],
  ["es", String.raw`cu[aá]l es tu nombre`],
  [
    "fr",
    String.raw`(?:enchant[ée]e?|ravie?|heureuse?|heureux) de (?:faire (?:ta|votre) connaissance|te rencontrer|vous rencontrer)`,
  ],
  ["fr", String.raw`comment (?:tu t${AP}appelles|t${AP}appelles[- ]tu|vous appelez[- ]vous|vous vous appelez)`],
  ["it", String.raw`(?:piacere|lieta|lieto|felice) di conoscerti`],
  ["it", String.raw`come ti chiami`],
  ["pt", String.raw`prazer em (?:te conhecer|conhecer voc[eê])`],
  ["pt", String.raw`como (?:voc[eê] se chama|te chamas|se chama voc[eê])`],
  ["pt", String.raw`qual (?:[eé] )?o seu nome`],
  ["de", String.raw`(?:freut mich|sch[öo]n|nett),? dich kennenzulernen`],
  ["de", String.raw`wie hei(?:ß|ss)t du`],
  ["nl", String.raw`(?:leuk|fijn|prettig) (?:je|jou|u) (?:te )?(?:ontmoeten|leren kennen)`],
  ["nl", String.raw`aangenaam kennis te maken`],
  ["nl", String.raw`hoe heet je`],
  ["ca", String.raw`encanta(?:t|da) de con[eè]ixer-?te`],
  ["ca", String.raw`com et dius`],
  ["id", String.raw`salam kenal`],
  ["id", String.raw`senang berkenalan`],
  ["id", String.raw`siapa nama(?:mu| kamu| anda)`],
  ["ru", String.raw`(?:очень )?приятно познакомиться`],
  ["ru", String.raw`как (?:тебя|вас) зовут`],
  ["uk", String.raw`приємно познайомитися`],
  ["uk", String.raw`як тебе звати`],
  ["pl", String.raw`mi[lł]o (?:mi )?ci[eę] pozna[cć]`],
  ["pl", String.raw`jak masz na imi[eę]`],
  ["tr", String.raw`tan[ıi][sş]t[ıi][gğ][ıi]m(?:[ıi]z)?a memnun oldum`],
  ["tr", String.raw`(?:senin )?ad[ıi]n ne`],
];

/** Unspaced scripts: matched anywhere in the text. */
const UNSPACED: readonly (readonly [string, string])[] = [
  ["ja", String.raw`はじめまして|初めまして|お名前は何`],
  ["ko", String.raw`처음 ?뵙겠습니다|이름이 ?어떻게 ?되세요`],
  ["zh", String.raw`很高[兴興]认识你|很高[兴興]認識你|初次[见見]面|幸[会會]|你叫什[么麼]名字`],
];

const PATTERNS: readonly { lang: string; re: RegExp }[] = [
  ...SPACED.map(([lang, source]) => ({ lang, re: new RegExp(`${B}${source}${E}`, "u") })),
  ...UNSPACED.map(([lang, source]) => ({ lang, re: new RegExp(source, "u") })),
];

/** Languages whose first-meeting formulas are listed (the documentation names them). */
export const FIRST_MEETING_LANGUAGES: readonly string[] = [...new Set(PATTERNS.map((p) => p.lang))];

/**
 * The first-meeting formula in a message of a later session, when there is one. `sessionsBefore` is the number of
 * sessions the two speakers had before this one (0, or undefined: a first meeting, where nothing is checked).
 */
export function checkFirstMeeting(a: TextAnalysis, sessionsBefore: number | undefined): string | undefined {
  if (!sessionsBefore) return undefined;
  const t = a.folded;
  for (const { re } of PATTERNS) {
    const m = re.exec(t);
    if (!m) continue;
    const raw = a.folded.length === a.text.length ? a.text.slice(m.index, m.index + m[0].length) : m[0];
    const times = sessionsBefore === 1 ? "once" : `${sessionsBefore} times`;
    return `${JSON.stringify(raw.trim())} greets a stranger, but the two have talked ${times} before (they remember it)`;
  }
  return undefined;
}
