import { describe, expect, it } from "vitest";
import { makeRecord } from "../../testing/records.js";
import type { DialogueRecord } from "../../lib/records/schema.js";
import {
  annotatorOrder,
  AnnotatorNameSchema,
  parseItemKey,
  RatingInputSchema,
  reviewItem,
  sampleItems,
  studyFingerprint,
} from "./study.js";

function dataset(n: number): DialogueRecord[] {
  return Array.from({ length: n }, (_, i) =>
    makeRecord(`es-1-${String(i).padStart(5, "0")}`, "es", ["hola", "qué tal"], i % 4 === 3 ? "rejected" : "accepted"),
  );
}

describe("the review sample", () => {
  it("draws the same sample from the same file, size and seed, and another with another seed", () => {
    const records = dataset(40);
    const a = sampleItems(records, { size: 10, seed: 7, status: "accepted" }).map((i) => i.id);
    expect(a).toHaveLength(10);
    expect(sampleItems(records, { size: 10, seed: 7, status: "accepted" }).map((i) => i.id)).toEqual(a);
    expect(sampleItems(records, { size: 10, seed: 8, status: "accepted" }).map((i) => i.id)).not.toEqual(a);
  });

  it("takes accepted dialogues with turns unless asked for all", () => {
    const records = [...dataset(8), makeRecord("es-1-00099", "es", [])];
    expect(sampleItems(records, { seed: 1, status: "accepted" })).toHaveLength(6);
    expect(sampleItems(records, { seed: 1, status: "all" })).toHaveLength(8);
  });

  it("keeps one id under two variants apart, and refuses the same dialogue twice", () => {
    const a = makeRecord("es-1-00000", "es", ["hola"]);
    const b = { ...a, provenance: { ...a.provenance, prompt_variant: "no-common-ground" } };
    expect(sampleItems([a, b], { seed: 1, status: "all" })).toHaveLength(2);
    expect(() => sampleItems([a, a], { seed: 1, status: "all" })).toThrow(/twice/);
  });

  it("shows annotators neither the variant, the model, the status nor the self-critique", () => {
    const record = {
      ...makeRecord("es-1-00000", "es", ["hola"]),
      critique: {
        persona_faithfulness: 4,
        speech_event_fit: 4,
        naturalness: 4,
        verdict: "accept",
        offending_turns: [],
        feedback: "ok",
      },
    } as DialogueRecord;
    const text = JSON.stringify(reviewItem(record).view);
    for (const hidden of ["baseline", "scripted", "accepted", "critique", "feedback", "prompt"])
      expect(text).not.toContain(hidden);
    expect(parseItemKey(reviewItem(record).key)).toEqual({
      language: "es",
      id: "es-1-00000",
      variant: "baseline",
      model: "scripted:scripted",
    });
  });

  it("gives each annotator their own stable order of the same dialogues", () => {
    const items = sampleItems(dataset(30), { seed: 3, status: "all" });
    const ana = annotatorOrder(items, 3, "Ana").map((i) => i.key);
    expect(annotatorOrder(items, 3, "Ana").map((i) => i.key)).toEqual(ana);
    expect(annotatorOrder(items, 3, "Bea").map((i) => i.key)).not.toEqual(ana);
    expect([...ana].sort()).toEqual(items.map((i) => i.key).sort());
    expect(studyFingerprint(items)).not.toBe(studyFingerprint(items.slice(1)));
  });
});

describe("a rating and a name at the boundary", () => {
  const good = {
    persona_faithfulness: 4,
    speech_event_fit: 3,
    naturalness: 5,
    verdict: "accept",
    wrong_turns: [1],
    comment: "",
  };
  it("accepts the rubric and refuses out-of-range scores, unknown fields and oversized comments", () => {
    expect(RatingInputSchema.safeParse(good).success).toBe(true);
    expect(RatingInputSchema.safeParse({ ...good, naturalness: 6 }).success).toBe(false);
    expect(RatingInputSchema.safeParse({ ...good, naturalness: 2.5 }).success).toBe(false);
    expect(RatingInputSchema.safeParse({ ...good, verdict: "maybe" }).success).toBe(false);
    expect(RatingInputSchema.safeParse({ ...good, annotator: "x" }).success).toBe(false);
    expect(RatingInputSchema.safeParse({ ...good, comment: "x".repeat(2001) }).success).toBe(false);
  });
  it("trims names and refuses empty ones and control characters", () => {
    expect(AnnotatorNameSchema.parse("  Ana  ")).toBe("Ana");
    expect(AnnotatorNameSchema.safeParse("   ").success).toBe(false);
    expect(AnnotatorNameSchema.safeParse("A\u001b[31m").success).toBe(false);
  });
});
