/**
 * Thin synchronous wrapper over eld (Efficient Language Detector, 60 languages, n-gram model).
 *
 * - Own instance (`newInstance()`), so settings other code applies to the shared `eld` object never leak in.
 * - Scores are computed lazily: eld's `getScores()` costs as much as `detect()` itself, and the gates only
 *   need them when the verdict is not the target language.
 * - Results are memoised per text (bounded), since the same turn is looked at as a turn and as context.
 *
 * The "medium" database is used: on the XPersona benchmark (npm run bench -- gates) it does as well as
 * "large" once the gates' margins apply (slightly fewer false rejections on Indonesian), with about half the
 * memory (≈240 MB vs ≈440 MB resident) and a faster start (≈1.5 s vs ≈2 s).
 */

import { eld as eldMedium } from "eld/medium";
import { ELD_LANGUAGES } from "./languages.js";

const detector = eldMedium.newInstance();

{
  const loaded = Object.values(detector.info().Languages);
  if (loaded.length !== ELD_LANGUAGES.size || loaded.some((l) => !ELD_LANGUAGES.has(l))) {
    throw new Error(`eld language list changed (${loaded.join(" ")}); update ELD_LANGUAGES in lib/lang/languages.ts`);
  }
}

export { ELD_LANGUAGES };

export interface Detection {
  /** detector verdict (ISO 639-1) or "" when the text has nothing to go on */
  readonly language: string;
  /** 0..1 score per language that got any evidence, best first; computed on first call */
  scores(): Readonly<Record<string, number>>;
}

const EMPTY: Detection = { language: "", scores: () => ({}) };

class LazyDetection implements Detection {
  private cached: Record<string, number> | undefined;
  constructor(
    readonly language: string,
    private readonly result: { getScores(): Record<string, number> },
  ) {}
  scores(): Readonly<Record<string, number>> {
    this.cached ??= this.result.getScores();
    return this.cached;
  }
}

const memo = new Map<string, Detection>();
let detectorCalls = 0;

/** Number of detector runs so far (memo misses), for benchmarks. */
export function detectorRuns(): number {
  return detectorCalls;
}
const MEMO_LIMIT = 5_000;

const URL_RE = /\bhttps?:\/\/\S+|\bwww\.\S+|\S+@\S+\.\w{2,}/gi;

/** Detect the language of a text (URLs and e-mail addresses are ignored). */
export function detect(text: string): Detection {
  const hit = memo.get(text);
  if (hit) return hit;
  const clean = text.includes("http") || text.includes("www.") || text.includes("@") ? text.replace(URL_RE, " ") : text;
  let d: Detection;
  detectorCalls++;
  if (clean.trim() === "") d = EMPTY;
  else {
    const r = detector.detect(clean);
    d = r.language ? new LazyDetection(r.language, r) : EMPTY;
  }
  if (memo.size >= MEMO_LIMIT) memo.clear();
  memo.set(text, d);
  return d;
}

/** Score of `code` in a detection (0 when absent). */
export function scoreOf(d: Detection, code: string): number {
  return d.scores()[code] ?? 0;
}

/** Forget memoised detections (benchmarks measure cold work). */
export function clearDetectionCache(): void {
  memo.clear();
}
