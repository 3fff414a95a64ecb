import { describe, expect, it } from "vitest";
import { dialogueGateFailures, turnGateFailures } from "./index.js";
import { createRng } from "../random.js";
import { boundedLevenshtein, REPETITION_THRESHOLDS } from "./repetition.js";

function rep(lang: string, texts: string[]): string[] {
  const turns = texts.map((text, i) => ({ speaker: i % 2 === 0 ? "A" : "B", text }));
  return turnGateFailures(turns, turns.length - 1, { lang, checks: ["repetition"] }).map((f) => f.detail);
}

describe("repetition", () => {
  it("catches a verbatim repeat of an earlier turn", () => {
    expect(
      rep("en", [
        "Hi! What do you do for a living?",
        "I'm a nurse at the city hospital.",
        "I'm a nurse at the city hospital.",
      ]),
    ).toEqual(["repeats turn 1 verbatim"]);
    expect(
      rep("es", [
        "¿Qué haces los fines de semana?",
        "Voy a la playa con mis perros.",
        "Me gusta leer.",
        "voy a la playa con mis perros",
      ]),
    ).toEqual(["repeats turn 1 verbatim"]);
  });

  it("ignores case, punctuation, spacing and width", () => {
    expect(rep("en", ["How are you doing today?", "fine", "how are you doing today"])).toHaveLength(1);
    expect(rep("ja", ["今日は何をしていますか？", "特に何も", "今日は何をしていますか"])).toHaveLength(1);
  });

  it("catches near-verbatim repeats", () => {
    expect(
      rep("en", [
        "I love walking my two dogs in the park every morning.",
        "nice",
        "I love walking my two dogs in the park each morning.",
      ])[0],
    ).toMatch(/near-verbatim repeat of turn 0/);
  });

  it("is length-aware per script: four CJK characters are a sentence, four Latin letters are not", () => {
    expect(rep("zh", ["你在做什么", "看书", "你在做什么"])).toHaveLength(1);
    expect(rep("ko", ["안녕하세요", "네", "안녕하세요"])).toHaveLength(1);
    expect(rep("zh", ["你好", "嗯", "你好"])).toHaveLength(0);
    expect(rep("en", ["haha", "lol", "haha"])).toHaveLength(0);
    expect(rep("en", ["me too", "cool", "me too"])).toHaveLength(0);
    expect(rep("en", ["thank you", "sure", "thank you"])).toHaveLength(0);
    expect(rep("en", ["how are you", "good", "how are you"])).toHaveLength(1);
  });

  it("catches an earlier turn pasted inside a longer one", () => {
    expect(
      rep("en", [
        "I just moved to a small town near the lake with my family.",
        "oh nice",
        "I just moved to a small town near the lake with my family. Do you like lakes?",
      ])[0],
    ).toMatch(/turn 0/);
  });

  it("does not flag turns that only share words", () => {
    expect(
      rep("en", ["I like dogs and cats a lot.", "I like cats but not dogs.", "Do you like dogs or cats more?"]),
    ).toHaveLength(0);
  });

  it("only looks backwards", () => {
    const turns = [
      { speaker: "A", text: "I love walking my dogs in the park." },
      { speaker: "B", text: "I love walking my dogs in the park." },
    ];
    expect(turnGateFailures(turns, 0, { lang: "en", checks: ["repetition"] })).toHaveLength(0);
    expect(dialogueGateFailures(turns, { lang: "en", checks: ["repetition"] }).map((f) => f.turn)).toEqual([1]);
  });

  it("bounded edit distance", () => {
    expect(boundedLevenshtein("kitten", "sitting", 5)).toBe(3);
    expect(boundedLevenshtein("kitten", "sitting", 2)).toBe(3);
    expect(boundedLevenshtein("abc", "abc", 0)).toBe(0);
  });

  it("finds every near repeat the edit distance finds, substitutions at the limit included (the cheap bound skips none)", () => {
    // random sentences and copies with up to 14 random edits: the verdict must be the edit distance's, whatever the edits
    const rng = createRng(17);
    const letters = "abcdefghijklmnopqrstuvwxyz";
    const word = () => Array.from({ length: 2 + rng.int(0, 6) }, () => letters[rng.int(0, 25)]).join("");
    let near = 0;
    for (let n = 0; n < 400; n++) {
      const base = Array.from({ length: 8 + rng.int(0, 11) }, word).join(" ");
      let copy = base;
      for (let e = rng.int(0, 14); e > 0; e--) {
        const at = rng.int(0, copy.length - 1);
        const op = rng.int(0, 2);
        const ch = letters[rng.int(0, 25)]!;
        copy = copy.slice(0, at) + (op === 1 ? "" : ch) + copy.slice(op === 2 ? at : at + 1);
      }
      const [a, b] = [base.replace(/ /g, ""), copy.replace(/ /g, "")];
      const longest = Math.max(a.length, b.length);
      const max = Math.floor((1 - REPETITION_THRESHOLDS.nearSimilarity) * longest);
      const expected = a !== b && max > 0 && boundedLevenshtein(a, b, max) <= max;
      const found = rep("en", [base, "ok", copy]).some((d) => d.startsWith("near-verbatim"));
      if (expected) near++;
      expect(found, `${base} / ${copy}`).toBe(expected);
    }
    expect(near).toBeGreaterThan(100);
  });
});
