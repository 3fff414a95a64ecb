import { describe, expect, it } from "vitest";
import { turnGateFailures } from "./index.js";
import { fails } from "../../testing/gate-helpers.js";

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

  // general forms (chat-template tokens, instruction headers, macros, a lone role word, CJK noun + id)
  it.each([
    ["en", "<|assistant|>\nsure, i walk my dog every morning"],
    ["en", "i love pasta too <|im_end|>"],
    ["en", "[INST] tell me about your job [/INST] I fix bikes."],
    ["en", "### Answer:\nI grew up on a farm."],
    ["en", "{{user}}: do you like the beach?"],
    ["en", "Neighbor: I grow tomatoes every summer."],
    ["fr", "Voisine : je cultive des tomates."],
    ["ja", "回答者1：私は毎朝走ります。"],
    ["ja", "Bさん：そうですね。"],
    ["ko", "응답자 B: 저는 매일 달려요."],
    ["zh", "发言者2：我每天早上跑步。"],
  ])("general form %s: %s", (lang, text) => {
    expect(label(lang, text)).toBe(true);
  });

  it("uses the dialogue's own speaker names", () => {
    const turns = [
      { speaker: "Ana", text: "Hola, ¿cómo estás?" },
      { speaker: "Luis", text: "Luis: muy bien, ¿y tú?" },
    ];
    expect(turnGateFailures(turns, 1, { lang: "es" }).map((f) => f.check)).toContain("speaker_label");
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
    ["en", "Update: I finally got the job!"],
    ["en", "the ratio was 3:2 in the end"],
    ["en", "honestly: it was the best trip ever"],
    ["ja", "東京都：晴れ"],
  ])("not a label: %s: %s", (lang, text) => {
    expect(label(lang, text)).toBe(false);
  });
});
