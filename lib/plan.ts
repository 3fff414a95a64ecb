/**
 * Job planning for large runs: which speech event and which persona pair each dialogue gets, by quota rather
 * than by chance, and reproducibly (the same flags plan the same jobs, so a rerun resumes the same plan).
 *
 * - Speech events: per language, a sequence built with Balinski & Young's quota method (1975): seat h+1 goes to
 *   the event with the largest weight / (count + 1) among those still below their upper quota (h+1)·w/W, ties
 *   broken by a seeded order. Every prefix of the sequence is then proportional to the weights within one
 *   dialogue per event (each count is the floor or the ceiling of its exact quota, as with largest-remainder
 *   rounding), and the sequence is house-monotone: the plan for --n 1000 starts with the plan for --n 6, so
 *   growing --n (or an interrupted run) keeps the spread exact instead of re-dealing the first dialogues.
 * - Persona pairs: per language, all unordered pairs of the pool in a seeded pseudo-random order (a keyed
 *   Feistel permutation with cycle walking: O(1) memory whatever the pool size), so no pair repeats within a
 *   language until all m·(m-1)/2 pairs are used (then a new cycle starts with another key). Which persona
 *   speaks first is a seeded coin per dialogue.
 * - Order: jobs are interleaved across languages (es-0, fr-0, es-1, fr-1, …) so that a partial run covers every
 *   language evenly.
 * - One dialogue's own plan (planDialogue): its speech event and turn target, drawn from its seed; the graph's
 *   selectSpeechEvent node draws it, and a run's trace labels and the evals name the same event upfront.
 */
import { createRng, fmix32, hashSeed } from "./random.js";
import type { PersonaPool } from "./records/personas.js";
import { loadSpeechEvents, drawSpeechEvent, type SpeechEvent } from "./speech-events.js";

/** A dialogue's id: its language, its run's seed and its index in the run (es-1-00007). */
export function dialogueIdFor(language: string, seed: number, index: number): string {
  return `${language}-${seed}-${String(index).padStart(5, "0")}`;
}

/**
 * The dialogue's plan, without an LLM: which speech event (seeded weighted pick, or the one the input names)
 * and how many turns to aim at (seeded, within the turn budget). Pure: the same seed gives the same plan,
 * which is why finalize may call it too when a dialogue was rejected before reaching selectSpeechEvent.
 */
export function planDialogue(
  dialogue: { seed: number; language: string; index: number; speechEventId?: string },
  turns: { turnsMin: number; turnsMax: number },
) {
  const rng = createRng(hashSeed(dialogue.seed, dialogue.language, dialogue.index, "plan"));
  const event = drawSpeechEvent(loadSpeechEvents(), rng, dialogue.speechEventId);
  const targetTurns = rng.int(turns.turnsMin, turns.turnsMax);
  return {
    speechEvent: { id: event.id, name: event.name, category: event.category, description: event.description },
    targetTurns,
  };
}

/** One dialogue to write: everything that makes it reproducible. */
export interface DialogueJob {
  id: string;
  language: string;
  index: number;
  seed: number;
  sourcePersonas?: [string[], string[]];
  speechEventId?: string;
  /** a multi-session series of this many sessions (absent: one dialogue) */
  sessions?: number;
}

/** Bumped when the planning changes what a given (seed, language, index) gets: part of the run configuration. */
export const PLANNER_VERSION = 1;

/**
 * The first `n` entries of the quota-method sequence of `weights` (indices into weights). `tieBreak` orders
 * equal priorities (lower rank first).
 */
export function quotaSequence(
  weights: readonly number[],
  n: number,
  tieBreak: readonly number[] = weights.map((_, i) => i),
): number[] {
  const total = weights.reduce((a, b) => a + b, 0);
  if (!(total > 0) || weights.some((w) => !(w >= 0)))
    throw new Error("quotaSequence: weights must be >= 0 with a positive sum");
  const counts = new Array<number>(weights.length).fill(0);
  const out: number[] = [];
  const EPS = 1e-9;
  for (let h = 0; h < n; h++) {
    let best = -1;
    let bestPriority = -1;
    for (let i = 0; i < weights.length; i++) {
      const w = weights[i]!;
      if (w <= 0) continue;
      // upper quota: only an event whose count is below its exact quota for h+1 seats may take the seat
      if (counts[i]! >= ((h + 1) * w) / total - EPS) continue;
      const priority = w / (counts[i]! + 1);
      if (
        priority > bestPriority + EPS ||
        (Math.abs(priority - bestPriority) <= EPS && tieBreak[i]! < tieBreak[best]!)
      ) {
        best = i;
        bestPriority = priority;
      }
    }
    if (best < 0) throw new Error("quotaSequence: no eligible item (bug)");
    counts[best]!++;
    out.push(best);
  }
  return out;
}

/** Speech event ids for dialogues 0..n-1 of one language. */
export function planSpeechEvents(events: readonly SpeechEvent[], n: number, seed: number, language: string): string[] {
  const rng = createRng(hashSeed(seed, language, "speech-event-ties"));
  const order = rng.shuffle(events.map((_, i) => i));
  const rank = new Array<number>(events.length);
  order.forEach((eventIndex, position) => (rank[eventIndex] = position));
  return quotaSequence(
    events.map((e) => e.weight),
    n,
    rank,
  ).map((i) => events[i]!.id);
}

