/**
 * Train / validation / test splits (`--splits 0.8,0.1,0.1`) that are persona-disjoint: no English source persona
 * (the persona a speaker was rewritten from, whatever the language) is in two splits, so a model is tested on
 * people it has not seen. Deterministic from the seed.
 *
 * Personas, not dialogues, are dealt to the splits: a dialogue has two personas, and persona pairs are drawn at
 * random, so in a run of any size the personas form one connected web. A dialogue whose two personas land in
 * different splits can go in neither; it is left out (it stays in the journal, and the card says how many).
 * To leave out few, each smaller split grows like a crystal: it takes the persona with the most dialogues with
 * personas it already holds (ties: the persona whose dialogues best fill the split's shortfall per language ×
 * speech event, then a seeded order), and jumps to a fresh persona the same way when no persona connects. The
 * largest split takes the personas left. Then every split is trimmed to the requested shares of the kept
 * dialogues (largest remainder, so each split is within one dialogue of its share), dropping first from the
 * language × speech event groups the split over-represents. With few dialogues per persona (components of one
 * or two dialogues) nearly nothing is left out and each group spreads by the shares; with many dialogues per
 * persona, a persona-disjoint split costs dialogues whatever the method, and the card reports the cost.
 */
import type { DialogueRecord } from "../../lib/records/schema.js";
import { createRng, hashSeed } from "../../lib/random.js";
import { contentHash } from "./run-config.js";

export const SPLIT_NAMES = { 2: ["train", "test"], 3: ["train", "validation", "test"] } as const;
export type SplitName = "train" | "validation" | "test";

export interface SplitPlan {
  /** the splits in order, each with the ids of its dialogues (in the order of the input) */
  splits: { name: SplitName; share: number; ids: string[] }[];
  /** dialogues in no split: their personas fell into different splits, or trimming to the shares dropped them */
  leftOut: string[];
}

/** The key of a source persona: its normalised sentences (a speaker without any is a persona of its own). */
export function personaKey(record: DialogueRecord, speaker: "A" | "B"): string {
  const sentences = record.personas.find((p) => p.speaker === speaker)?.source_sentences ?? [];
  const norm = sentences.map((s) => s.trim().toLowerCase().replace(/\s+/g, " ")).filter(Boolean);
  return norm.length ? contentHash(norm.join("\n")) : `none:${record.id}:${speaker}`;
}

const stratumOf = (record: DialogueRecord) => `${record.language}\u001f${record.speech_event.id}`;

/** Largest-remainder apportionment of `total` by `shares` (which sum to 1). */
export function apportion(total: number, shares: readonly number[]): number[] {
  const exact = shares.map((s) => s * total);
  const counts = exact.map(Math.floor);
  let rest = total - counts.reduce((a, b) => a + b, 0);
  const order = exact.map((x, i) => [x - Math.floor(x), i] as const).sort((a, b) => b[0] - a[0] || a[1] - b[1]);
  for (const [, i] of order) {
    if (rest <= 0) break;
    counts[i]!++;
    rest--;
  }
  return counts;
}

/** how many of the best-connected personas the stratum tie-break compares (bounds the time on a large web) */
const TIE_CANDIDATES = 64;

interface Graph {
  personas: number;
  /** per dialogue: its two persona indices and its stratum index */
  ends: [number, number][];
  strata: number[];
  strataCount: number;
  /** per persona: the dialogues it is in */
  dialoguesOf: number[][];
}

function buildGraph(records: readonly DialogueRecord[]): Graph {
  const personaIndex = new Map<string, number>();
  const stratumIndex = new Map<string, number>();
  const index = (map: Map<string, number>, key: string) => {
    let i = map.get(key);
    if (i === undefined) map.set(key, (i = map.size));
    return i;
  };
  const ends = records.map(
    (r) => [index(personaIndex, personaKey(r, "A")), index(personaIndex, personaKey(r, "B"))] as [number, number],
  );
  const strata = records.map((r) => index(stratumIndex, stratumOf(r)));
  const dialoguesOf: number[][] = Array.from({ length: personaIndex.size }, () => []);
  ends.forEach(([a, b], d) => {
    dialoguesOf[a]!.push(d);
    if (b !== a) dialoguesOf[b]!.push(d);
  });
  return { personas: personaIndex.size, ends, strata, strataCount: stratumIndex.size, dialoguesOf };
}

