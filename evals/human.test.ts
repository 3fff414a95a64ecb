import { describe, expect, it } from "vitest";
import type { EvalDialogue } from "./dialogues.js";
import { type HumanRating, humanResults, humanTables } from "./human.js";
import type { DialogueFigures } from "./metrics.js";
import type { Critique } from "../lib/records/schema.js";

function dialogue(id: string, variant: string, critique: Critique | null): EvalDialogue {
  return {
    id,
    variant,
    language: "es",
    status: "accepted",
    rejectionChecks: [],
    turns: [{ speaker: "A", text: "hola" }],
    personas: { A: ["x"], B: ["y"] },
    commonGround: null,
    speechEvent: null,
    usage: null,
    promptHash: null,
    critique,
  };
}
const critique = (
  p: 1 | 2 | 3 | 4 | 5,
  s: 1 | 2 | 3 | 4 | 5,
  n: 1 | 2 | 3 | 4 | 5,
  verdict: "accept" | "revise",
): Critique => ({
  persona_faithfulness: p,
  speech_event_fit: s,
  naturalness: n,
  verdict,
  offending_turns: [],
  feedback: "",
});
function rating(
  annotator: string,
  id: string,
  variant: string,
  p: number,
  s: number,
  n: number,
  verdict: "accept" | "revise",
): HumanRating {
  return {
    annotator,
    id,
    variant,
    model: "m",
    language: "es",
    persona_faithfulness: p,
    speech_event_fit: s,
    naturalness: n,
    verdict,
    wrong_turns: [],
    comment: "",
    created_at: "2026-01-01T00:00:00Z",
  };
}

// Four dialogues of variant v, two annotators each; a fifth rating names a dialogue not in the dataset.
const dialogues = [
  dialogue("d1", "v", critique(5, 4, 5, "accept")),
  dialogue("d2", "v", critique(4, 4, 2, "accept")), // accept with a 2: the graph's rule fails it
  dialogue("d3", "v", critique(2, 3, 3, "revise")),
  dialogue("d4", "v", critique(3, 3, 4, "accept")),
];
const ratings = [
  rating("ana", "d1", "v", 5, 4, 5, "accept"),
  rating("bea", "d1", "v", 4, 4, 5, "accept"),
  rating("ana", "d2", "v", 3, 3, 2, "revise"),
  rating("bea", "d2", "v", 4, 3, 3, "accept"),
  rating("ana", "d3", "v", 1, 2, 2, "revise"),
  rating("bea", "d3", "v", 2, 2, 1, "revise"),
  rating("ana", "d4", "v", 4, 3, 4, "accept"),
  rating("bea", "d4", "v", 3, 4, 4, "revise"),
  rating("ana", "gone", "v", 3, 3, 3, "accept"),
];
const figures = (id: string, persona: number, naturalness: number) =>
  ({ id, variant: "v", judge: { persona_grounding: persona, naturalness } }) as unknown as DialogueFigures;

describe("the human evaluation", () => {
  const h = humanResults(
    ratings,
    dialogues,
    [figures("d1", 5, 5), figures("d2", 4, 2), figures("d3", 1, 1), figures("d4", 3, 4)],
    { source: "r.jsonl", seed: 1, resamples: 200 },
  );

  it("counts annotators, ratings and dialogues, leaving out ratings of dialogues not in the dataset", () => {
    expect([h.annotators, h.ratings, h.dialogues, h.unmatched]).toEqual([2, 8, 4, 1]);
  });

  it("averages annotators per dialogue, then dialogues per group", () => {
    // persona means per dialogue: 4.5, 3.5, 1.5, 3.5 → 3.25; naturalness: 5, 2.5, 1.5, 4 → 3.25
    const g = h.groups[0]!;
    expect(g.scores.persona_faithfulness.value).toBeCloseTo(3.25, 12);
    expect(g.scores.naturalness.value).toBeCloseTo(3.25, 12);
    expect(g.scores.persona_faithfulness.ci!.lo).toBeLessThanOrEqual(3.25);
    // majority verdicts: accept, tie, revise, tie → (1 + 0.5 + 0 + 0.5) / 4
    expect(g.accept_share.value).toBeCloseTo(0.5, 12);
  });

  it("reports ordinal alpha per criterion over the pairable dialogues", () => {
    const persona = h.inter_annotator.find((a) => a.criterion === "persona_faithfulness")!;
    expect(persona.units).toBe(4);
    expect(persona.level).toBe("ordinal");
    expect(persona.alpha).not.toBeNull();
    expect(persona.alpha!).toBeGreaterThan(0);
  });

  it("correlates the self-critique and the eval judge with the human means (Spearman)", () => {
    const selfNat = h.judge_agreement.find((j) => j.judge === "self-critique" && j.criterion === "naturalness")!;
    // critique naturalness 5,2,3,4 vs human 5,2.5,1.5,4: ranks 4,1,2,3 vs 4,2,1,3 → Σd² = 2, ρ = 1 − 6·2/(4·15) = 0.8
    expect(selfNat.rho).toBeCloseTo(0.8, 12);
    const judgePersona = h.judge_agreement.find(
      (j) => j.judge === "eval judge" && j.criterion === "persona_faithfulness",
    )!;
    // judge 5,4,1,3 vs human 4.5,3.5,1.5,3.5: ranks 4,3,1,2 vs 4,2.5,1,2.5 → ρ = 4.5 / √(5 · 4.5)
    expect(judgePersona.rho).toBeCloseTo(4.5 / Math.sqrt(5 * 4.5), 12);
  });

  it("crosses the self-critique's pass rule with the annotators' majority", () => {
    // d1 passed/accept, d2 failed (a 2)/tie, d3 failed/revise, d4 passed/tie
    expect(h.critique_confusion.accept).toEqual({ accept: 1, revise: 0, tie: 1 });
    expect(h.critique_confusion.revise).toEqual({ accept: 0, revise: 1, tie: 1 });
    expect(h.critique_confusion.agreement).toBe(1);
  });

  it("lays every figure out in report tables", () => {
    const tables = humanTables(h);
    expect(tables.map((t) => t.rows.length)).toEqual([1, 4, 5, 2]);
    expect(tables[0]!.rows[0]!.slice(0, 4)).toEqual(["v", "es", "4", "8"]);
  });
});
