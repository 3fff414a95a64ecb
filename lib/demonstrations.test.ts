import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  DemonstrationError,
  loadDemonstrations,
  pickDemonstration,
  pickDemonstrationWithMatch,
  type Demonstration,
} from "./demonstrations.js";
import { createRng, hashSeed } from "./random.js";
import { loadBuiltinPersonas } from "./records/personas.js";
import { loadSpeechEvents } from "./speech-events.js";

const events = loadSpeechEvents();
const demos = loadDemonstrations(undefined, events);
const categoryOf = (id: string) => events.find((e) => e.id === id)?.category;

describe("data/demonstrations.en.json", () => {
  it("has at least 6 valid demonstrations with unique ids", () => {
    expect(demos.length).toBeGreaterThanOrEqual(6);
    expect(new Set(demos.map((d) => d.id)).size).toBe(demos.length);
  });

  it("illustrates several speech events from all three categories", () => {
    expect(new Set(demos.map((d) => d.speech_event)).size).toBeGreaterThanOrEqual(6);
    const categories = new Set(demos.map((d) => categoryOf(d.speech_event)));
    expect(categories).toEqual(new Set(["informal_superficial", "involving", "goal_directed"]));
  });

  it("has the PersonaChat form: 8-12 short turns, no labels, two 4-5 sentence personas", () => {
    for (const d of demos) {
      expect(d.turns.length).toBeGreaterThanOrEqual(8);
      expect(d.turns.length).toBeLessThanOrEqual(12);
      for (const t of d.turns) {
        expect(t.length, `${d.id}: ${t}`).toBeLessThan(160);
        const sentences = t.split(/(?<=[.!?])\s+/).filter(Boolean);
        expect(sentences.length, `${d.id}: ${t}`).toBeLessThanOrEqual(3);
      }
      for (const p of d.personas) {
        expect(p.length).toBeGreaterThanOrEqual(4);
        expect(p.length).toBeLessThanOrEqual(5);
      }
      expect(d.common_ground.length).toBeGreaterThan(80);
    }
  });

  it("does not reuse built-in pool personas (so a demo never mirrors the dialogue's own personas)", () => {
    const pool = new Set(loadBuiltinPersonas().map((p) => p.join("\n")));
    for (const d of demos) for (const p of d.personas) expect(pool.has(p.join("\n"))).toBe(false);
  });
});

describe("loadDemonstrations errors", () => {
  const dir = mkdtempSync(join(tmpdir(), "demos-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const base = demos[0] as Demonstration;

  const errorMessage = (content: unknown, withEvents = false): string => {
    const path = join(dir, `d-${Math.random().toString(36).slice(2)}.json`);
    writeFileSync(path, typeof content === "string" ? content : JSON.stringify(content));
    try {
      loadDemonstrations(path, withEvents ? events : undefined);
    } catch (e) {
      expect(e).toBeInstanceOf(DemonstrationError);
      const message = (e as Error).message;
      expect(message).not.toMatch(/\n/);
      expect(message).toContain(path);
      return message;
    }
    throw new Error("expected a DemonstrationError");
  };

  it("invalid JSON", () => {
    expect(errorMessage("{")).toMatch(/not valid JSON/);
  });

  it("speaker labels, too few turns, duplicate ids", () => {
    expect(
      errorMessage({ version: 1, demonstrations: [{ ...base, turns: ["A: hi", ...base.turns.slice(1)] }] }),
    ).toMatch(/speaker label/);
    expect(errorMessage({ version: 1, demonstrations: [{ ...base, turns: base.turns.slice(0, 4) }] })).toMatch(/turns/);
    expect(errorMessage({ version: 1, demonstrations: [base, base] })).toMatch(/duplicate id/);
  });

  it("unknown speech event when events are given", () => {
    const content = { version: 1, demonstrations: [{ ...base, speech_event: "tap_dancing" }] };
    expect(errorMessage(content, true)).toMatch(/unknown speech events: .*tap_dancing/);
  });
});

describe("pickDemonstration", () => {
  it("prefers the same speech event", () => {
    for (const d of demos) {
      const { demonstration, match } = pickDemonstrationWithMatch(demos, d.speech_event, createRng(1), events);
      expect(match).toBe("speech_event");
      expect(demonstration.speech_event).toBe(d.speech_event);
    }
  });

  it("falls back to the same category", () => {
    const covered = new Set(demos.map((d) => d.speech_event));
    const uncovered = events.filter((e) => !covered.has(e.id));
    expect(uncovered.length).toBeGreaterThan(0);
    for (const e of uncovered) {
      const { demonstration, match } = pickDemonstrationWithMatch(demos, e, createRng(hashSeed(e.id)), events);
      expect(match).toBe("category");
      expect(categoryOf(demonstration.speech_event)).toBe(e.category);
      // same result when called with the id and the default events
      expect(pickDemonstration(demos, e.id, createRng(hashSeed(e.id)))).toBe(demonstration);
    }
  });

  it("falls back to any demonstration when nothing matches", () => {
    const onlyInvolving = demos.filter((d) => categoryOf(d.speech_event) === "involving");
    const { match } = pickDemonstrationWithMatch(onlyInvolving, "lecture", createRng(1), events);
    expect(match).toBe("any");
    expect(pickDemonstrationWithMatch(demos, "not_an_event", createRng(1), events).match).toBe("any");
  });

  it("is reproducible and varies with the seed", () => {
    const pick = (seed: number) => pickDemonstration(demos, "not_an_event", createRng(seed), events).id;
    expect(pick(5)).toBe(pick(5));
    const seen = new Set(Array.from({ length: 200 }, (_, i) => pick(i)));
    expect(seen.size).toBe(demos.length);
  });

  it("throws on an empty list", () => {
    expect(() => pickDemonstration([], "small_talk", createRng(1), events)).toThrow(/No demonstrations/);
  });
});
