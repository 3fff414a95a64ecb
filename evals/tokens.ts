/**
 * The eval's tokens: the word-like segments of `Intl.Segmenter(lang, { granularity: "word" })` (segments whose
 * `isWordLike` is true: no spaces, no punctuation, no emoji), lower-cased with the language's rules
 * (`toLocaleLowerCase(lang)`). Chinese and Japanese get dictionary-based word segments from ICU, Thai likewise.
 */

const segmenters = new Map<string, Intl.Segmenter>();

function segmenter(lang: string): Intl.Segmenter {
  let s = segmenters.get(lang);
  if (!s) segmenters.set(lang, (s = new Intl.Segmenter(lang, { granularity: "word" })));
  return s;
}

export function wordTokens(text: string, lang: string): string[] {
  const out: string[] = [];
  for (const segment of segmenter(lang).segment(text)) {
    if (segment.isWordLike) out.push(segment.segment.toLocaleLowerCase(lang));
  }
  return out;
}

const SEP = "\u001f";

/** The n-grams of one token sequence (one turn: n-grams never cross turns), each as one string. */
export function ngrams(tokens: readonly string[], n: number): string[] {
  const out: string[] = [];
  for (let i = 0; i + n <= tokens.length; i++) out.push(tokens.slice(i, i + n).join(SEP));
  return out;
}

/** Scripts written without spaces between words, or in dense syllable blocks: their words are short. */
const DENSE =
  /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}\p{Script=Thai}\p{Script=Lao}\p{Script=Khmer}\p{Script=Myanmar}]/u;

/**
 * A content token, for the lexical overlap metrics: at least 4 characters (code points), or at least 2 when it
 * holds a character of a dense script (Han, kana, Hangul, Thai …). A crude, language-independent stand-in for a
 * stop-word list: it drops most function words ("i", "my", "the", "di", "une", の, は) and keeps nouns and verbs.
 */
export function isContentToken(token: string): boolean {
  const length = Array.from(token).length; // code points, not UTF-16 units
  return DENSE.test(token) ? length >= 2 : length >= 4;
}

export function contentTokens(text: string, lang: string): Set<string> {
  return new Set(wordTokens(text, lang).filter(isContentToken));
}
