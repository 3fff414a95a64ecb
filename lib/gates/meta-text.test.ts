import { describe, expect, it } from "vitest";
import { fails } from "../../testing/gate-helpers.js";

const meta = (lang: string, text: string) => fails("meta_text", lang, text);

describe("meta_text: AI disclaimers", () => {
  it.each([
    ["en", "As an AI language model, I don't have personal experiences."],
    ["en", "As an AI, I can't own a dog, but I love hearing about yours!"],
    ["en", "I'm just an AI, so I don't really have hobbies."],
    ["en", "I don't have personal preferences, but pizza sounds great."],
    ["fr", "En tant qu'IA, je n'ai pas d'animaux."],
    ["fr", "En tant que modèle de langage, je ne peux pas voyager."],
    ["es", "Como modelo de lenguaje, no tengo mascotas."],
    ["es", "Soy una inteligencia artificial, así que no como."],
    ["pt", "Como uma IA, eu não tenho família."],
    ["it", "In quanto IA, non posso mangiare la pizza."],
    ["de", "Als KI habe ich keine Haustiere."],
    ["id", "Sebagai model bahasa AI, saya tidak memiliki pengalaman pribadi."],
    ["ja", "AI言語モデルとして、私には個人的な経験はありません。"],
    ["ja", "私はAIなので、犬を飼うことはできません。"],
    ["zh", "作为一个人工智能，我没有个人经历。"],
    ["zh", "作为一个人工智能语言模型，我不能吃东西。"],
    ["zh", "作為一個人工智慧，我沒有寵物。"],
    ["ko", "AI 언어 모델로서 저는 개인적인 경험이 없습니다."],
    ["ko", "저는 인공지능이라서 음식을 먹을 수 없어요."],
    ["ru", "Как языковая модель, я не могу путешествовать."],
    ["tr", "Bir yapay zeka olarak kişisel deneyimlerim yok."],
  ])("%s: %s", (lang, text) => {
    expect(meta(lang, text)).toBe(true);
  });
});

describe("meta_text: notes and stage directions", () => {
  it.each([
    ["en", "I love dogs! (Translation: me encantan los perros)"],
    ["es", "¡Me encantan los perros! (Traducción: I love dogs)"],
    ["en", "Note: this reply is informal.\nHey, what's up?"],
    ["fr", "Remarque : le ton est familier."],
    ["zh", "我喜欢狗。\n注：这是非正式的语气。"],
    ["ja", "犬が好きです。（翻訳：I like dogs）"],
    ["en", "(continues the conversation) So, what do you do?"],
    ["en", "[End of dialogue]"],
    ["en", "Here's the next turn: I love hiking too!"],
    ["es", "¡Claro! Aquí está la respuesta: me gusta el cine."],
    ["id", "Berikut adalah percakapan selanjutnya: saya suka kopi."],
    ["en", "¡Hola! (which means hello in Spanish)"],
  ])("%s: %s", (lang, text) => {
    expect(meta(lang, text)).toBe(true);
  });
});

describe("meta_text: general forms", () => {
  it.each([
    ["id", "Oke, ini balasannya: saya juga suka berenang."],
    ["fr", "D'accord, voilà ma réplique : j'adore nager."],
    ["en", "Okay, the following is my reply: i swim too."],
    ["ja", "承知しました。以下が応答です：私も泳ぎます。"],
    ["zh", "好的，如下是我的回答：我也喜欢游泳。"],
    ["ko", "네, 아래는 제 응답이에요: 저도 수영 좋아해요."],
    ["it", "Nel ruolo di assistente virtuale non posso nuotare."],
    ["ko", "챗봇이라서 수영은 못 해요."],
    ["ko", "나는 인공지능이니까 잠을 안 자."],
  ])("%s: %s", (lang, text) => {
    expect(meta(lang, text)).toBe(true);
  });
});

describe("meta_text: what must pass", () => {
  it.each([
    ["en", "As an AI researcher, I spend my days training models."],
    ["en", "I work in AI at a small startup."],
    ["en", "I'm an AI engineer, so I code all day."],
    ["en", "I don't have a dog, but I have two cats."],
    ["en", "Take note of the time, we leave at six."],
    ["en", "Haha (laughs) that's so funny."],
    ["fr", "Je travaille dans l'intelligence artificielle depuis cinq ans."],
    ["fr", "En tant qu'infirmière, je travaille la nuit."],
    ["es", "Soy ingeniera de IA en Madrid."],
    ["es", "Como ingeniero, trabajo mucho."],
    ["it", "Sono un ricercatore di intelligenza artificiale."],
    ["de", "Ich arbeite als KI-Forscherin in Berlin."],
    ["id", "Saya bekerja di bidang AI di Jakarta."],
    ["ja", "私はAIエンジニアです。"],
    ["zh", "作为一名人工智能工程师，我每天都很忙。"],
    ["zh", "我在一家人工智能公司工作。"],
    ["zh", "我是程序员。"],
    ["ko", "저는 AI 개발자예요."],
    ["id", "ini rumah saya: kecil tapi nyaman."],
    ["en", "here is the thing: i never liked the dialogue in that movie"],
    ["ja", "以下の通り、私は猫が好きです。"],
  ])("%s: %s", (lang, text) => {
    expect(meta(lang, text)).toBe(false);
  });
});
