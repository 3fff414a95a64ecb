/**
 * Near-duplicate dialogues across a run: MinHash over word 3-shingles with LSH banding.
 *
 * - Words come from Intl.Segmenter (word granularity, the record's language), so Chinese and Japanese, which do
 *   not separate words with spaces, are cut into dictionary words rather than treated as one long "word".
 *   Text is NFKC-normalised and lower-cased; punctuation is dropped.
 * - Shingles are 3 consecutive words over the whole dialogue (turns joined in order), hashed to 32 bits.
 * - 128 MinHash values (one 32-bit mixer per value, seeded), banded 32 × 4 for LSH: a pair at Jaccard 0.8
 *   becomes a candidate with probability 1 - (1 - 0.8⁴)³² ≈ 1 - 5·10⁻⁸; at 0.5, 0.87; at 0.2, 0.05. Candidates are
 *   then judged on the estimate from all 128 values (standard error ≈ 0.035 at J = 0.8).
 * - Threshold J ≥ 0.8. For two texts of similar size, J = 0.8 means about 89 % of their word trigrams are shared
 *   (2J / (1 + J)): the same dialogue with a few words changed. Independently written dialogues on the same
 *   speech event share few trigrams (J well below 0.2, even with stock greetings), and a speaker model falling
 *   back on one template shows up from ≈ 0.5; 0.8 removes copies without thinning legitimately similar small talk.
 *
 * Only accepted dialogues are checked and indexed: the first one written stays, a later near-copy is rejected
 * with reason `near_duplicate`. On resume the index is rebuilt from the accepted records on disk, so whether a
 * run was interrupted does not change the decisions. (With --concurrency above 1, which of two near-copies is
 * written first, and so kept, follows completion order.)
 */
import { fmix32, fnv1a, fnv1aJoined } from "../../lib/random.js";
import type { DialogueRecord } from "../../lib/records/schema.js";

export const NEAR_DUPLICATE_CHECK = "near_duplicate";
export const DEFAULT_JACCARD_THRESHOLD = 0.8;
const PERMUTATIONS = 128;
const BANDS = 32;
const ROWS = PERMUTATIONS / BANDS;
const SHINGLE_WORDS = 3;

const segmenters = new Map<string, Intl.Segmenter>();
function segmenterFor(language: string): Intl.Segmenter {
  let segmenter = segmenters.get(language);
  if (!segmenter) {
    try {
      segmenter = new Intl.Segmenter(language, { granularity: "word" });
    } catch {
      segmenter = new Intl.Segmenter(undefined, { granularity: "word" });
    }
    segmenters.set(language, segmenter);
  }
  return segmenter;
}

/** The words of a text, normalised (NFKC, lower case), punctuation and spaces dropped. */
export function words(text: string, language: string): string[] {
  const out: string[] = [];
  for (const segment of segmenterFor(language).segment(text.normalize("NFKC").toLowerCase())) {
    if (segment.isWordLike) out.push(segment.segment);
  }
  return out;
}

const SEEDS = Uint32Array.from({ length: PERMUTATIONS }, (_, i) => fmix32(Math.imul(i + 1, 0x9e3779b9) ^ 0x5bd1e995));

/** The distinct hashed word 3-shingles of a text (fewer than 3 words: one shingle of them all; none: empty). */
export function shingles(text: string, language: string): Set<number> {
  const ws = words(text, language);
  const out = new Set<number>();
  if (ws.length === 0) return out;
  if (ws.length < SHINGLE_WORDS) {
    out.add(fnv1a(ws.join(" ")));
    return out;
  }
  for (let i = 0; i + SHINGLE_WORDS <= ws.length; i++) out.add(fnv1aJoined(ws, " ", i, i + SHINGLE_WORDS));
  return out;
}

/** The MinHash signature of a shingle set (null for an empty set). */
export function minhash(set: ReadonlySet<number>): Uint32Array | null {
  if (set.size === 0) return null;
  // fmix32(shingle ^ seed), inlined and kept as signed 32-bit values shifted by 2³¹ (order-preserving), so that the
  // hot loop stays in small integers (calling fmix32, whose result is unsigned, made the whole review a fifth
  // slower); converted back to the unsigned hashes at the end. The test checks the signature against fmix32.
  const min = new Int32Array(PERMUTATIONS).fill(0x7fffffff);
  for (const shingle of set) {
    for (let i = 0; i < PERMUTATIONS; i++) {
      let h = shingle ^ SEEDS[i]!;
      h ^= h >>> 16;
      h = Math.imul(h, 0x85ebca6b);
      h ^= h >>> 13;
      h = Math.imul(h, 0xc2b2ae35);
      h ^= (h >>> 16) ^ 0x80000000;
      if (h < min[i]!) min[i] = h;
    }
  }
  const signature = new Uint32Array(PERMUTATIONS);
  for (let i = 0; i < PERMUTATIONS; i++) signature[i] = (min[i]! ^ 0x80000000) >>> 0;
  return signature;
}

