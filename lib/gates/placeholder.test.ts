import { describe, expect, it } from "vitest";
import { fails, failuresOf } from "../../testing/gate-helpers.js";

const ph = (lang: string, text: string) => fails("placeholder", lang, text);

describe("placeholder", () => {
  it.each([
    ["en", "My name is [name]."],
    ["en", "Nice to meet you, [User 2's name]!"],
    ["en", "I live in {city}."],
    ["en", "I work as a {{occupation}}."],
    ["en", "Hi <NAME>, how are you?"],
    ["en", "I love [insert hobby] on weekends."],
    ["en", "Hello NAME_1, nice to meet you."],
    ["en", "My name is ____ and I like dogs."],
    ["en", "Hi (your name), how was work?"],
    ["es", "Me llamo [nombre] y vivo en {ciudad}."],
    ["fr", "Je m'appelle [nom]."],
    ["id", "Nama saya [nama]."],
    ["ja", "私の名前は【名前】です。"],
    ["ja", "〇〇さん、元気ですか？"],
    ["ja", "私の名前は［名前］です。"], // fullwidth brackets
    ["ko", "제 이름은 [이름]입니다."],
    ["zh", "我住在{城市}。"],
    ["zh", "你好<名字>，最近怎么样？"],
  ])("%s: %s", (lang, text) => {
    expect(ph(lang, text)).toBe(true);
  });

  // masked names written against CJK / Hangul text with Latin X / O runs
  it.each([
    ["zh", "我的同事XX昨天辞职了。"],
    ["zh", "我在XXX公司上班。"],
    ["ko", "제 친구 OO이는 요리사예요."],
    ["ja", "XXX社で働いています。"],
  ])("masked name %s: %s", (lang, text) => {
    expect(ph(lang, text)).toBe(true);
  });

  it("quotes the slot", () => {
    expect(failuresOf("placeholder", "en", "Nice to meet you, [User 2's name]!")[0]?.detail).toBe(
      'template slot "[User 2\'s name]"',
    );
  });

  it.each([
    ["en", "I <3 my dog so much"],
    ["en", "3 < 5 and 7 > 2, easy math"],
    ["en", "That costs $5 (five dollars), not bad."],
    ["en", "I paid for it with my own money (finally)."],
    ["en", "line one<br>line two"],
    ["en", "See [1] for details"],
    ["ja", "「名前」は何ですか？"],
    ["ja", "好きな食べ物は？（笑）"],
    ["zh", "我叫李明，很高兴认识你！"],
    ["fr", "Je m'appelle Anna (enfin, Annie pour les amis)."],
    ["en", "Love you, xxx"],
    ["en", "OOO until Monday, sorry"],
    ["zh", "我喜欢看X战警系列电影"],
  ])("not a slot: %s: %s", (lang, text) => {
    expect(ph(lang, text)).toBe(false);
  });
});
