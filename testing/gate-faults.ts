/**
 * Fault injection for the gates benchmark: realistic generation failures, written in the dialogue's language.
 * Each fault names the check that must catch it.
 *
 * Two sets of templates: the ones below were written alongside the gates' patterns; the `held_out_*` faults
 * draw from data/gate-faults.json, written apart from the patterns after forms real models produce
 * (`{{user}}`, `<|im_start|>`, `[Your Name]`, "Note:", "(Translation: …)", "Claro, aquí tienes" …).
 */

import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { z } from "zod";
import { createRng } from "../lib/random.js";
import type { CheckName, GateTurn } from "../lib/gates/types.js";

export type FaultType =
  | "foreign"
  | "placeholder"
  | "speaker_label"
  | "ai_disclaimer"
  | "held_out_placeholder"
  | "held_out_speaker_label"
  | "held_out_ai_disclaimer"
  | "repeat"
  | "empty";

export const FAULTS: readonly FaultType[] = [
  "foreign",
  "placeholder",
  "speaker_label",
  "ai_disclaimer",
  "held_out_placeholder",
  "held_out_speaker_label",
  "held_out_ai_disclaimer",
  "repeat",
  "empty",
];

export const RIGHT_CHECK: Readonly<Record<FaultType, CheckName>> = {
  foreign: "language",
  placeholder: "placeholder",
  speaker_label: "speaker_label",
  ai_disclaimer: "meta_text",
  held_out_placeholder: "placeholder",
  held_out_speaker_label: "speaker_label",
  held_out_ai_disclaimer: "meta_text",
  repeat: "repetition",
  empty: "empty",
};

const TemplatesByLang = z.record(z.string(), z.array(z.string().min(1)).min(1));

/** data/gate-faults.json: per fault kind, per language ("any": every language) templates; `$TURN` = the turn. */
export const HeldOutTemplatesSchema = z.object({
  about: z.string().optional(),
  placeholder: TemplatesByLang,
  speaker_label: TemplatesByLang,
  ai_disclaimer: TemplatesByLang,
});
export type HeldOutTemplates = z.infer<typeof HeldOutTemplatesSchema>;

export const DEFAULT_HELD_OUT_TEMPLATES = fileURLToPath(new URL("../data/gate-faults.json", import.meta.url));

/** Reads and validates the held-out templates; a bad file is a one-line Error naming it. */
export function loadHeldOutTemplates(path = DEFAULT_HELD_OUT_TEMPLATES): HeldOutTemplates {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, "utf8"));
  } catch (e) {
    throw new Error(`fault templates ${path}: ${(e as Error).message}`, { cause: e });
  }
  const parsed = HeldOutTemplatesSchema.safeParse(json);
  if (!parsed.success) {
    const i = parsed.error.issues[0]!;
    throw new Error(`fault templates ${path}: ${i.path.join(".") || "(root)"}: ${i.message}`);
  }
  return parsed.data;
}

const TURN = "$TURN";

/** Applies a held-out template: `$TURN` is replaced by the turn; otherwise the template replaces the turn or is joined to it. */
function applyTemplate(template: string, turn: string, lang: string, r: () => number, prefix: boolean): string {
  if (template.includes(TURN)) return template.split(TURN).join(turn);
  if (prefix) return `${template}${turn}`;
  return r() < 0.5 ? template : joinSentence(lang, turn, template);
}

/** Seeded draws in [0, 1) (lib/random.ts's generator), so runs are reproducible. */
export function rng(seed: number): () => number {
  const generator = createRng(seed);
  return () => generator.next();
}

export function pick<T>(r: () => number, xs: readonly T[]): T {
  const x = xs[Math.floor(r() * xs.length)];
  if (x === undefined) throw new Error("pick from empty list");
  return x;
}

