import { describe, expect, it } from "vitest";
import type { EvalDialogue } from "./dialogues.js";
import { aggregate, distinctN, metricTable, openerDiversity, type Scored, scoreDialogue } from "./metrics.js";
import { contentTokens, isContentToken, ngrams, wordTokens } from "./tokens.js";

function dialogue(turns: string[], extra: Partial<EvalDialogue> = {}): EvalDialogue {
  return {
    id: "d",
    variant: "baseline",
    language: "es",
    status: "accepted",
    rejectionChecks: [],
    turns: turns.map((text, i) => ({ speaker: i % 2 === 0 ? "A" : "B", text })),
    personas: { A: null, B: null },
    commonGround: null,
    speechEvent: null,
    usage: null,
    promptHash: null,
    ...extra,
  };
}

const metric = (key: string) => metricTable({ input: 1, output: 2 }).find((m) => m.key === key)!;

describe("tokens", () => {
  it("are Intl.Segmenter's word-like segments, lower-cased: no punctuation, no spaces", () => {
    expect(wordTokens("¡Hola, HOLA amigo! ¿Qué tal?", "es")).toEqual(["hola", "hola", "amigo", "qué", "tal"]);
    // Turkish lower-cases with its own rules (İ → i)
    expect(wordTokens("İstanbul", "tr")).toEqual(["istanbul"]);
  });

  it("segments Chinese into words, not characters (ICU dictionary)", () => {
    expect(wordTokens("我喜欢吃苹果。我喜欢喝茶。", "zh")).toEqual(["我", "喜欢", "吃", "苹果", "我", "喜欢", "喝茶"]);
    expect(wordTokens("你好！我喜欢猫。", "zh")).toEqual(["你好", "我", "喜欢", "猫"]);
  });

  it("makes n-grams within one token list", () => {
    expect(ngrams(["a", "b", "c"], 2)).toEqual(["a\u001fb", "b\u001fc"]);
    expect(ngrams(["a"], 2)).toEqual([]);
  });

  it("calls content tokens the long ones (≥ 4), or ≥ 2 in dense scripts", () => {
    expect(["casa", "mio", "di", "猫", "喜欢", "좋아", "a"].map(isContentToken)).toEqual([
      true,
      false,
      false,
      false,
      true,
      true,
      false,
    ]);
    expect([...contentTokens("Io ho due cani e una gatta.", "it")]).toEqual(["cani", "gatta"]);
  });
});

describe("distinct-n (hand-computed)", () => {
  it("Spanish: n-grams never cross turns", () => {
    // turn 1: hola hola amigo          turn 2: amigo mío hola
    // unigrams: 6 in all, unique {hola, amigo, mío} = 3             → distinct_1 = 3/6 = 0.5
    // bigrams: (hola hola) (hola amigo) | (amigo mío) (mío hola) = 4, all unique → distinct_2 = 4/4 = 1
    // (a bigram across the turn boundary, "amigo amigo", would be a 5th: it is not counted)
    const turns = ["Hola, hola amigo.", "Amigo mío, hola."].map((t) => wordTokens(t, "es"));
    expect(distinctN(turns, 1)).toBe(0.5);
    expect(distinctN(turns, 2)).toBe(1);
  });

  it("Chinese: over ICU's words", () => {
    // turn 1: 我 喜欢 吃 苹果 我 喜欢 喝茶 (7)        turn 2: 你好 我 喜欢 猫 (4)
    // unigrams: 11, unique {我, 喜欢, 吃, 苹果, 喝茶, 你好, 猫} = 7                        → distinct_1 = 7/11
    // bigrams: 我喜欢 喜欢吃 吃苹果 苹果我 我喜欢 喜欢喝茶 | 你好我 我喜欢 喜欢猫 = 9,
    //          unique {我喜欢, 喜欢吃, 吃苹果, 苹果我, 喜欢喝茶, 你好我, 喜欢猫} = 7                → distinct_2 = 7/9
    const turns = ["我喜欢吃苹果。我喜欢喝茶。", "你好！我喜欢猫。"].map((t) => wordTokens(t, "zh"));
    expect(distinctN(turns, 1)).toBeCloseTo(7 / 11, 12);
    expect(distinctN(turns, 2)).toBeCloseTo(7 / 9, 12);
  });

  it("is over the whole set of dialogues (the metric), and null without any n-gram", () => {
    const a = scoreDialogue(dialogue(["Hola, hola amigo."]));
    const b = scoreDialogue(dialogue(["Amigo mío, hola."]));
    expect(aggregate(metric("distinct_1"), [a, b])).toBe(0.5);
    expect(aggregate(metric("distinct_2"), [a, b])).toBe(1);
    expect(distinctN([], 1)).toBeNull();
    expect(distinctN([["solo"]], 2)).toBeNull();
  });
});

