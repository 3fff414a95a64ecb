import { describe, expect, it } from "vitest";
import { turnGateFailures, type GateTurn } from "./index.js";
import { fails } from "../../testing/gate-helpers.js";

describe("empty", () => {
  it.each(["", "   ", "\n\t", "\u200b", "...", "—"])("empty: %j", (text) => {
    expect(fails("empty", "en", text)).toBe(true);
  });
  it.each(["?", "!!", "😂", "ok", "5", "嗯"])("not empty: %j", (text) => {
    expect(fails("empty", "en", text)).toBe(false);
  });
  it("an empty turn is not also reported by the text checks", () => {
    const turns: GateTurn[] = [
      { speaker: "A", text: "hi" },
      { speaker: "B", text: " " },
    ];
    expect(turnGateFailures(turns, 1, { lang: "en" }).map((f) => f.check)).toEqual(["empty"]);
  });
});

describe("alternation", () => {
  const alt = (turns: GateTurn[], i: number) =>
    turnGateFailures(turns, i, { lang: "en", checks: ["alternation"] }).map((f) => f.detail);
  it("rejects the same speaker twice in a row", () => {
    expect(
      alt(
        [
          { speaker: "A", text: "hi" },
          { speaker: "A", text: "hello?" },
        ],
        1,
      ),
    ).toEqual(['same speaker as turn 0 ("A")']);
    expect(
      alt(
        [
          { speaker: "A", text: "hi" },
          { speaker: " a ", text: "hello?" },
        ],
        1,
      ),
    ).toHaveLength(1);
  });
  it("rejects a third speaker and a missing speaker", () => {
    const t: GateTurn[] = [
      { speaker: "A", text: "hi" },
      { speaker: "B", text: "hey" },
      { speaker: "C", text: "yo" },
    ];
    expect(alt(t, 2)[0]).toMatch(/third speaker "C"/);
    expect(alt([{ speaker: "", text: "hi" }], 0)).toEqual(["missing speaker"]);
  });
  it("accepts alternating speakers", () => {
    const t: GateTurn[] = [
      { speaker: "A", text: "hi" },
      { speaker: "B", text: "hey" },
      { speaker: "A", text: "sup" },
    ];
    expect(alt(t, 1)).toHaveLength(0);
    expect(alt(t, 2)).toHaveLength(0);
  });
});

describe("length", () => {
  it("rejects turns over the limit (default 400 code points)", () => {
    expect(fails("length", "en", "a ".repeat(201))).toBe(true);
    expect(fails("length", "en", "word ".repeat(79))).toBe(false);
    expect(fails("length", "en", "I like dogs a lot.", { maxTurnChars: 10 })).toBe(true);
  });
  it("counts code points, not UTF-16 units", () => {
    expect(fails("length", "en", "😂".repeat(300), { allowEmoji: true })).toBe(false);
  });
});

describe("format", () => {
  it.each([
    "## My answer\nI like dogs.",
    "I **really** like dogs.",
    "- dogs\n- cats",
    "My favourites:\n1. dogs\n2. cats",
    "* I like dogs",
    "```\ncode\n```",
    '"I like dogs, what about you?"',
    "「犬が好きです」",
    "haha 😂😂😂😂",
    "😂 😂 😂 😂 😂 😂",
  ])("rejects %j", (text) => {
    expect(fails("format", "en", text)).toBe(true);
  });
  it.each([
    "I like dogs 😊",
    "haha 😂😂",
    "I scored 3 * 4 = 12 points",
    'He said "wow" and left.',
    "well... - yes, I think so",
    "my_user_name is cool",
  ])("accepts %j", (text) => {
    expect(fails("format", "en", text)).toBe(false);
  });
  it("allowEmoji: false rejects any emoji, true accepts floods", () => {
    expect(fails("format", "en", "I like dogs 😊", { allowEmoji: false })).toBe(true);
    expect(fails("format", "en", "haha 😂😂😂😂😂😂", { allowEmoji: true })).toBe(false);
  });
  it.each([
    "Sure!\u001b]52;c;ZWNobyBwd25lZA==\u0007 see you", // OSC 52: a clipboard write
    "hola \u001b[2J amigo",
    "a\rb",
    "bell\u0007",
    "c1 \u009b31m",
  ])("control characters other than newline and tab: %j", (text) => {
    expect(fails("format", "en", text)).toBe(true);
    const turns: GateTurn[] = [{ speaker: "A", text }];
    expect(turnGateFailures(turns, 0, { lang: "en" }).find((f) => f.check === "format")?.detail).toMatch(
      /^control character U\+00[0-9A-F]{2}$/,
    );
  });
  it("newline and tab are not control characters here", () => {
    expect(fails("format", "en", "Hola, ¿qué tal?\tBien.")).toBe(false);
  });
});