const PLACEHOLDERS: Readonly<Record<string, readonly string[]>> = {
  en: [
    "My name is [name].",
    "Nice to meet you, [User 2's name]!",
    "I live in {city}.",
    "Hi <NAME>, how are you?",
    "I love [insert hobby] on weekends.",
    "I work as a {{occupation}}.",
    "My dog is called [Dog's Name].",
  ],
  fr: [
    "Je m'appelle [nom].",
    "Enchanté, [prénom de l'utilisateur 2] !",
    "J'habite à {ville}.",
    "Salut <NOM>, ça va ?",
    "J'adore [insérer un passe-temps] le week-end.",
    "Je travaille comme {{métier}}.",
  ],
  it: [
    "Mi chiamo [nome].",
    "Piacere, [nome dell'utente 2]!",
    "Vivo a {città}.",
    "Ciao <NOME>, come stai?",
    "Adoro [inserire hobby] nel fine settimana.",
    "Lavoro come {{professione}}.",
  ],
  id: [
    "Nama saya [nama].",
    "Senang bertemu denganmu, [nama Pengguna 2]!",
    "Saya tinggal di {kota}.",
    "Hai <NAMA>, apa kabar?",
    "Saya suka [masukkan hobi] di akhir pekan.",
    "Saya bekerja sebagai {{pekerjaan}}.",
  ],
  ja: [
    "私の名前は[名前]です。",
    "はじめまして、【ユーザー2の名前】さん！",
    "{都市}に住んでいます。",
    "こんにちは、<名前>さん。",
    "週末は[趣味を入力]が好きです。",
    "〇〇さん、元気ですか？",
  ],
  ko: [
    "제 이름은 [이름]입니다.",
    "만나서 반가워요, [사용자 2의 이름]님!",
    "저는 {도시}에 살아요.",
    "안녕 <이름>, 잘 지내?",
    "주말에는 [취미 입력]을 좋아해요.",
    "저는 {{직업}}으로 일해요.",
  ],
  zh: [
    "我叫[名字]。",
    "很高兴认识你，[用户2的名字]！",
    "我住在{城市}。",
    "你好<名字>，最近怎么样？",
    "我周末喜欢[插入爱好]。",
    "【名字】你好！",
  ],
};

const LABELS_GENERIC = ["A: ", "B: ", "User 2: ", "Persona 1: ", "Speaker A: ", "**User 1:** ", "User: "];
const LABELS: Readonly<Record<string, readonly string[]>> = {
  en: ["Speaker 2: ", "Person B: "],
  fr: ["Utilisateur 1 : ", "Personne A : ", "Interlocuteur 2 : "],
  it: ["Utente 2: ", "Persona 1: ", "Interlocutore A: "],
  id: ["Pengguna 1: ", "Orang 2: ", "Pembicara A: "],
  ja: ["ユーザー1：", "話者A：", "人物B："],
  ko: ["사용자 1: ", "화자 A: ", "페르소나 2: "],
  zh: ["用户1：", "说话人A：", "人物2："],
};

const DISCLAIMERS: Readonly<Record<string, readonly string[]>> = {
  en: [
    "As an AI language model, I don't have personal experiences.",
    "As an AI, I don't have a dog, but I love hearing about yours!",
    "I'm just an AI, so I don't really have hobbies.",
    "I am an AI and cannot eat pizza, but it sounds delicious.",
    "As a language model, I can't travel anywhere.",
  ],
  fr: [
    "En tant qu'IA, je n'ai pas d'animaux, mais j'adore les chiens !",
    "En tant que modèle de langage, je ne peux pas voyager.",
    "Je suis une intelligence artificielle, donc je n'ai pas de famille.",
    "En tant qu'intelligence artificielle, je n'ai pas d'expériences personnelles.",
    "Je ne suis qu'une IA, je ne mange pas.",
  ],
  it: [
    "Come modello linguistico, non ho esperienze personali.",
    "In quanto IA, non posso mangiare la pizza.",
    "Sono un'intelligenza artificiale, quindi non ho un lavoro.",
    "Come intelligenza artificiale, non ho animali domestici.",
    "Essendo un'IA, non posso viaggiare.",
  ],
  id: [
    "Sebagai model bahasa AI, saya tidak memiliki pengalaman pribadi.",
    "Sebagai AI, saya tidak punya hewan peliharaan.",
    "Saya hanyalah sebuah AI, jadi saya tidak bisa makan.",
    "Sebagai kecerdasan buatan, saya tidak memiliki keluarga.",
    "Saya adalah AI dan tidak bisa bepergian.",
  ],
  ja: [
    "AI言語モデルとして、私には個人的な経験はありません。",
    "私はAIなので、犬を飼うことはできません。",
    "人工知能として、趣味は持っていません。",
    "AIとして、食べ物を味わうことはできませんが、ピザは美味しそうですね。",
    "私はただのAIですから、旅行はできません。",
  ],
  ko: [
    "AI 언어 모델로서 저는 개인적인 경험이 없습니다.",
    "저는 인공지능이라서 음식을 먹을 수 없어요.",
    "AI로서 저는 취미가 없지만 이야기하는 것은 좋아해요.",
    "인공지능으로서 저는 가족이 없어요.",
    "저는 AI이기 때문에 여행을 할 수 없어요.",
  ],
  zh: [
    "作为一个人工智能语言模型，我没有个人经历。",
    "作为AI，我不能养宠物。",
    "我是一个人工智能，所以我没有爱好。",
    "作为一个AI，我无法品尝食物，但披萨听起来很好吃。",
    "我只是一个语言模型，不能去旅行。",
  ],
};

