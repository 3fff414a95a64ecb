import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { turnGateFailures } from "../gates/index.js";
import { createRng } from "../random.js";
import { buildTinyGguf, tinyWordLanguages, tinyWordsFor, wordsFromText } from "./tiny-gguf.js";

describe("wordsFromText", () => {
  it("keeps lower-case words, most frequent first, and leaves out names, digits, quotes and astral letters", () => {
    const text = 'Ciao! Mi piace il caffè. il caffè è buono, "Marco" dice: 42 gatti l\'anno 𝒜bc il';
    expect(wordsFromText(text)).toEqual(["il", "caffè", "buono", "dice", "gatti", "l'anno", "piace"]);
  });

  it("stops at the limit", () => {
    expect(wordsFromText("aa bb cc dd aa bb aa", 2)).toEqual(["aa", "bb"]);
  });
});

describe("buildTinyGguf with words", () => {
  it("puts each word in the vocabulary as one piece and names the model", () => {
    const plain = buildTinyGguf();
    const words = buildTinyGguf({ words: ["gattino", "cioccolato"] });
    expect(words.includes(Buffer.from("▁gattino"))).toBe(true);
    expect(words.includes(Buffer.from("▁cioccolato"))).toBe(true);
    expect(plain.includes(Buffer.from("▁gattino"))).toBe(false);
    expect(words.includes(Buffer.from("tiny-random-llama-words"))).toBe(true);
  });

  it("refuses what is not a word (JSON-unsafe, digits, astral) and too many words", () => {
    expect(() => buildTinyGguf({ words: ['ci"ao'] })).toThrow(/not a word/);
    expect(() => buildTinyGguf({ words: ["a1"] })).toThrow(/not a word/);
    expect(() => buildTinyGguf({ words: ["𝒜bc"] })).toThrow(/not a word/);
    expect(() => buildTinyGguf({ words: Array.from({ length: 2001 }, () => "ab") })).toThrow(/at most 2000/);
  });
});

describe("shipped word lists (data/tiny-words)", () => {
  it("lists the languages and refuses one without a list in one line", () => {
    expect(tinyWordLanguages()).toEqual(expect.arrayContaining(["fr", "id", "it"]));
    expect(() => tinyWordsFor("xx")).toThrow(
      /^no word list for "xx" \(data\/tiny-words has: .*fr.*; or give --words FILE\)$/,
    );
    const dir = mkdtempSync(join(tmpdir(), "tiny-words-"));
    writeFileSync(join(dir, "eo.txt"), "saluton\n\nmi \n");
    expect(tinyWordsFor("eo", dir)).toEqual(["saluton", "mi"]);
  });

  // what the word model writes inside a JSON string: words of the list drawn at random, a few to two dozen
  it.each(tinyWordLanguages())("word salad from the %s list passes the language gate", (language) => {
    const words = tinyWordsFor(language);
    expect(words.length).toBeGreaterThanOrEqual(300);
    const rng = createRng(7);
    let failed = 0;
    for (let i = 0; i < 200; i++) {
      const text = Array.from({ length: 1 + Math.floor(rng.next() * 24) }, () => rng.pick(words)).join(" ");
      if (
        turnGateFailures([{ speaker: "A", text }], 0, { lang: language, checks: ["language", "code_switching"] })
          .length > 0
      )
        failed++;
    }
    expect(failed).toBeLessThanOrEqual(4);
  });
});
