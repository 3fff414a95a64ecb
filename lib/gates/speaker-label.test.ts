import { describe, expect, it } from "vitest";
import { checkTurn } from "./index.js";
import { fails } from "./test-helpers.js";

const label = (lang: string, text: string) => fails("speaker_label", lang, text);

describe("speaker_label", () => {
  it.each([
    ["en", "A: hello there, how are you?"],
    ["en", "B: I'm fine thanks."],
    ["en", "User 2: I like dogs."],
    ["en", "Persona 1: I work as a nurse."],
    ["en", "Speaker A: hey!"],
    ["en", "**User 1:** hi"],
    ["en", "Assistant: Sure, I love hiking."],
    ["en", "I love hiking.\nB: Me too, where do you go?"],
    ["es", "Usuario 2: ¡hola! ¿qué tal?"],
    ["fr", "Utilisateur 1 : salut, ça va ?"],
    ["it", "Utente 2: ciao, come stai?"],
    ["id", "Pengguna 1: hai, apa kabar?"],
    ["zh", "用户1：你好，最近怎么样？"],
    ["zh", "甲：你好！"],
    ["ko", "사용자 1: 안녕하세요!"],
    ["ja", "ユーザー1：こんにちは！"],
    ["ja", "話者A：元気ですか？"],
  ])("%s: %s", (lang, text) => {
    expect(label(lang, text)).toBe(true);
  });

  it("uses the dialogue's own speaker names", () => {
    const turns = [
      { speaker: "Ana", text: "Hola, ¿cómo estás?" },
      { speaker: "Luis", text: "Luis: muy bien, ¿y tú?" },
    ];
    expect(checkTurn(turns, 1, { lang: "es" }).map((f) => f.check)).toContain("speaker_label");
  });

  it.each([
    ["en", "It's 10:30 already, time flies."],
    ["en", "I said: no way!"],
    ["en", "My favourite things: pizza and dogs."],
    ["en", "Plan B: we stay home and watch movies."],
    ["en", "Note to self: buy milk."],
    ["es", "La persona que conocí: muy simpática."],
    ["ja", "時間は10：30です。"],
    ["zh", "我的爱好：看书和跑步。"],
  ])("not a label: %s: %s", (lang, text) => {
    expect(label(lang, text)).toBe(false);
  });
});