describe("other metrics (hand-computed)", () => {
  it("opener diversity: distinct first-3-token openers ÷ dialogues with an opener", () => {
    // openers: "hola qué tal", "hola qué tal", "buenas" ; one dialogue has no token in its first turn → 2/3
    const openers = [["¡Hola! ¿Qué tal estás?"], ["hola, qué tal, todo bien"], ["Buenas"], ["🙂"]].map(
      (t) => scoreDialogue(dialogue(t)).figures.opener,
    );
    expect(openers).toEqual(["hola qué tal", "hola qué tal", "buenas", null]);
    expect(openerDiversity(openers)).toBeCloseTo(2 / 3, 12);
  });

  it("persona token recall and fact coverage, per speaker's own turns", () => {
    const d = dialogue(["Ciao! Oggi porto i miei cani al parco.", "Che bello, io invece lavoro in ospedale."], {
      language: "it",
      // A's content tokens: {cani, lavoro, parco, gatti} → found in A's turn: cani, parco → recall 2/4 = 0.5
      // A's facts: "Ho due cani" (cani ✓), "Lavoro al parco" (lavoro ✗ in A's turn, parco ✓ → ✓), "Amo i gatti" (✗) → 2/3
      personas: { A: ["Ho due cani.", "Lavoro al parco.", "Amo i gatti."], B: null },
    });
    const f = scoreDialogue(d).figures;
    expect(f.persona_token_recall).toBe(0.5);
    expect(f.persona_fact_coverage).toBeCloseTo(2 / 3, 12);
  });

  it("common-ground token recall over the whole dialogue", () => {
    // content tokens (≥ 4 characters) of the common ground: {sono, amiche, scuola, domenica}; "domenica" and
    // "scuola" occur in the dialogue → 2/4 (the crude length rule keeps "sono": a known limit of the measure)
    const d = dialogue(["Domenica andiamo?", "Sì, dopo la scuola."], {
      language: "it",
      commonGround: "Sono amiche da scuola. È domenica.",
    });
    expect(scoreDialogue(d).figures.common_ground_recall).toBe(0.5);
  });

  it("language fidelity and code switching come from the gates, pooled over turns", () => {
    const spanish = "Pues bastante tranquilo, la verdad. Me quedé en casa leyendo una novela de misterio.";
    const english = "Sorry, I think I will just answer in English because it is easier for me today, my friend.";
    const a = scoreDialogue(dialogue([spanish, english, spanish.replace("misterio", "amor")]));
    expect(a.figures.language_failures).toBe(1);
    const b = scoreDialogue(dialogue(["¡Hola! ¿Qué tal el fin de semana? Yo fui a la sierra con mis primos."]));
    // 3 + 1 turns, 1 not in Spanish → fidelity 3/4
    expect(aggregate(metric("language_fidelity"), [a, b])).toBe(0.75);
    expect(aggregate(metric("code_switching_rate"), [a, b])).toBe(0);
    expect(aggregate(metric("mean_turns"), [a, b])).toBe(2);
  });

  it("acceptance, tokens and cost per accepted dialogue count every generated record", () => {
    const usage = { input_tokens: 1000, output_tokens: 500 };
    const items: Scored[] = [
      scoreDialogue(dialogue(["Hola, ¿qué tal?"], { usage })),
      scoreDialogue(dialogue(["Hola"], { usage, status: "rejected", rejectionChecks: ["language"] })),
    ];
    expect(items[1]!.figures.scored).toBe(false);
    expect(aggregate(metric("acceptance_rate"), items)).toBe(0.5);
    // (1500 + 1500) tokens ÷ 1 accepted
    expect(aggregate(metric("tokens_per_accepted"), items)).toBe(3000);
    // price 1 / 2 USD per M: 2 × (1000 × 1 + 500 × 2) / 1e6 = 0.004 USD ÷ 1 accepted
    expect(aggregate(metric("cost_per_accepted"), items)).toBeCloseTo(0.004, 12);
    // nothing accepted: not measurable, not zero
    expect(aggregate(metric("tokens_per_accepted"), [items[1]!])).toBeNull();
  });

  it("judge metrics are null without a judge, and from the judge's answers with one", () => {
    const plain = scoreDialogue(
      dialogue(["Hola"], { speechEvent: { id: "small_talk", name: "Small talk", category: "informal_superficial" } }),
    );
    expect(aggregate(metric("judge_naturalness"), [plain])).toBeNull();
    const judged = {
      ...plain,
      figures: {
        ...plain.figures,
        judge: {
          persona_grounding: 4,
          contradiction: true,
          common_ground_use: null,
          naturalness: 5,
          sounds_translated: false,
          speech_event_guess: "gossip",
          memory_use: null,
          history_contradiction: null,
          failures: [],
          usage: { input_tokens: 0, output_tokens: 0 },
          calls: 3,
        },
      },
    };
    expect(aggregate(metric("judge_naturalness"), [judged])).toBe(5);
    expect(aggregate(metric("judge_contradiction_rate"), [judged])).toBe(1);
    expect(aggregate(metric("speech_event_accuracy"), [judged])).toBe(0);
    // gossip and small talk are both informal/superficial
    expect(aggregate(metric("speech_event_category_accuracy"), [judged])).toBe(1);
  });
});