/** One dealing of the personas with the given dialogue targets for the smaller splits. */
function deal(
  graph: Graph,
  shares: readonly number[],
  rest: number,
  targets: readonly number[],
  rank: readonly number[],
  byStratum: readonly number[][],
  strataTotals: readonly number[],
) {
  const owner = new Array<number>(graph.personas).fill(-1);
  const other = (d: number, p: number) => (graph.ends[d]![0] === p ? graph.ends[d]![1] : graph.ends[d]![0]);
  const byRank = [...Array(graph.personas).keys()].sort((a, b) => rank[a]! - rank[b]!);
  for (let s = 0; s < shares.length; s++) {
    if (s === rest) continue;
    const inStratum = new Array<number>(graph.strataCount).fill(0);
    const gain = new Map<number, number>(); // frontier: unassigned persona → dialogues with this split's personas
    let internal = 0;
    const next = new Array<number>(graph.strataCount).fill(0);
    // how much a persona's dialogues fill this split's shortfall per stratum (the tie-break and the jump)
    const fill = (p: number) => {
      let score = 0;
      for (const d of graph.dialoguesOf[p]!) {
        const q = other(d, p);
        if (owner[q] !== -1 && owner[q] !== s) continue;
        const k = graph.strata[d]!;
        score += shares[s]! * strataTotals[k]! - inStratum[k]!;
      }
      return score;
    };
    while (internal < targets[s]!) {
      let best = -1;
      let bestFill = -Infinity;
      let bestGain = 0;
      for (const g of gain.values()) bestGain = Math.max(bestGain, g);
      let looked = 0;
      for (const [p, g] of gain) {
        if (g < bestGain) continue;
        if (++looked > TIE_CANDIDATES) break;
        const f = fill(p);
        if (f > bestFill || (f === bestFill && rank[p]! < rank[best]!)) {
          best = p;
          bestFill = f;
        }
      }
      if (best < 0) {
        // a fresh start: an open dialogue of the stratum this split is shortest of (seeded order within it)
        let stratum = -1;
        let shortfall = -Infinity;
        for (let k = 0; k < graph.strataCount; k++) {
          if (next[k]! >= byStratum[k]!.length) continue;
          const short = shares[s]! * strataTotals[k]! - inStratum[k]!;
          if (short > shortfall) [stratum, shortfall] = [k, short];
        }
        if (stratum >= 0) {
          const list = byStratum[stratum]!;
          while (next[stratum]! < list.length) {
            const [a, b] = graph.ends[list[next[stratum]!]!]!;
            if (owner[a] === -1 && owner[b] === -1) {
              best = a;
              break;
            }
            next[stratum]!++; // a dialogue with an assigned persona never opens again
          }
        }
        if (best < 0) best = byRank.find((p) => owner[p] === -1) ?? -1;
      }
      if (best < 0) break; // no persona left
      owner[best] = s;
      gain.delete(best);
      for (const d of graph.dialoguesOf[best]!) {
        const q = other(d, best);
        if (q === best || owner[q] === s) {
          internal++;
          inStratum[graph.strata[d]!]!++;
        } else if (owner[q] === -1) gain.set(q, (gain.get(q) ?? 0) + 1);
      }
    }
  }
  for (let p = 0; p < graph.personas; p++) if (owner[p] === -1) owner[p] = rest;
  // a dialogue belongs to the split that holds both its personas
  return graph.ends.map(([a, b]) => (owner[a] === owner[b] ? owner[a]! : -1));
}

