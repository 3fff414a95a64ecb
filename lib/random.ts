/**
 * Deterministic, seeded randomness shared by the whole project.
 *
 * Every random choice (speech event, persona pair, demonstration, ...) goes
 * through an `Rng` built from a seed, so a run can be reproduced exactly from
 * its seed. Seeds for sub-tasks are derived with `hashSeed(runSeed, "persona", i)`
 * so that adding one more random draw in one place does not shift every other
 * choice in the run.
 */

export interface Rng {
  /** Uniform float in [0, 1). */
  next(): number;
  /** Uniform integer in [min, max], both inclusive. */
  int(min: number, max: number): number;
  /** One element, uniformly. Throws on an empty array. */
  pick<T>(items: readonly T[]): T;
  /** One element with probability proportional to `weight(item)`. */
  pickWeighted<T>(items: readonly T[], weight: (t: T) => number): T;
  /** A shuffled copy (Fisher–Yates); the input is not modified. */
  shuffle<T>(items: readonly T[]): T[];
}

const SEPARATOR = "\u001f"; // unit separator: cannot collide with ordinary text parts

const FNV_OFFSET = 0x811c9dc5;

/** FNV-1a's state after `text`'s code units, from state `h`. */
function fnvUpdate(h: number, text: string): number {
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h;
}

/** 32-bit FNV-1a hash of a string. */
export function fnv1a(text: string): number {
  return fnvUpdate(FNV_OFFSET, text) >>> 0;
}

/** `fnv1a(parts.slice(start, end).join(separator))`, without building the string. */
export function fnv1aJoined(parts: readonly string[], separator: string, start = 0, end = parts.length): number {
  let h = FNV_OFFSET;
  for (let k = start; k < end; k++) h = fnvUpdate(k > start ? fnvUpdate(h, separator) : h, parts[k]!);
  return h >>> 0;
}

/** murmur3's 32-bit finaliser: an avalanche, so that close inputs give well-spread outputs. */
export function fmix32(x: number): number {
  let h = x >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * Stable 32-bit FNV-1a hash of the parts joined with a separator, finished with
 * a murmur3-style avalanche so that similar inputs give well-spread seeds.
 * `hashSeed("a", 1)` differs from `hashSeed("a1")` and from `hashSeed(1, "a")`.
 */
export function hashSeed(...parts: (string | number)[]): number {
  return fmix32(fnv1a(parts.map((p) => (typeof p === "number" ? `#${p}` : `s${p}`)).join(SEPARATOR)));
}

/**
 * A seeded generator (mulberry32). The seed is coerced to an unsigned 32-bit integer. A class, not an object of
 * closures: the run makes several per turn, and closures cost an allocation each (and, under tsx, a renaming).
 */
class Mulberry32 implements Rng {
  private state: number;

  constructor(seed: number) {
    this.state = Math.trunc(seed) >>> 0;
  }

  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  int(min: number, max: number): number {
    if (!Number.isInteger(min) || !Number.isInteger(max)) {
      throw new Error(`rng.int: bounds must be integers, got min=${min} max=${max}`);
    }
    if (min > max) {
      throw new Error(`rng.int: min (${min}) must be <= max (${max})`);
    }
    return min + Math.floor(this.next() * (max - min + 1));
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) {
      throw new Error("rng.pick: cannot pick from an empty array");
    }
    return items[Math.floor(this.next() * items.length)] as T;
  }

  pickWeighted<T>(items: readonly T[], weight: (t: T) => number): T {
    if (items.length === 0) {
      throw new Error("rng.pickWeighted: cannot pick from an empty array");
    }
    const weights = items.map((item, i) => {
      const w = weight(item);
      if (!Number.isFinite(w) || w < 0) {
        throw new Error(`rng.pickWeighted: weight of item ${i} must be a finite number >= 0, got ${String(w)}`);
      }
      return w;
    });
    const total = weights.reduce((a, b) => a + b, 0);
    if (!(total > 0)) {
      throw new Error(`rng.pickWeighted: total weight must be > 0, got ${total}`);
    }
    let r = this.next() * total;
    let lastPositive = -1;
    for (let i = 0; i < items.length; i++) {
      const w = weights[i] as number;
      if (w <= 0) continue;
      lastPositive = i;
      if (r < w) return items[i] as T;
      r -= w;
    }
    // Floating-point leftovers: fall back to the last item with positive weight.
    return items[lastPositive] as T;
  }

  shuffle<T>(items: readonly T[]): T[] {
    const out = items.slice();
    for (let i = out.length - 1; i > 0; i--) {
      const j = Math.floor(this.next() * (i + 1));
      const tmp = out[i] as T;
      out[i] = out[j] as T;
      out[j] = tmp;
    }
    return out;
  }
}

export function createRng(seed: number): Rng {
  if (!Number.isFinite(seed)) {
    throw new Error(`createRng: seed must be a finite number, got ${String(seed)}`);
  }
  return new Mulberry32(seed);
}

/**
 * The sampling seed of one model call: the run's seed mixed with the call's prompt. A seeded run is then
 * reproducible whatever order its calls run in, and no two prompts share one sampling stream — with one seed for
 * every call, a model whose next-token odds hardly depend on the context (the tiny random-weight test models)
 * writes the same answer to every prompt, and a retry repeats the failed answer.
 */
export function callSeed(seed: number | undefined, prompt: unknown): number | undefined {
  return seed === undefined ? undefined : hashSeed(seed, JSON.stringify(prompt));
}
