import { describe, expect, it } from "vitest";
import { loadBuiltinPersonas } from "./records/personas.js";
import { loadSpeechEvents } from "./speech-events.js";
import {
  feistelPermutation,
  pairAt,
  planPersonaPairs,
  plannedPersonaPair,
  planRun,
  planSpeechEvents,
  quotaSequence,
} from "./plan.js";

const events = loadSpeechEvents();
const builtin = loadBuiltinPersonas();

describe("quota spread of speech events", () => {
  it("keeps every prefix within one dialogue of the exact quota (floor or ceiling)", () => {
    const weights = events.map((e) => e.weight);
    const total = weights.reduce((a, b) => a + b, 0);
    const sequence = quotaSequence(weights, 2000);
    const counts = new Array<number>(weights.length).fill(0);
    const outside: string[] = [];
    sequence.forEach((event, h) => {
      counts[event]!++;
      weights.forEach((w, i) => {
        const quota = ((h + 1) * w) / total;
        if (counts[i]! < Math.floor(quota + 1e-9) || counts[i]! > Math.ceil(quota - 1e-9))
          outside.push(`${h + 1}:${i}`);
      });
    });
    expect(outside).toEqual([]);
  });

  it("gives 1000 Spanish dialogues the weights' proportions, not a chance draw", () => {
    const ids = planSpeechEvents(events, 1000, 1, "es");
    const total = events.reduce((sum, e) => sum + e.weight, 0);
    for (const event of events) {
      const count = ids.filter((id) => id === event.id).length;
      expect(Math.abs(count - (1000 * event.weight) / total)).toBeLessThan(1);
    }
  });

  it("is house-monotone: a larger --n extends the smaller plan", () => {
    expect(planSpeechEvents(events, 1000, 3, "fr").slice(0, 6)).toEqual(planSpeechEvents(events, 6, 3, "fr"));
  });
});

describe("persona pairs", () => {
  it("maps pair indices to all unordered pairs", () => {
    const seen = new Set<string>();
    for (let t = 0; t < 1540; t++) {
      const [i, j] = pairAt(t);
      expect(i).toBeLessThan(j);
      expect(j).toBeLessThan(56);
      seen.add(`${i},${j}`);
    }
    expect(seen.size).toBe(1540);
  });

  it("permutes without repeats, for any size", () => {
    for (const size of [1, 2, 3, 5, 1540, 439_453]) {
      const permute = feistelPermutation(size, 42);
      const seen = new Uint8Array(size);
      let repeats = 0;
      for (let i = 0; i < size; i++) {
        const x = permute(i);
        if (seen[x]) repeats++;
        seen[x] = 1;
      }
      expect(repeats).toBe(0);
    }
  });

  it("gives one dialogue, alone, the pair the whole plan gives it (across cycles too)", () => {
    const plan = planPersonaPairs(builtin.length, 1540 + 10, 7, "it");
    for (const index of [0, 1, 2, 500, 1539, 1540, 1549]) {
      expect(plannedPersonaPair(builtin.length, 7, "it", index)).toEqual(plan[index]);
    }
    expect(() => plannedPersonaPair(1, 7, "it", 0)).toThrow(/at least 2/);
  });

  it("repeats no pair within a language until the pool's 1540 pairs are used up", () => {
    const pairs = planPersonaPairs(builtin.length, 1540 + 10, 1, "es");
    const key = ([a, b]: [number, number]) => (a < b ? `${a},${b}` : `${b},${a}`);
    expect(new Set(pairs.slice(0, 1540).map(key)).size).toBe(1540);
    expect(pairs.every(([a, b]) => a !== b)).toBe(true);
    // both speakers' slots get each persona about equally often
    const first = new Array<number>(builtin.length).fill(0);
    for (const [a] of pairs.slice(0, 1540)) first[a]!++;
    expect(Math.max(...first)).toBeLessThan(45);
  });

  it("spreads pairs differently per language and seed", () => {
    expect(planPersonaPairs(56, 5, 1, "es")).not.toEqual(planPersonaPairs(56, 5, 1, "fr"));
    expect(planPersonaPairs(56, 5, 1, "es")).not.toEqual(planPersonaPairs(56, 5, 2, "es"));
  });
});

describe("planRun", () => {
  it("interleaves languages, carries each job's event and personas, and plans identically on a rerun", () => {
    const options = { languages: ["es", "fr"], n: 3, seed: 9, personas: builtin, events };
    const jobs = planRun(options);
    expect(jobs.map((j) => j.id)).toEqual([
      "es-9-00000",
      "fr-9-00000",
      "es-9-00001",
      "fr-9-00001",
      "es-9-00002",
      "fr-9-00002",
    ]);
    expect(planRun(options)).toEqual(jobs);
    for (const job of jobs) {
      expect(job.sourcePersonas![0]).not.toEqual(job.sourcePersonas![1]);
      expect(events.map((e) => e.id)).toContain(job.speechEventId);
    }
    // growing --n keeps the jobs already planned
    const grown = planRun({ ...options, n: 50 });
    expect(grown.filter((j) => j.index < 3).sort((a, b) => a.id.localeCompare(b.id))).toEqual(
      [...jobs].sort((a, b) => a.id.localeCompare(b.id)),
    );
  });

  it("uses the --speech-event override for every dialogue", () => {
    const jobs = planRun({ languages: ["es"], n: 4, seed: 1, personas: builtin, events, speechEventId: "gossip" });
    expect(jobs.every((j) => j.speechEventId === "gossip")).toBe(true);
  });
});