const EMPTIES = ["", " ", "\n", "\u200b", "  \t "];

export interface Injected {
  turns: GateTurn[];
  index: number;
  /** false when the fault cannot be placed in this dialogue (e.g. repeat with one turn) */
  ok: boolean;
}

/** Language key for the template tables ("ja" for ja-JP, fallback en). */
function key(lang: string): string {
  const base = lang.toLowerCase().split("-")[0] ?? "en";
  return base in DISCLAIMERS ? base : "en";
}

function joinSentence(lang: string, a: string, b: string): string {
  const k = key(lang);
  return k === "ja" || k === "zh" ? `${a}${b}` : `${a} ${b}`;
}

export interface ForeignPool {
  /** turns of other languages' dialogues, keyed by language */
  byLang: ReadonlyMap<string, readonly string[]>;
  /** templates of the held_out_* faults (loadHeldOutTemplates) */
  heldOut?: HeldOutTemplates;
}

export function inject(
  fault: FaultType,
  turns: readonly GateTurn[],
  lang: string,
  r: () => number,
  foreign: ForeignPool,
): Injected {
  const out = turns.map((t) => ({ ...t }));
  const k = key(lang);
  const min = fault === "repeat" ? 1 : 0;
  if (out.length <= min) return { turns: out, index: 0, ok: false };
  const index = min + Math.floor(r() * (out.length - min));
  const turn = out[index]!;
  switch (fault) {
    case "foreign": {
      const others = [...foreign.byLang.keys()].filter((l) => l !== lang);
      const src = pick(r, others);
      turn.text = pick(r, foreign.byLang.get(src)!);
      break;
    }
    case "placeholder": {
      const t = pick(r, PLACEHOLDERS[k]!);
      turn.text = r() < 0.5 ? t : joinSentence(lang, turn.text, t);
      break;
    }
    case "speaker_label": {
      const labels = [...LABELS_GENERIC, ...(LABELS[k] ?? [])];
      const label = pick(r, labels);
      if (r() < 0.8) turn.text = `${label}${turn.text}`;
      else {
        // the model wrote the other speaker's next line into the same turn
        const other = out[(index + 1) % out.length]!.text;
        turn.text = `${turn.text}\n${label}${other}`;
      }
      break;
    }
    case "ai_disclaimer": {
      const d = pick(r, DISCLAIMERS[k]!);
      turn.text = r() < 0.5 ? d : joinSentence(lang, d, turn.text);
      break;
    }
    case "held_out_placeholder":
    case "held_out_speaker_label":
    case "held_out_ai_disclaimer": {
      if (!foreign.heldOut) throw new Error(`fault ${fault} needs the held-out templates (loadHeldOutTemplates)`);
      const kind =
        fault === "held_out_placeholder"
          ? "placeholder"
          : fault === "held_out_speaker_label"
            ? "speaker_label"
            : "ai_disclaimer";
      const table = foreign.heldOut[kind];
      const own = table[lang] ?? table[k] ?? [];
      const t = pick(r, [...(table["any"] ?? []), ...own]);
      turn.text = applyTemplate(t, turn.text, lang, r, kind === "speaker_label");
      break;
    }
    case "repeat": {
      const j = Math.floor(r() * index);
      let text = out[j]!.text;
      const v = r();
      if (v < 0.25) text = text.toUpperCase() === text ? text : text.charAt(0).toUpperCase() + text.slice(1);
      else if (v < 0.5) text = text.replace(/[.!?。！？]+\s*$/u, "").trim();
      turn.text = text;
      break;
    }
    case "empty":
      turn.text = pick(r, EMPTIES);
      break;
  }
  return { turns: out, index, ok: true };
}
