/**
 * `speaker_label`: a role label written into the turn text — "A:", "User 2:", "Persona 1:", "Speaker A:",
 * "Usuario 2:", "Utilisateur 1 :", "用户1：", "사용자 1:", "ユーザー1：", or the dialogue's own speaker names —
 * at the start of the text or of any line. Matched on the NFKC form (fullwidth colon and digits folded).
 */

import type { TextAnalysis } from "./analysis.js";

/** Labels that are labels on their own ("User:", "Asistente:", "用户："). */
const STANDALONE = [
  // en
  "user",
  "speaker",
  "assistant",
  "chatbot",
  "bot",
  "human",
  "ai",
  "interlocutor",
  "partner",
  "model",
  "narrator",
  // section headers of instruction templates ("### Response:", "Answer:")
  "response",
  "answer",
  "reply",
  "instruction",
  "output",
  "input",
  // character-card macros ("{{char}}:", "{{user}}:")
  "char",
  // es / pt / it / fr / de / nl
  "usuario",
  "usuaria",
  "hablante",
  "asistente",
  "interlocutora",
  "usuário",
  "usuária",
  "utilizador",
  "utilizadora",
  "falante",
  "utente",
  "parlante",
  "interlocutore",
  "interlocutrice",
  "assistente",
  "utilisateur",
  "utilisatrice",
  "locuteur",
  "locutrice",
  "interlocuteur",
  "assistante",
  "benutzer",
  "benutzerin",
  "nutzer",
  "nutzerin",
  "sprecher",
  "sprecherin",
  "gebruiker",
  "spreker",
  // id / ms / tr / pl / vi / ru / uk
  "pengguna",
  "pembicara",
  "penutur",
  "asisten",
  "lawan bicara",
  "kullanıcı",
  "konuşmacı",
  "użytkownik",
  "rozmówca",
  "người dùng",
  "người nói",
  "пользователь",
  "собеседник",
  "собеседница",
  "ассистент",
  "користувач",
  "співрозмовник",
  // zh / ja / ko
  "用户",
  "用戶",
  "使用者",
  "说话人",
  "說話人",
  "说话者",
  "說話者",
  "发言人",
  "發言人",
  "助手",
  "甲",
  "乙",
  "ユーザー",
  "ユーザ",
  "話者",
  "発話者",
  "アシスタント",
  "사용자",
  "유저",
  "화자",
  "어시스턴트",
  "상대방",
  // ar / hi / sw
  "المستخدم",
  "مستخدم",
  "المتحدث",
  "उपयोगकर्ता",
  "वक्ता",
  "mtumiaji",
  "mzungumzaji",
];

/** Labels only when followed by an identifier ("Persona 1:", "Person A:", "人物A："). */
const NEEDS_ID = [
  "person",
  "persona",
  "personne",
  "pessoa",
  "persoon",
  "orang",
  "participant",
  "participante",
  "partecipante",
  "peserta",
  "teilnehmer",
  "deelnemer",
  "character",
  "personaje",
  "personnage",
  "personaggio",
  "personagem",
  "tokoh",
  "kişi",
  "katılımcı",
  "osoba",
  "uczestnik",
  "nhân vật",
  "человек",
  "персона",
  "участник",
  "人物",
  "角色",
  "人格",
  "参与者",
  "參與者",
  "ペルソナ",
  "人",
  "참가자",
  "인물",
  "페르소나",
  "사람",
  "speaker",
  "user",
  "usuario",
  "utilisateur",
  "utente",
  "pengguna",
  "ユーザー",
  "사용자",
  "用户",
  "用戶",
];

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
const alt = (xs: readonly string[]) =>
  [...new Set(xs)]
    .sort((a, b) => b.length - a.length)
    .map(escape)
    .join("|");

const START = String.raw`(?:^|\n)[\s>*_\-"'“‘「『(\[•·#{]*`;
const ID = String.raw`\s*(?:#|no\.?|n°|nº|nr\.?)?\s*(?:\d{1,2}|[a-z](?![\p{L}])|[一二三四五六七八九十甲乙丙丁])`;
const SAYS = String.raw`(?:\s*(?:说|說|曰|says|said|dice|dit|disse|sagt|berkata))?`;
const CLOSE = String.raw`[\s*_)\]」』"'”’}]*:`;
const END = String.raw`(?:\s*\([^()\n]{1,30}\))?${SAYS}${CLOSE}`;