/** Trims each split to the shares of the kept dialogues, dropping first from the strata it over-represents. */
function trim(graph: Graph, assignment: number[], shares: readonly number[], rank: readonly number[]): number[] {
  const members: number[][] = shares.map(() => []);
  assignment.forEach((s, d) => s >= 0 && members[s]!.push(d));
  const kept = members.map((m) => m.length);
  let total = kept.reduce((a, b) => a + b, 0);
  let sizes = apportion(total, shares);
  while (total > 0 && sizes.some((n, s) => n > kept[s]!)) sizes = apportion(--total, shares);
  const out = [...assignment];
  const strataTotals = new Array<number>(graph.strataCount).fill(0);
  for (const d of assignment.keys()) if (assignment[d]! >= 0) strataTotals[graph.strata[d]!]!++;
  members.forEach((list, s) => {
    const byStratum = new Map<number, number[]>();
    for (const d of list.sort((a, b) => rank[a]! - rank[b]!)) {
      const k = graph.strata[d]!;
      const group = byStratum.get(k);
      if (group) group.push(d);
      else byStratum.set(k, [d]);
    }
    for (let excess = list.length - sizes[s]!; excess > 0; excess--) {
      let worst = -1;
      let worstOver = -Infinity;
      for (const [k, ds] of byStratum) {
        const over = ds.length - shares[s]! * strataTotals[k]!;
        if (ds.length && (over > worstOver || (over === worstOver && k < worst))) {
          worst = k;
          worstOver = over;
        }
      }
      const dropped = byStratum.get(worst)!.pop()!;
      out[dropped] = -1;
    }
  });
  return out;
}

/**
 * Persona-disjoint splits of `records` by `shares` (two or three, summing to 1: train, [validation,] test),
 * deterministic from `seed`.
 */
export function planSplits(records: readonly DialogueRecord[], shares: readonly number[], seed: number): SplitPlan {
  const names = shares.length === 2 || shares.length === 3 ? SPLIT_NAMES[shares.length] : undefined;
  if (!names) throw new Error(`planSplits: 2 or 3 shares, got ${shares.length}`);
  const graph = buildGraph(records);
  const rng = createRng(hashSeed(seed, "splits"));
  const rank = rng
    .shuffle([...Array(graph.personas).keys()])
    .reduce((r, p, i) => ((r[p] = i), r), new Array<number>(graph.personas));
  const dialogueRank = rng
    .shuffle([...records.keys()])
    .reduce((r, d, i) => ((r[d] = i), r), new Array<number>(records.length));
  const strataTotals = new Array<number>(graph.strataCount).fill(0);
  for (const k of graph.strata) strataTotals[k]!++;
  // each stratum's dialogues in a seeded order (where a split starts afresh)
  const byStratum: number[][] = Array.from({ length: graph.strataCount }, () => []);
  for (const d of [...records.keys()].sort((a, b) => dialogueRank[a]! - dialogueRank[b]!))
    byStratum[graph.strata[d]!]!.push(d);
  const rest = shares.indexOf(Math.max(...shares));

  // the smaller splits' targets follow what the largest one keeps: a few rounds, the best kept
  let best: number[] = [];
  let bestKept = -1;
  let targets = shares.map((share) => share * records.length);
  for (let round = 0; round < 6; round++) {
    const assignment = trim(
      graph,
      deal(graph, shares, rest, targets, rank, byStratum, strataTotals),
      shares,
      dialogueRank,
    );
    const kept = assignment.filter((s) => s >= 0).length;
    if (kept > bestKept) {
      best = assignment;
      bestKept = kept;
    }
    const restKept = assignment.filter((s) => s === rest).length;
    const next = shares.map((share) => (share / shares[rest]!) * restKept);
    if (next.every((t, s) => Math.abs(t - targets[s]!) < 0.5)) break;
    targets = targets.map((t, s) => (t + next[s]!) / 2);
  }
  return {
    splits: names.map((name, s) => ({
      name,
      share: shares[s]!,
      ids: records.filter((_, d) => best[d] === s).map((r) => r.id),
    })),
    leftOut: records.filter((_, d) => best[d] === -1).map((r) => r.id),
  };
}
