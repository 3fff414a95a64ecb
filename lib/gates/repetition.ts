/**
 * `repetition`: a turn that repeats an earlier turn of the dialogue verbatim or nearly so (case,
 * punctuation, spacing and width ignored). Only substantial turns count, and "substantial" is measured per
 * script: a Han, kana or Hangul character weighs 3, any other letter or digit 1, and a turn needs 12, or 8 in
 * three words or more — four CJK characters are a sentence ("你今天好吗", "안녕하세요"), four Latin letters are
 * not ("haha", "ok", "me too", "thank you" may recur; "how are you" may not).
 */

import { UNSPACED } from "../lang/scripts.js";
import { analyze, type TextAnalysis } from "./analysis.js";
import type { GateTurn } from "./types.js";

export const REPETITION_THRESHOLDS = {
  minUnits: 12,
  /** … or this weight in at least three words */
  minUnitsThreeWords: 8,
  /** similarity (1 − edit distance / length) for a near-verbatim repeat */
  nearSimilarity: 0.9,
  /** an earlier turn of at least this weight appearing whole inside the turn … */
  containedMinUnits: 24,
  /** … and making up at least this share of it */
  containedShare: 0.7,
} as const;

const R = REPETITION_THRESHOLDS;

/** Edit distance if it is at most `max`, otherwise max + 1 (banded, early exit). */
export function boundedLevenshtein(a: string, b: string, max: number): number {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  if (a === b) return 0;
  const n = b.length;
  let prev = new Array<number>(n + 1);
  let cur = new Array<number>(n + 1);
  for (let j = 0; j <= n; j++) prev[j] = j;
  for (let i = 1; i <= a.length; i++) {
    const lo = Math.max(1, i - max);
    const hi = Math.min(n, i + max);
    cur[0] = i;
    if (lo > 1) cur[lo - 1] = max + 1;
    let rowMin = max + 1;
    const ca = a.charCodeAt(i - 1);
    for (let j = lo; j <= hi; j++) {
      const cost = ca === b.charCodeAt(j - 1) ? 0 : 1;
      const v = Math.min((prev[j - 1] ?? max + 1) + cost, (prev[j] ?? max + 1) + 1, (cur[j - 1] ?? max + 1) + 1);
      cur[j] = v;
      if (v < rowMin) rowMin = v;
    }
    if (hi < n) cur[hi + 1] = max + 1;
    if (rowMin > max) return max + 1;
    [prev, cur] = [cur, prev];
  }
  return Math.min(prev[n] ?? max + 1, max + 1);
}

/**
 * The L1 distance of two texts' histograms. An edit changes it by at most 2 (a substitution) and folding characters
 * into buckets can only lower it, so an edit distance of d needs a histogram distance of at most 2d: texts further
 * apart than 2 × max cannot be near repeats, and the banded Levenshtein is skipped for them (most pairs of turns).
 */
function histogramDistance(a: TextAnalysis, b: TextAnalysis): number {
  const x = a.compactHistogram;
  const y = b.compactHistogram;
  let d = 0;
  for (let i = 0; i < 64; i++) d += Math.abs(x[i]! - y[i]!);
  return d;
}

function spacedWords(a: TextAnalysis): number {
  let n = 0;
  for (const t of a.profile.tokens) if (!UNSPACED.has(t.script)) n++;
  return n;
}

export function isSubstantial(a: TextAnalysis): boolean {
  return a.units >= R.minUnits || (a.units >= R.minUnitsThreeWords && spacedWords(a) >= 3);
}

export function checkRepetition(turns: readonly GateTurn[], index: number, a: TextAnalysis): string | undefined {
  if (!isSubstantial(a)) return undefined;
  const cur = a.compact;
  for (let j = index - 1; j >= 0; j--) {
    const t = turns[j];
    if (!t || !t.text) continue;
    const b = analyze(t.text);
    if (!isSubstantial(b)) continue;
    const prev = b.compact;
    if (prev === cur) return `repeats turn ${j} verbatim`;
    const longest = Math.max(prev.length, cur.length);
    const max = Math.floor((1 - R.nearSimilarity) * longest);
    if (max > 0 && Math.abs(prev.length - cur.length) <= max && histogramDistance(b, a) <= 2 * max) {
      const d = boundedLevenshtein(prev, cur, max);
      if (d <= max) return `near-verbatim repeat of turn ${j} (similarity ${(1 - d / longest).toFixed(2)})`;
    }
    if (b.units >= R.containedMinUnits && prev.length >= R.containedShare * cur.length && cur.includes(prev)) {
      return `contains turn ${j} verbatim`;
    }
  }
  return undefined;
}