export function estimateJaccard(a: Uint32Array, b: Uint32Array): number {
  let same = 0;
  for (let i = 0; i < a.length; i++) if (a[i] === b[i]) same++;
  return same / a.length;
}

/** Exact Jaccard of two sets (for tests and calibration). */
export function jaccard(a: ReadonlySet<number>, b: ReadonlySet<number>): number {
  if (a.size === 0 && b.size === 0) return 1;
  let inter = 0;
  for (const x of a) if (b.has(x)) inter++;
  return inter / (a.size + b.size - inter);
}

/** The text a dialogue is compared on: its turns, in order (a series: every session's). */
export function dialogueText(record: Pick<DialogueRecord, "turns" | "sessions">): string {
  return (record.sessions ?? [record]).flatMap((session) => session.turns.map((turn) => turn.text)).join("\n");
}

export interface NearDuplicateMatch {
  id: string;
  jaccard: number;
}

export class NearDuplicateIndex {
  private readonly signatures: Uint32Array[] = [];
  private readonly ids: string[] = [];
  private readonly bands: Map<number, number[]>[] = Array.from({ length: BANDS }, () => new Map<number, number[]>());

  constructor(readonly threshold = DEFAULT_JACCARD_THRESHOLD) {}

  get size(): number {
    return this.ids.length;
  }

  private bandKeys(signature: Uint32Array): number[] {
    const keys: number[] = [];
    for (let band = 0; band < BANDS; band++) {
      let h = 0x811c9dc5;
      for (let r = 0; r < ROWS; r++) h = fmix32(h ^ signature[band * ROWS + r]!) ^ Math.imul(h, 0x01000193);
      // 32 bits of key plus 21 more from the first row: collisions only add candidates, which are then judged
      keys.push((h >>> 0) * 2 ** 21 + (signature[band * ROWS]! & 0x1fffff));
    }
    return keys;
  }

  /** The most similar indexed dialogue at or above the threshold, or null. */
  findSimilar(text: string, language: string): NearDuplicateMatch | null {
    const signature = minhash(shingles(text, language));
    return signature ? this.match(signature) : null;
  }

  private match(signature: Uint32Array): NearDuplicateMatch | null {
    const keys = this.bandKeys(signature);
    const seen = new Set<number>();
    let best: NearDuplicateMatch | null = null;
    keys.forEach((key, band) => {
      for (const candidate of this.bands[band]!.get(key) ?? []) {
        if (seen.has(candidate)) continue;
        seen.add(candidate);
        const j = estimateJaccard(signature, this.signatures[candidate]!);
        if (j >= this.threshold && (!best || j > best.jaccard)) best = { id: this.ids[candidate]!, jaccard: j };
      }
    });
    return best;
  }

  /** Indexes a dialogue (an empty text is not indexed). */
  add(id: string, text: string, language: string): void {
    const signature = minhash(shingles(text, language));
    if (signature) this.insert(id, signature);
  }

  private insert(id: string, signature: Uint32Array): void {
    const position = this.ids.length;
    this.ids.push(id);
    this.signatures.push(signature);
    this.bandKeys(signature).forEach((key, band) => {
      const bucket = this.bands[band]!.get(key);
      if (bucket) bucket.push(position);
      else this.bands[band]!.set(key, [position]);
    });
  }

  /**
   * The run's decision for one finished record: an accepted dialogue too similar to one already indexed comes
   * back rejected with a `near_duplicate` reason; any other accepted dialogue is indexed and returned as is.
   * Rejected records pass through unindexed.
   */
  review(record: DialogueRecord): DialogueRecord {
    if (record.status !== "accepted") return record;
    const signature = minhash(shingles(dialogueText(record), record.language));
    if (!signature) return record;
    const similar = this.match(signature);
    if (similar) {
      return {
        ...record,
        status: "rejected",
        rejection_reasons: [
          {
            check: NEAR_DUPLICATE_CHECK,
            detail: `near-duplicate of an earlier dialogue: similar to ${similar.id} (J≈${similar.jaccard.toFixed(2)})`,
          },
        ],
      };
    }
    this.insert(record.id, signature);
    return record;
  }

  /** Rebuilds the index from the records of an output file (accepted ones only), in file order. */
  static fromRecords(records: Iterable<DialogueRecord>, threshold = DEFAULT_JACCARD_THRESHOLD): NearDuplicateIndex {
    const index = new NearDuplicateIndex(threshold);
    for (const record of records)
      if (record.status === "accepted") index.add(record.id, dialogueText(record), record.language);
    return index;
  }
}
