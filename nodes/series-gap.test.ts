import { describe, expect, it } from "vitest";
import { createRng } from "../lib/random.js";
import { loadSpeechEvents } from "../lib/speech-events.js";
import { drawGap, GAP_KINDS, gapText, pickEventAfterGap } from "./series-gap.js";

describe("gaps between sessions", () => {
  const events = loadSpeechEvents();

  it("lists only known speech events, and never a first meeting", () => {
    for (const kind of GAP_KINDS) {
      for (const id of kind.events) expect(events.map((e) => e.id)).toContain(id);
      expect(kind.events).not.toContain("getting_to_know_someone");
    }
  });

  it("draws every kind of gap within its bounds, reproducibly from the seed", () => {
    const rng = createRng(42);
    const gaps = Array.from({ length: 400 }, () => drawGap(rng));
    expect(new Set(gaps.map((g) => g.kind))).toEqual(new Set(GAP_KINDS.map((k) => k.kind)));
    for (const gap of gaps) {
      const kind = GAP_KINDS.find((k) => k.kind === gap.kind)!;
      expect(gap.amount).toBeGreaterThanOrEqual(kind.min);
      expect(gap.amount).toBeLessThanOrEqual(kind.max);
      expect(gap.unit).toBe(kind.unit);
    }
    const again = createRng(42);
    expect(Array.from({ length: 400 }, () => drawGap(again))).toEqual(gaps);
  });

  it("picks an event that fits the gap, other than the last session's when another fits", () => {
    const rng = createRng(3);
    for (let i = 0; i < 200; i++) {
      const gap = drawGap(rng);
      const event = pickEventAfterGap(gap, events, rng, "catching_up");
      expect(GAP_KINDS.find((k) => k.kind === gap.kind)!.events).toContain(event.id);
      expect(event.id).not.toBe("catching_up");
    }
  });

  it("says the gap in words", () => {
    expect(gapText({ kind: "months", unit: "month", amount: 2 })).toBe("2 months");
    expect(gapText({ kind: "weeks", unit: "week", amount: 1 })).toBe("1 week");
    expect(gapText({ kind: "hours", unit: "hour", amount: 5 })).toBe("5 hours (later the same day)");
  });
});
