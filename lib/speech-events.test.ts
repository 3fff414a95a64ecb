import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { createRng, hashSeed } from "./random.js";
import {
  BUILTIN_SPEECH_EVENT_IDS,
  SPEECH_EVENT_CATEGORIES,
  SpeechEventError,
  loadSpeechEvents,
  drawSpeechEvent,
  type SpeechEvent,
} from "./speech-events.js";

const events = loadSpeechEvents();

describe("data/speech-events.json", () => {
  it("is valid and has at least 25 events", () => {
    expect(events.length).toBeGreaterThanOrEqual(25);
  });

  it("has the ids of BUILTIN_SPEECH_EVENT_IDS, in its order (the graph's input lists those without reading the file)", () => {
    expect(events.map((e) => e.id)).toEqual([...BUILTIN_SPEECH_EVENT_IDS]);
  });

  it("covers all three Goldsmith & Baxter clusters", () => {
    const categories = new Set(events.map((e) => e.category));
    for (const c of SPEECH_EVENT_CATEGORIES) expect(categories.has(c)).toBe(true);
    for (const c of SPEECH_EVENT_CATEGORIES) {
      expect(events.filter((e) => e.category === c).length).toBeGreaterThanOrEqual(5);
    }
  });

  it("has unique snake_case ids and positive weights", () => {
    const ids = events.map((e) => e.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const e of events) {
      expect(e.id).toMatch(/^[a-z0-9_]+$/);
      expect(e.weight).toBeGreaterThan(0);
    }
  });

  it("includes the core everyday events", () => {
    const ids = new Set(events.map((e) => e.id));
    for (const id of ["small_talk", "catching_up", "gossip", "making_plans", "getting_to_know_someone", "conflict"]) {
      expect(ids.has(id)).toBe(true);
    }
  });

  it("weights the common open-domain events above the rare ones", () => {
    const w = (id: string) => events.find((e) => e.id === id)?.weight ?? Number.NaN;
    for (const high of ["small_talk", "catching_up", "making_plans"]) {
      for (const low of ["lecture", "interrogation", "breaking_bad_news", "conflict"]) {
        expect(w(high)).toBeGreaterThan(w(low));
      }
    }
  });
});

describe("loadSpeechEvents errors", () => {
  const dir = mkdtempSync(join(tmpdir(), "speech-events-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const expectOneLineError = (path: string, pattern: RegExp) => {
    let error: unknown;
    try {
      loadSpeechEvents(path);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(SpeechEventError);
    const message = (error as Error).message;
    expect(message).not.toMatch(/\n/);
    expect(message).toContain(path);
    expect(message).toMatch(pattern);
  };

  it("missing file", () => expectOneLineError(join(dir, "nope.json"), /Cannot read/));

  it("invalid JSON", () => {
    const path = join(dir, "bad.json");
    writeFileSync(path, "{ not json");
    expectOneLineError(path, /not valid JSON/);
  });

  it("too few events / duplicate ids", () => {
    const event = { id: "small_talk", name: "Small talk", category: "involving", description: "x", weight: 1 };
    const few = join(dir, "few.json");
    writeFileSync(few, JSON.stringify({ version: 1, events: [event] }));
    expectOneLineError(few, /at least 25/);
    const dup = join(dir, "dup.json");
    writeFileSync(dup, JSON.stringify({ version: 1, events: Array.from({ length: 25 }, () => event) }));
    expectOneLineError(dup, /duplicate id "small_talk"/);
  });
});

describe("drawSpeechEvent", () => {
  it("is reproducible for the same seed", () => {
    const draw = (seed: number) => {
      const rng = createRng(seed);
      return Array.from({ length: 20 }, () => drawSpeechEvent(events, rng).id);
    };
    expect(draw(hashSeed("run", 1))).toEqual(draw(hashSeed("run", 1)));
    expect(draw(hashSeed("run", 1))).not.toEqual(draw(hashSeed("run", 2)));
  });

  it("honours an override id", () => {
    const rng = createRng(1);
    expect(drawSpeechEvent(events, rng, "lecture").id).toBe("lecture");
    expect(drawSpeechEvent(events, rng, "gossip").id).toBe("gossip");
  });

  it("rejects an unknown override with a one-line message listing valid ids", () => {
    const rng = createRng(1);
    expect(() => drawSpeechEvent(events, rng, "smalltalkk")).toThrow(SpeechEventError);
    try {
      drawSpeechEvent(events, rng, "small talk");
    } catch (e) {
      const message = (e as Error).message;
      expect(message).not.toMatch(/\n/);
      expect(message).toMatch(/Unknown speech event "small talk"/);
      expect(message).toMatch(/Did you mean "small_talk"\?/);
      expect(message).toContain("data/speech-events.json");
      expect(message).toContain("catching_up");
    }
  });

  it("follows the weights over many draws", () => {
    const rng = createRng(hashSeed("distribution"));
    const n = 20_000;
    const counts = new Map<string, number>();
    for (let i = 0; i < n; i++) {
      const id = drawSpeechEvent(events, rng).id;
      counts.set(id, (counts.get(id) ?? 0) + 1);
    }
    const total = events.reduce((a, e) => a + e.weight, 0);
    for (const e of events) {
      const expected = e.weight / total;
      const observed = (counts.get(e.id) ?? 0) / n;
      expect(Math.abs(observed - expected)).toBeLessThan(0.015);
    }
    const top = [...counts.entries()].sort((a, b) => b[1] - a[1])[0]?.[0];
    expect(["small_talk", "catching_up"]).toContain(top);
  });

  it("throws on an empty list", () => {
    expect(() => drawSpeechEvent([] as SpeechEvent[], createRng(1))).toThrow(/No speech events/);
  });
});
