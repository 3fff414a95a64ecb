import { describe, expect, it } from "vitest";
import { createRng, fnv1a, fnv1aJoined, hashSeed } from "./random.js";

describe("hashSeed", () => {
  it("is stable and returns an unsigned 32-bit integer", () => {
    const a = hashSeed("run", 42, "persona");
    expect(a).toBe(hashSeed("run", 42, "persona"));
    expect(Number.isInteger(a)).toBe(true);
    expect(a).toBeGreaterThanOrEqual(0);
    expect(a).toBeLessThan(2 ** 32);
  });

  it("distinguishes parts, their order and their types", () => {
    const seeds = new Set([
      hashSeed("a", 1),
      hashSeed("a1"),
      hashSeed(1, "a"),
      hashSeed("a", "1"),
      hashSeed("a"),
      hashSeed(),
    ]);
    expect(seeds.size).toBe(6);
  });
});

describe("fnv1a", () => {
  it("is the published FNV-1a (32-bit offset basis and prime)", () => {
    expect(fnv1a("")).toBe(0x811c9dc5);
    expect(fnv1a("a")).toBe(0xe40c292c);
    expect(fnv1a("foobar")).toBe(0xbf9cf968);
  });

  it("fnv1aJoined hashes a slice of parts as if joined, without the string", () => {
    const parts = ["hola", "qué", "tal", "", "ñandú"];
    for (const [start, end] of [
      [0, 5],
      [1, 4],
      [2, 3],
      [3, 3],
      [0, 0],
    ] as const)
      expect(fnv1aJoined(parts, " ", start, end)).toBe(fnv1a(parts.slice(start, end).join(" ")));
    expect(fnv1aJoined(parts, "--")).toBe(fnv1a(parts.join("--")));
  });
});

describe("createRng", () => {
  const take = (seed: number, n: number) => {
    const rng = createRng(seed);
    return Array.from({ length: n }, () => rng.next());
  };

  it("same seed gives the same sequence", () => {
    expect(take(123, 50)).toEqual(take(123, 50));
  });

  it("different seeds give different sequences", () => {
    expect(take(1, 20)).not.toEqual(take(2, 20));
    expect(take(hashSeed("x"), 20)).not.toEqual(take(hashSeed("y"), 20));
  });

  it("next() stays in [0, 1)", () => {
    for (const x of take(7, 10_000)) {
      expect(x).toBeGreaterThanOrEqual(0);
      expect(x).toBeLessThan(1);
    }
  });

  it("rejects a non-finite seed", () => {
    expect(() => createRng(Number.NaN)).toThrow(/finite/);
  });

  it("int(min, max) is inclusive and covers every value", () => {
    const rng = createRng(99);
    const seen = new Set<number>();
    for (let i = 0; i < 2_000; i++) {
      const v = rng.int(-2, 3);
      expect(Number.isInteger(v)).toBe(true);
      expect(v).toBeGreaterThanOrEqual(-2);
      expect(v).toBeLessThanOrEqual(3);
      seen.add(v);
    }
    expect([...seen].sort((a, b) => a - b)).toEqual([-2, -1, 0, 1, 2, 3]);
    expect(rng.int(5, 5)).toBe(5);
  });

  it("int rejects bad bounds", () => {
    const rng = createRng(1);
    expect(() => rng.int(3, 1)).toThrow(/min \(3\) must be <= max \(1\)/);
    expect(() => rng.int(0.5, 2)).toThrow(/integers/);
  });

  it("pick returns elements of the array and throws on empty input", () => {
    const rng = createRng(5);
    const items = ["a", "b", "c"] as const;
    const seen = new Set<string>();
    for (let i = 0; i < 300; i++) seen.add(rng.pick(items));
    expect(seen).toEqual(new Set(items));
    expect(() => rng.pick([])).toThrow(/empty array/);
  });

  it("pickWeighted frequencies are roughly proportional to the weights", () => {
    const rng = createRng(2024);
    const items = [
      { id: "a", w: 1 },
      { id: "b", w: 2 },
      { id: "c", w: 7 },
      { id: "never", w: 0 },
    ];
    const counts: Record<string, number> = { a: 0, b: 0, c: 0, never: 0 };
    const n = 10_000;
    for (let i = 0; i < n; i++) {
      const it = rng.pickWeighted(items, (x) => x.w);
      counts[it.id] = (counts[it.id] ?? 0) + 1;
    }
    expect(counts.never).toBe(0);
    expect((counts.a ?? 0) / n).toBeCloseTo(0.1, 1);
    expect((counts.b ?? 0) / n).toBeCloseTo(0.2, 1);
    expect((counts.c ?? 0) / n).toBeCloseTo(0.7, 1);
    expect(Math.abs((counts.c ?? 0) / n - 0.7)).toBeLessThan(0.03);
  });

  it("pickWeighted throws on empty input, non-positive total or bad weights", () => {
    const rng = createRng(1);
    expect(() => rng.pickWeighted([], () => 1)).toThrow(/empty array/);
    expect(() => rng.pickWeighted([1, 2], () => 0)).toThrow(/total weight must be > 0/);
    expect(() => rng.pickWeighted([1, 2], () => -1)).toThrow(/>= 0/);
    expect(() => rng.pickWeighted([1], () => Number.NaN)).toThrow(/finite/);
  });

  it("shuffle returns a permuted copy and leaves the input alone", () => {
    const input = Array.from({ length: 20 }, (_, i) => i);
    const frozen = Object.freeze(input.slice());
    const out = createRng(3).shuffle(frozen);
    expect(out).not.toBe(frozen);
    expect([...out].sort((a, b) => a - b)).toEqual(input);
    expect(out).not.toEqual(input);
    expect(createRng(3).shuffle(frozen)).toEqual(out);
    expect(createRng(3).shuffle([])).toEqual([]);
  });
});
