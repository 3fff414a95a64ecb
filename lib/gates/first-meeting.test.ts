import { describe, expect, it } from "vitest";
import { dialogueGateFailures, turnGateFailures, type GateTurn } from "./index.js";

const one = (text: string, sessionsBefore: number | undefined, lang: string) =>
  turnGateFailures([{ speaker: "A", text }], 0, {
    lang,
    ...(sessionsBefore === undefined ? {} : { sessionsBefore }),
  }).filter((f) => f.check === "first_meeting");

describe("first_meeting gate", () => {
  const strangers: [string, string][] = [
    ["es", "¡Hola Marta! Encantada de conocerte, ¿qué tal todo?"],
    ["es", "Oye, por cierto, ¿cómo te llamas?"],
    ["es", "Un placer conocerte por fin."],
    ["en", "Hi! Nice to meet you, I'm Tom."],
    ["en", "So what’s your name?"],
    ["fr", "Salut ! Enchantée de faire ta connaissance."],
    ["fr", "Et toi, comment tu t'appelles ?"],
    ["it", "Ciao, piacere di conoscerti!"],
    ["pt", "Olá, prazer em te conhecer!"],
    ["de", "Hallo, freut mich, dich kennenzulernen!"],
    ["id", "Halo, salam kenal ya!"],
    ["ru", "Привет! Очень приятно познакомиться."],
    ["ja", "はじめまして、田中です。"],
    ["ko", "처음 뵙겠습니다. 저는 민수예요."],
    ["zh", "你好，很高兴认识你！"],
    ["zh-Hant", "你好，很高興認識你！"],
  ];
  it.each(strangers)("fails a later session's %s message that greets a stranger: %s", (lang, text) => {
    const [failure] = one(text, 1, lang);
    expect(failure?.detail).toMatch(/talked once before/);
    // the quote is the formula found, as written
    const quoted = JSON.parse(/^(".*?") greets/.exec(failure!.detail)![1]!) as string;
    expect(text).toContain(quoted);
  });

  it.each(strangers)("lets the same %s message open a first meeting: %s", (lang, text) => {
    expect(one(text, 0, lang)).toEqual([]);
    expect(one(text, undefined, lang)).toEqual([]);
  });

  const acquaintances: [string, string][] = [
    ["es", "Gracias, con mucho gusto te ayudo el sábado."],
    ["es", "Tu madre vendrá? Estaré encantada de conocerla."],
    ["es", "¿Cómo se llama el libro que me dijiste?"],
    ["en", "My name is on the list, so we can get in."],
    ["en", "What's the name of that café again?"],
    ["ko", "다시 만나서 반가워요!"],
    ["id", "Senang bertemu denganmu lagi!"],
    ["de", "Ich freue mich, sie kennenzulernen, deine Schwester klingt toll."],
    ["tr", "Kadın ne dedi sana?"],
    ["ja", "初めて行ったお店はどうだった？"],
  ];
  it.each(acquaintances)("passes a %s message acquaintances say: %s", (lang, text) => {
    expect(one(text, 2, lang)).toEqual([]);
  });

  it("names the sessions before, and checks every message of a later session's dialogue", () => {
    const turns: GateTurn[] = [
      { speaker: "A", text: "¡Marta! ¿Qué tal fue la excursión a la sierra?" },
      { speaker: "B", text: "Genial, aunque, perdona, ¿cómo te llamas?" },
    ];
    const failures = dialogueGateFailures(turns, { lang: "es", sessionsBefore: 3 }).filter(
      (f) => f.check === "first_meeting",
    );
    expect(failures).toEqual([{ check: "first_meeting", turn: 1, detail: expect.stringContaining("3 times before") }]);
  });
});
