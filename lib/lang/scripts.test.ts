import { describe, expect, it } from "vitest";
import { hanVariantOf } from "./han.js";
import { expandScripts, profileText, scriptOf } from "./scripts.js";

describe("scriptOf", () => {
  it("classifies letters by script and ignores non-letters", () => {
    expect(scriptOf("a".codePointAt(0)!)).toBe("Latn");
    expect(scriptOf("é".codePointAt(0)!)).toBe("Latn");
    expect(scriptOf("ж".codePointAt(0)!)).toBe("Cyrl");
    expect(scriptOf("あ".codePointAt(0)!)).toBe("Hira");
    expect(scriptOf("カ".codePointAt(0)!)).toBe("Kana");
    expect(scriptOf("ー".codePointAt(0)!)).toBe("Kana");
    expect(scriptOf("漢".codePointAt(0)!)).toBe("Hani");
    expect(scriptOf("한".codePointAt(0)!)).toBe("Hang");
    expect(scriptOf("ㅋ".codePointAt(0)!)).toBe("Hang");
    expect(scriptOf("ह".codePointAt(0)!)).toBe("Deva");
    expect(scriptOf("ب".codePointAt(0)!)).toBe("Arab");
    for (const c of ["1", " ", "!", "。", "？", "5", "٣"]) expect(scriptOf(c.codePointAt(0)!)).toBeUndefined();
  });

  it("expands composite tag scripts", () => {
    expect(expandScripts(["Jpan"]).sort()).toEqual(["Hani", "Hira", "Kana"]);
    expect(expandScripts(["Hant"])).toEqual(["Hani"]);
    expect(expandScripts(["Cyrl", "Latn"])).toEqual(["Cyrl", "Latn"]);
  });
});

describe("profileText", () => {
  it("counts letters per script, words, digits and emoji", () => {
    const p = profileText("I love 東京 and ソウル!! 123 😂😂 👍🏽 👨‍👩‍👧");
    expect(p.scripts.Latn).toBe(8);
    expect(p.scripts.Hani).toBe(2);
    expect(p.scripts.Kana).toBe(3);
    expect(p.tokens.map((t) => t.text)).toEqual(["I", "love", "東京", "and", "ソウル"]);
    expect(p.digits).toBe(3);
    expect(p.emoji).toBe(4);
    expect(p.hasQuestionOrExclamation).toBe(true);
  });

  it("keeps elisions and hyphenated words together", () => {
    expect(profileText("J'adore l'été, c'est super-cool").tokens.map((t) => t.text)).toEqual([
      "J'adore",
      "l'été",
      "c'est",
      "super-cool",
    ]);
  });

  it("measures emoji runs across spaces", () => {
    expect(profileText("ok 😂 😂 😂 😂").maxEmojiRun).toBe(4);
    expect(profileText("😂 ok 😂").maxEmojiRun).toBe(1);
  });

  it("counts simplified, traditional and Chinese-only Han characters", () => {
    const s = profileText("我们这个周末说好了");
    expect(s.hanSimplified).toBeGreaterThanOrEqual(3);
    expect(s.hanTraditional).toBe(0);
    const t = profileText("我們這個週末說好了");
    expect(t.hanTraditional).toBeGreaterThanOrEqual(3);
    expect(t.hanSimplified).toBe(0);
    expect(profileText("你好吗").hanNotJapanese).toBeGreaterThanOrEqual(2);
    expect(profileText("学校の先生").hanNotJapanese).toBe(0);
  });

  it("han table is evidence only where forms differ", () => {
    expect(hanVariantOf("学".codePointAt(0)!) & 4).toBe(0); // also Japanese
    expect(hanVariantOf("後".codePointAt(0)!)).toBe(0); // 后/後: ambiguous, left out
    expect(hanVariantOf("们".codePointAt(0)!) & 1).toBe(1);
    expect(hanVariantOf("們".codePointAt(0)!) & 2).toBe(2);
  });
});