/**
 * A keyed pseudo-random permutation of [0, size): a balanced Feistel network on the smallest even power of two
 * that holds `size`, with cycle walking for the values beyond it. Bijective, so `permute(i)` for i < size never
 * repeats.
 */
export function feistelPermutation(size: number, key: number): (index: number) => number {
  if (!Number.isSafeInteger(size) || size < 1) throw new Error(`feistelPermutation: bad size ${size}`);
  let bits = 2;
  while (2 ** bits < size) bits += 2;
  const half = bits / 2;
  const mask = 2 ** half - 1;
  const keys = [0, 1, 2, 3].map((round) => fmix32(key ^ Math.imul(round + 1, 0x9e3779b9)));
  const encrypt = (x: number): number => {
    let left = Math.floor(x / 2 ** half);
    let right = x % 2 ** half;
    for (const k of keys) {
      const next = (left ^ (fmix32(right ^ k) & mask)) >>> 0;
      left = right;
      right = next & mask;
    }
    return left * 2 ** half + right;
  };
  return (index: number) => {
    if (!Number.isInteger(index) || index < 0 || index >= size)
      throw new RangeError(`feistelPermutation: index ${index} outside [0, ${size})`);
    let x = encrypt(index);
    while (x >= size) x = encrypt(x);
    return x;
  };
}

/** The t-th unordered pair (i < j) in colexicographic order: t = j·(j-1)/2 + i. */
export function pairAt(t: number): [number, number] {
  let j = Math.floor((1 + Math.sqrt(1 + 8 * t)) / 2);
  while ((j * (j - 1)) / 2 > t) j--;
  while (((j + 1) * j) / 2 <= t) j++;
  return [t - (j * (j - 1)) / 2, j];
}

/** Persona index pairs [A, B] for dialogues 0..n-1 of one language: no unordered pair repeats within a cycle. */
export function planPersonaPairs(poolSize: number, n: number, seed: number, language: string): [number, number][] {
  if (poolSize < 2) throw new Error(`planPersonaPairs: need at least 2 personas, got ${poolSize}`);
  const pairs = (poolSize * (poolSize - 1)) / 2;
  const out: [number, number][] = [];
  let permute: ((index: number) => number) | undefined;
  for (let k = 0; k < n; k++) {
    if (k % pairs === 0) permute = pairPermutation(pairs, seed, language, Math.floor(k / pairs));
    out.push(orderedPair(permute!, pairs, seed, language, k));
  }
  return out;
}

/**
 * The persona index pair [A, B] that a run planned with `seed` gives dialogue `index` of `language`: the same pair
 * planPersonaPairs (and so the CLI) plans, computed alone, so a dialogue run by itself (Studio, with no
 * personas in its input) gets the personas of the CLI's dialogue of the same id.
 */
export function plannedPersonaPair(poolSize: number, seed: number, language: string, index: number): [number, number] {
  if (poolSize < 2) throw new Error(`plannedPersonaPair: need at least 2 personas, got ${poolSize}`);
  const pairs = (poolSize * (poolSize - 1)) / 2;
  return orderedPair(pairPermutation(pairs, seed, language, Math.floor(index / pairs)), pairs, seed, language, index);
}

function pairPermutation(pairs: number, seed: number, language: string, cycle: number): (index: number) => number {
  return feistelPermutation(pairs, hashSeed(seed, language, "persona-pairs", cycle));
}

function orderedPair(
  permute: (index: number) => number,
  pairs: number,
  seed: number,
  language: string,
  k: number,
): [number, number] {
  const [i, j] = pairAt(permute(k % pairs));
  const swap = createRng(hashSeed(seed, language, k, "persona-order")).next() < 0.5;
  return swap ? [j, i] : [i, j];
}

export interface PlanOptions {
  languages: readonly string[];
  n: number;
  seed: number;
  /** the English source personas (the built-in set when the user gave none) */
  personas: PersonaPool;
  events: readonly SpeechEvent[];
  /** one speech event for every dialogue (--speech-event) instead of the quota */
  speechEventId?: string | undefined;
  /** sessions per series (--sessions); 1 or absent: single dialogues */
  sessions?: number | undefined;
}

export function planRun(options: PlanOptions): DialogueJob[] {
  const perLanguage = options.languages.map((language) => {
    const events = options.speechEventId ? null : planSpeechEvents(options.events, options.n, options.seed, language);
    const pairs = planPersonaPairs(options.personas.length, options.n, options.seed, language);
    return Array.from({ length: options.n }, (_, index): DialogueJob => {
      const [a, b] = pairs[index]!;
      return {
        id: dialogueIdFor(language, options.seed, index),
        language,
        index,
        seed: options.seed,
        sourcePersonas: [[...options.personas[a]!], [...options.personas[b]!]],
        speechEventId: options.speechEventId ?? events![index]!,
        ...(options.sessions && options.sessions > 1 ? { sessions: options.sessions } : {}),
      };
    });
  });
  const jobs: DialogueJob[] = [];
  for (let index = 0; index < options.n; index++) for (const list of perLanguage) jobs.push(list[index]!);
  return jobs;
}
