/**
 * `placeholder`: template slots left in a turn — [name], [User 2's name], {city}, {{hobby}}, <NAME>,
 * [insert hobby], NAME_1, ___, 【名前】, ○○さん. Runs on the NFKC-folded text, so fullwidth ［］｛｝＜＞ are
 * covered by the ASCII patterns.
 */

import type { TextAnalysis } from "./analysis.js";

/** Words that make a bracketed or parenthesised phrase a slot rather than text, in several languages. */
const SLOT_WORDS =
  "name|names|nickname|insert|enter|your|user|persona|speaker|city|town|country|place|location|hobby|hobbies|job|occupation|profession|age|number|date|pet|food|" +
  "nombre|ciudad|país|lugar|edad|pasatiempo|trabajo|insertar|usuario|" +
  "nom|prénom|ville|pays|lieu|âge|passe-temps|métier|insérer|utilisateur|" +
  "nome|città|paese|luogo|età|hobby|lavoro|inserire|utente|" +
  "nama|kota|negara|tempat|umur|usia|hobi|pekerjaan|masukkan|pengguna|" +
  "cidade|país|idade|profissão|inserir|usuário|" +
  "stadt|land|ort|alter|beruf|einfügen|benutzer|" +
  "имя|город|страна|возраст|хобби|профессия|" +
  "名前|名字|姓名|名称|名稱|地名|城市|都市|国名|國家|国家|场所|場所|趣味|爱好|愛好|职业|職業|仕事|年龄|年齡|年齢|插入|入力|ユーザー|用户|用戶|" +
  "이름|도시|나라|장소|취미|직업|나이|입력|사용자";

const CJK_SLOT_RE = new RegExp(`(?:${SLOT_WORDS})`, "iu");

const HTML_TAGS = new Set([
  "br",
  "b",
  "i",
  "u",
  "p",
  "em",
  "strong",
  "div",
  "span",
  "a",
  "s",
  "hr",
  "li",
  "ul",
  "ol",
  "sup",
  "sub",
  "small",
  "code",
  "pre",
]);

interface Rule {
  re: RegExp;
  accept(m: RegExpMatchArray): boolean;
}

const RULES: Rule[] = [
  // {city}, {{name}}, {0}
  { re: /\{\{?\s*[^{}\n]{1,60}?\s*\}?\}/g, accept: (m) => /[\p{L}\p{N}]/u.test(m[0]) },
  // [name], [User 2's name], [insert hobby]; not markdown links [text](url), not note/translation brackets
  {
    re: /\[([^[\]\n]{1,60})\](?!\()/g,
    accept: (m) => {
      const inner = (m[1] ?? "").trim();
      if (!/\p{L}/u.test(inner)) return false; // [1], [?]
      if (
        /^(?:translation|traduction|traducción|tradução|traduzione|übersetzung|terjemahan|note|nota|注|翻译|翻訳|번역|sic)\b/iu.test(
          inner,
        )
      )
        return false;
      return inner.split(/\s+/).length <= 6;
    },
  },
  // <NAME>, <user's name>, <insert city>; not <3, ->, or HTML tags
  {
    re: /<\s*([\p{L}_][\p{L}\p{N}_' .-]{0,40}?)\s*>/gu,
    accept: (m) => {
      const inner = (m[1] ?? "").trim();
      if (HTML_TAGS.has(inner.toLowerCase())) return false;
      return true;
    },
  },
  // NAME_1, USER_2, CITY_NAME
  { re: /(?<![\p{L}\p{N}_])[A-Z]{2,}_(?:\d+|[A-Z]{2,})(?![\p{L}\p{N}_])/gu, accept: () => true },
  // fill-in blanks: ___ or ＿＿＿
  { re: /_{3,}|＿{2,}/g, accept: () => true },
  // 【名前】 〔city〕 with a slot word inside
  { re: /[【〔〖]([^【】〔〕〖〗\n]{1,20})[】〕〗]/g, accept: (m) => CJK_SLOT_RE.test(m[1] ?? "") },
  // Japanese/Chinese blanks: ○○さん, 〇〇, ××, XX先生
  {
    re: /[○〇◯●□◇△×]{2,}|(?<![A-Za-z])(?:XX|xx|ＸＸ)(?=さん|様|君|ちゃん|先生|氏|市|县|縣|省|公司|大学|大學)/g,
    accept: () => true,
  },
  // a masked name written against CJK / Hangul text: 我叫XXX，저는 OOO이라고, 김OO 씨 (Latin X/O runs used as blanks)
  {
    re: /(?<![A-Za-z])(?:X{2,}|x{3,}|O{2,}|o{3,})(?![A-Za-z])/g,
    accept: (m) => {
      const text = m.input ?? "";
      const i = m.index ?? 0;
      const near = text.slice(Math.max(0, i - 2), i) + text.slice(i + m[0].length, i + m[0].length + 2);
      return /[\p{Script=Han}\p{Script=Hangul}\p{Script=Hiragana}\p{Script=Katakana}]/u.test(near);
    },
  },
  // (your name), (insert city), (nombre) — only with a slot word, short
  {
    re: /\(([^()\n]{1,40})\)/g,
    accept: (m) => {
      const inner = (m[1] ?? "").trim();
      if (inner.split(/\s+/).length > 5) return false;
      return (
        /^(?:insert|enter|your|user|persona|insertar|insérer|inserire|masukkan|inserir|einfügen)\b/iu.test(inner) ||
        /^(?:name|nombre|nom|nome|nama|名前|이름|名字)$/iu.test(inner)
      );
    },
  },
];

export function checkPlaceholder(a: TextAnalysis): string | undefined {
  const text = a.nfkc;
  if (!/[{[<_【〔〖○〇◯●□◇△×(＿]|XX|xx|OO|ooo/.test(text)) return undefined;
  for (const rule of RULES) {
    rule.re.lastIndex = 0;
    for (const m of text.matchAll(rule.re)) {
      if (rule.accept(m)) return `template slot ${JSON.stringify(m[0].length > 40 ? `${m[0].slice(0, 39)}…` : m[0])}`;
    }
  }
  return undefined;
}