const WORD_LABEL = new RegExp(
  `${START}(?:(?:${alt(STANDALONE)})(?:${ID})?|(?:${alt(NEEDS_ID)})${ID}|[psu]\\d{1,2})${END}`,
  "iu",
);
/** "A:", "B:" — upper case only, so that ordinary sentences are not caught; "Aさん：", "B씨:" */
const LETTER_LABEL = new RegExp(
  `${START}[A-Z](?:\\s*(?:さん|様|氏|君|씨|님))?(?:\\s*\\([^()\\n]{1,30}\\))?${CLOSE}(?!\\d)`,
  "u",
);
/** A CJK / Hangul noun with an identifier: "参加者2：", "話し手B：", "참여자 1:" */
const CJK_ID_LABEL = new RegExp(
  `${START}[\\p{Script=Han}\\p{Script=Katakana}\\p{Script=Hangul}ー]{1,6}\\s*(?:\\d{1,2}|[A-Z])(?:\\s*(?:さん|様|氏|씨|님))?${CLOSE}(?!\\d{2})`,
  "u",
);
/**
 * One capitalised word alone before a colon at the start of a line: a role or a name ("Friend: …", "Mike: …").
 * A capitalised interjection used the same way ("Honestly: …") fails too; lower-case ("honestly: …") passes.
 */
const ROLE_WORD_LABEL = new RegExp(`${START}\\p{Lu}\\p{Ll}{1,14}${CLOSE}[ \\t]+(?=[\\p{L}\\p{N}])`, "u");
/** Chat-template control tokens: "<|im_start|>assistant", "<|user|>", "[INST]", "<s>" */
const TEMPLATE_TOKEN = /<\|[^|<>\n]{1,30}\|>|\[\/?INST\]|<\/?s>|<<\/?SYS>>/u;
/** Words that open a note rather than name a speaker ("Note: …" is meta_text's business) */
const NOT_ROLE = new Set([
  "note",
  "nota",
  "remarque",
  "catatan",
  "edit",
  "ps",
  "update",
  "translation",
  "traduction",
  "traduzione",
  "terjemahan",
  "hint",
  "tip",
  "warning",
]);

const nameCache = new Map<string, RegExp | null>();

function namesLabel(names: readonly string[]): RegExp | null {
  const key = names.join("\u0000");
  let re = nameCache.get(key);
  if (re === undefined) {
    const usable = names.map((n) => n.normalize("NFKC").trim()).filter((n) => n.length >= 2 && n.length <= 40);
    re = usable.length ? new RegExp(`${START}(?:${alt(usable)})${END}`, "iu") : null;
    if (nameCache.size > 500) nameCache.clear();
    nameCache.set(key, re);
  }
  return re;
}

export function checkSpeakerLabel(a: TextAnalysis, speakerNames: readonly string[]): string | undefined {
  const text = a.nfkc;
  if (text.includes("<") || text.includes("[")) {
    const t = TEMPLATE_TOKEN.exec(text);
    if (t) return `chat-template token ${JSON.stringify(t[0])}`;
  }
  if (!text.includes(":")) return undefined;
  const m =
    WORD_LABEL.exec(text) ??
    LETTER_LABEL.exec(text) ??
    CJK_ID_LABEL.exec(text) ??
    namesLabel(speakerNames)?.exec(text) ??
    roleWord(text);
  if (!m) return undefined;
  const label = m[0].replace(/^\s+/, "").trim();
  return `speaker label ${JSON.stringify(label.length > 30 ? `${label.slice(0, 29)}…` : label)}${m.index > 0 && text.slice(0, m.index).trim() ? " at the start of a line" : " at the start"}`;
}

function roleWord(text: string): RegExpExecArray | null {
  const m = ROLE_WORD_LABEL.exec(text);
  if (!m) return null;
  const word = m[0].replace(/[^\p{L}]/gu, "").toLowerCase();
  return NOT_ROLE.has(word) ? null : m;
}
