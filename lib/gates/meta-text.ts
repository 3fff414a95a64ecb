/**
 * `meta_text`: text about the generation rather than the conversation —
 * - AI self-identification / disclaimers ("As an AI language model", "En tant qu'IA", "作为一个人工智能",
 *   "Como modelo de lenguaje", "AI言語モデルとして", "AI 언어 모델로서", "Sebagai model bahasa AI" …);
 * - translation notes and notes to the reader ("(Translation: …)", "Note:", "(意思是…)");
 * - stage directions about the task ("(continues the conversation)", "[End of dialogue]", "Here's the next
 *   turn:").
 *
 * The AI patterns require the self-identifying construction ("as an AI," / "I am an AI and …"), so a persona
 * who works in AI ("As an AI researcher, I …", "je travaille dans l'IA", "作为一名人工智能工程师") is not
 * caught. Matched on the NFKC, lower-cased text.
 */

import type { TextAnalysis } from "./analysis.js";

const L = String.raw`\p{L}\p{N}`;
/** start of a word */
const B = String.raw`(?<![${L}])`;
/**
 * After "AI"/"IA"/"KI" and similar: the phrase must end here (punctuation, end, or a clause-continuing word),
 * so "as an AI researcher" / "come IA generativa" do not match.
 */
const AFTER = String.raw`(?=\s*(?:[,.;:!?،。，！？、…—–]|$)|\s+(?:i|i'm|je|j'|yo|eu|io|ich|ik|saya|aku|я|ben|jestem|tôi|and|et|y|e|und|en|dan|и|ve|so|donc|así|quindi|also|jadi|но|but|mais|pero|mas|ma|aber|maar|tapi|no|não|non|nicht|tidak|niet|не|cannot|can't|don't|do|n'|ne|developed|trained|created|made|designed|without|who|which|che|que|qui|yang|habe|hab|bin|kann|kenne|weiß|heb|ben|kan|weet|tengo|puedo|tenho|posso|ho|ai|peux)(?![${L}])|$)`;

const AI_EN = String.raw`(?:ai|a\.i\.|artificial intelligence)(?:\s+(?:language\s+)?model|\s+assistant|\s+chatbot|\s+system|\s+program)?`;
const AI_FR = String.raw`(?:ia|i\.a\.|intelligence artificielle|assistant(?:e)? (?:virtuel(?:le)?|ia|numérique)|chatbot|programme informatique)`;
const AI_ES = String.raw`(?:ia|i\.a\.|inteligencia artificial|asistente (?:virtual|de ia|ia|ai)|chatbot|programa informático)`;
const AI_PT = String.raw`(?:ia|i\.a\.|inteligência artificial|assistente (?:virtual|de ia|ia|ai)|chatbot|programa de computador)`;
const AI_IT = String.raw`(?:ia|i\.a\.|intelligenza artificiale|assistente (?:virtuale|ia|ai|digitale)|chatbot|programma informatico)`;
const AI_DE = String.raw`(?:ki|künstliche intelligenz|ki-assistent(?:in)?|chatbot|computerprogramm)`;
/** "AI" / "artificial intelligence", optionally followed by "language model" / "assistant" …, or "(large) language model" */
const AI_ZH = String.raw`(?:(?:ai|人工智能|人工智慧)(?:语言模型|語言模型|助手|助理|模型|程序|程式|机器人|機器人)?|(?:大型)?(?:语言模型|語言模型)|虚拟助手|虛擬助理|聊天机器人|聊天機器人)`;
const AI_JA = String.raw`(?:(?:ai|人工知能)(?:言語モデル|アシスタント|モデル)?|(?:大規模)?言語モデル|チャットボット)`;
const AI_KO = String.raw`(?:(?:ai|인공지능|인공 지능)(?: ?언어 ?모델| ?어시스턴트| ?모델)?|언어 ?모델|챗봇)`;
const AI_ID = String.raw`(?:ai|a\.i\.|kecerdasan buatan|asisten (?:virtual|ai)|chatbot|program komputer)`;

const PATTERNS: RegExp[] = [
  // ---- English
  new RegExp(`${B}as an? ${AI_EN}${AFTER}`, "u"),
  new RegExp(`${B}as an? (?:ai |large |)language model`, "u"),
  new RegExp(
    `${B}i(?:'m|’m| am) (?:just |only |merely |simply |not a human,? but )?(?:an? )?(?:${AI_EN}|(?:large )?language model|chatbot|virtual assistant|computer program|bot)${AFTER}`,
    "u",
  ),
  new RegExp(
    `${B}i (?:don't|don’t|do not|cannot|can't|am not able to) (?:have|experience|feel) (?:personal (?:experiences?|opinions?|feelings?|preferences?|emotions?)|(?:feelings|emotions) (?:like|as) (?:a )?humans?|a (?:physical )?body|physical (?:form|experiences?))`,
    "u",
  ),
  new RegExp(
    `${B}(?:my (?:training data|knowledge cutoff)|(?:trained|developed|created) by (?:openai|anthropic|google|meta|mistral|alibaba))`,
    "u",
  ),
  new RegExp(
    `${B}i(?:'m|’m| am) not (?:a )?(?:real |actual )?(?:human(?: being)?|person)(?=\\s*[,.;:!?]|\\s+(?:but|and|so)(?![${L}])|$)`,
    "u",
  ),
  // ---- French
  new RegExp(
    `${B}en tant qu(?:e |'|’)(?:(?:une?|l'|l’) ?)?(?:${AI_FR}${AFTER}|mod[eè]le (?:de (?:langage|langue)|linguistique))`,
    "u",
  ),
  new RegExp(
    `${B}je (?:ne )?suis (?:qu['’]|que )?(?:juste |seulement |simplement )?(?:une? )?(?:${AI_FR}${AFTER}|mod[eè]le (?:de (?:langage|langue)|linguistique))`,
    "u",
  ),
  new RegExp(
    `${B}je n['’]ai pas (?:d['’]expériences? personnelles?|de corps(?: physique)?|d['’]opinions? personnelles?|de (?:sentiments|émotions) (?:comme|propres))`,
    "u",
  ),
  // ---- Spanish
  new RegExp(`${B}como (?:una? )?(?:${AI_ES}${AFTER}|modelo (?:de lenguaje|lingüístico))`, "u"),
  new RegExp(
    `${B}soy (?:solo |solamente |sólo |simplemente |únicamente )?(?:una? )?(?:${AI_ES}${AFTER}|modelo (?:de lenguaje|lingüístico))`,
    "u",
  ),
  new RegExp(
    `${B}no tengo (?:experiencias personales|cuerpo(?: físico)?|opiniones personales|(?:sentimientos|emociones) (?:propios|propias|como (?:los )?humanos))`,
    "u",
  ),
  // ---- Portuguese
  new RegExp(`${B}como (?:uma? )?(?:${AI_PT}${AFTER}|modelo de (?:linguagem|idioma))`, "u"),
  new RegExp(
    `${B}sou (?:apenas |só |somente |simplesmente )?(?:uma? )?(?:${AI_PT}${AFTER}|modelo de (?:linguagem|idioma))`,
    "u",
  ),
  new RegExp(`${B}não tenho (?:experiências pessoais|corpo(?: físico)?|opiniões pessoais)`, "u"),
  // ---- Italian
  new RegExp(
    `${B}(?:come|in quanto|essendo|in qualità di|nel ruolo di) (?:una? |un['’])?(?:${AI_IT}${AFTER}|modello (?:di linguaggio|linguistico))`,
    "u",
  ),
  new RegExp(
    `${B}sono (?:solo |soltanto |semplicemente |solamente )?(?:una? |un['’])?(?:${AI_IT}${AFTER}|modello (?:di linguaggio|linguistico))`,
    "u",
  ),
  new RegExp(`${B}non ho (?:esperienze personali|un corpo(?: fisico)?|opinioni personali)`, "u"),
  // ---- German / Dutch
  new RegExp(`${B}als (?:eine? )?(?:${AI_DE}${AFTER}|(?:ki-)?sprachmodell)`, "u"),
  new RegExp(`${B}ich bin (?:nur |bloß |lediglich )?(?:eine? )?(?:${AI_DE}${AFTER}|(?:ki-)?sprachmodell)`, "u"),
  new RegExp(`${B}ich habe keine (?:persönlichen (?:erfahrungen|gefühle|meinungen)|körper)`, "u"),
  new RegExp(
    `${B}(?:als|ik ben) (?:maar |slechts |gewoon )?(?:een )?(?:(?:ai|kunstmatige intelligentie)${AFTER}|(?:ai-)?taalmodel)`,
    "u",
  ),
  // ---- Indonesian / Malay
  new RegExp(`${B}sebagai (?:sebuah |seorang |suatu )?(?:${AI_ID}${AFTER}|model bahasa)`, "u"),
  new RegExp(
    `${B}(?:saya|aku) (?:adalah |hanyalah |hanya |cuma |ini |ialah )*(?:sebuah |seorang |suatu )?(?:${AI_ID}${AFTER}|model bahasa)`,
    "u",
  ),
  new RegExp(
    `${B}(?:saya|aku) tidak (?:memiliki|punya|mempunyai) (?:pengalaman pribadi|tubuh fisik|perasaan seperti manusia)`,
    "u",
  ),
  // ---- Japanese
  new RegExp(`${AI_JA}(?:として|なので|だから|ですので|であるため|のため|の私)`, "u"),
  new RegExp(
    `(?:私|わたし|僕|ぼく)は(?:ただの|単なる)?(?:${AI_JA}|プログラム)(?:です|であり|なので|だから|で、|ですから|にすぎ)`,
    "u",
  ),
  // ---- Chinese
  new RegExp(
    `作[为為](?:一[个個名款种種位])?${AI_ZH}(?=[,，。.!！;；、\\s]|$|我|本|没有|沒有|无法|無法|不能|并|並)`,
    "u",
  ),
  new RegExp(
    `我(?:只|只不过|只不過|仅仅|僅僅)?是(?:一[个個名款种種位])?(?:${AI_ZH}|程序|程式)(?=[,，。.!！;；\\s]|$|所以|因此|因而|而且|没有|沒有|无法|無法|不能|并|並|而已)`,
    "u",
  ),
  // ---- Korean
  new RegExp(`${AI_KO}(?:으로서|로서|으로써|로써)`, "u"),
  new RegExp(
    `(?:저는|나는|전|난) (?:그냥 |단지 |한낱 )?(?:${AI_KO}|프로그램)(?:이기 때문에|기 때문에|이라서|라서|이라|라|이므로|므로|이니까|니까|입니다|이에요|예요|이야|야|일 뿐|이고|고)(?![가-힣])`,
    "u",
  ),
  // "AI라서 …" ("being an AI, …") needs no subject
  new RegExp(`${AI_KO}(?:이기 때문에|이라서|라서|이므로|이니까)(?![가-힣])`, "u"),
  // ---- Russian / Ukrainian / Polish / Turkish / Vietnamese / Nordic / Czech / Greek
  new RegExp(
    `${B}(?:как|будучи) (?:ии|искусственный интеллект|языковая модель|модель ии|ai|виртуальный ассистент|чат-бот)${AFTER}`,
    "u",
  ),
  new RegExp(
    `${B}я (?:—|-|–)?\\s*(?:всего лишь |просто |лишь )?(?:ии|искусственный интеллект|языковая модель|чат-бот|виртуальный ассистент)${AFTER}`,
    "u",
  ),
  new RegExp(`${B}як (?:ші|штучний інтелект|мовна модель)${AFTER}`, "u"),
  new RegExp(
    `${B}(?:jako|jestem (?:tylko |jedynie )?)(?:model(?:em)? językow(?:y|ym)|sztuczn(?:a|ą) inteligencj(?:a|ą)|ai|si|chatbot(?:em)?)${AFTER}`,
    "u",
  ),
  new RegExp(`${B}bir (?:yapay zek[aâ]|dil modeli|ai|yapay zek[aâ] (?:dil )?modeli|sanal asistan) olarak`, "u"),
  new RegExp(
    `${B}(?:là|với tư cách là|vì là|tôi (?:chỉ )?là) (?:một )?(?:ai|trí tuệ nhân tạo|mô hình ngôn ngữ|trợ lý ảo)${AFTER}`,
    "u",
  ),
  new RegExp(
    `${B}(?:som|jeg er|jag är) (?:bare |bara )?(?:en )?(?:ai|ki|språkmodell|sprogmodel|kunstig intelligens|artificiell intelligens|ai-assistent)${AFTER}`,
    "u",
  ),
  new RegExp(`${B}jako (?:ai|umělá inteligence|jazykový model)${AFTER}`, "u"),
  new RegExp(`${B}ως (?:ένα )?(?:μοντέλο γλώσσας|γλωσσικό μοντέλο|τεχνητή νοημοσύνη|ai)${AFTER}`, "u"),
  // ---- Arabic / Persian / Hebrew / Hindi / Swahili / Thai
  /(?:بصفتي|كوني|باعتباري|بما أنني|بما انني)\s*(?:نموذج(?:اً|ا)? (?:لغة|لغوي)|ذكاء(?:ً|ا)? اصطناعي(?:اً|ا)?|مساعد(?:اً|ا)? (?:ذكي|افتراضي)|برنامج)/u,
  /أنا (?:مجرد )?(?:نموذج لغوي|ذكاء اصطناعي|برنامج ذكاء اصطناعي)/u,
  /به عنوان (?:یک )?(?:هوش مصنوعی|مدل زبانی)/u,
  /(?:כמודל שפה|כבינה מלאכותית|אני (?:רק )?(?:בינה מלאכותית|מודל שפה))/u,
  /(?:एक )?(?:एआई|ai|कृत्रिम बुद्धिमत्ता|भाषा मॉडल|एआई भाषा मॉडल)(?: भाषा मॉडल)? (?:के रूप में|होने के नाते)/u,
  /मैं (?:सिर्फ |केवल )?(?:एक )?(?:एआई|ai|कृत्रिम बुद्धिमत्ता|भाषा मॉडल) (?:हूँ|हूं)/u,
  new RegExp(`${B}(?:kama|mimi ni) (?:ai|akili bandia|modeli ya lugha)${AFTER}`, "u"),
  /(?:ในฐานะ(?:ที่เป็น)?|ฉันเป็น(?:เพียง)?|ผมเป็น(?:เพียง)?)\s*(?:ai|ปัญญาประดิษฐ์|โมเดลภาษา)/u,
];

const NOTE_WORDS =
  "note|nb|n\\.b\\.|translation|translated|traduction|traducción|tradução|traduzione|übersetzung|vertaling|terjemahan|перевод|" +
  "nota(?: bene)?|remarque|anmerkung|hinweis|catatan|keterangan|примечание|not|uwaga|ghi chú|" +
  "注意?|备注|備註|注释|注釋|翻译|翻譯|翻訳|注記|備考|참고|메모|주의|번역";

const GLOSS_WORDS =
  "which means|meaning|literally|lit\\.|in english|en anglais|en inglés|in inglese|em inglês|auf englisch|dalam bahasa inggris|" +
  "significa|signifie|ce qui signifie|vuol dire|che significa|artinya|yang berarti|bedeutet|que significa|" +
  "意思是|意思|意味は|意味:|英語で|英文|英语|英語|영어로|뜻은|뜻:";

const TASK_WORDS =
  "dialogue|dialog|conversation|(?:next |my )?turn|(?:the )?response|reply|replies|responds?|continues?|continued|end of|roleplay|role-play|in character|out of character|ooc|" +
  "user ?\\d|persona ?\\d|speaker ?[a-z0-9]|" +
  "diálogo|conversación|respuesta|responde|continúa|personaje|usuario|" +
  "réplique|réponse|répond|continue|personnage|utilisateur|" +
  "conversazione|risposta|risponde|continua|personaggio|utente|" +
  "percakapan|giliran|menjawab|jawaban|balasan|tanggapan|melanjutkan|pengguna|" +
  "conversa|resposta|continua|personagem|usuário|" +
  "gespräch|antwort|antwortet|fortsetzung|" +
  "对话|對話|回复|回覆|继续|繼續|对话结束|角色|用户|用戶|" +
  "会話|対話|返答|返信|続け|ユーザー|ターン|" +
  "대화|응답|답변|계속|사용자|차례|" +
  "диалог|разговор|ответ|продолж|пользовател";

const NOTE_LINE = new RegExp(`(?:^|\\n)\\s*[(\\[*_]*\\s*(?:${NOTE_WORDS})\\s*[*_]*\\s*:`, "u");
const NOTE_BRACKET = new RegExp(`[(\\[]\\s*(?:${NOTE_WORDS}|${GLOSS_WORDS})(?:\\s*:|\\s)`, "u");
const BRACKETED = /[([*]([^()[\]*\n]{2,100})[)\]*]/gu;
const TASK_RE = new RegExp(`(?<![\\p{L}])(?:${TASK_WORDS})(?![a-z])`, "u");

const PREAMBLES: RegExp[] = [
  /^\W*(?:(?:sure|certainly|of course|okay|ok|alright|absolutely)\W+)?(?:here(?:'s|’s| is| are)|below is)\s+(?:the |a |my |your |an )?(?:next |continued |possible |revised |translated |final )?(?:turn|response|reply|dialogue|conversation|message|translation|continuation|answer)/u,
  /^\W*(?:(?:claro|por supuesto|desde luego)\W+)?aquí (?:está|tienes|va) (?:la |el |tu |mi |una |un )?(?:siguiente |próxima )?(?:respuesta|conversación|diálogo|turno|mensaje|traducción|continuación)/u,
  /^\W*(?:(?:bien sûr|d'accord|certainement)\W+)?voici (?:la |le |ma |mon |une |un )?(?:suite|réponse|dialogue|conversation|prochaine? (?:tour|réplique|réponse)|traduction|message)/u,
  /^\W*(?:(?:certo|certamente|va bene)\W+)?ecco (?:la |il |un |una )?(?:prossim[ao] )?(?:risposta|dialogo|conversazione|turno|traduzione|messaggio|continuazione)/u,
  /^\W*(?:(?:tentu|baik|oke|baiklah)\W+)?berikut (?:ini )?(?:adalah )?(?:percakapan|dialog|tanggapan|jawaban|balasan|terjemahan|lanjutan)/u,
  /^\W*(?:(?:claro|com certeza)\W+)?aqui (?:está|estão|vai) (?:a |o |uma |um )?(?:próxima |seguinte )?(?:resposta|conversa|diálogo|tradução|mensagem)/u,
  /^\W*(?:(?:klar|natürlich|gerne)\W+)?hier (?:ist|sind) (?:die |der |das |meine |eine )?(?:nächste |fortsetzung|antwort|dialog|gespräch|übersetzung)/u,
  /^\W*(?:好的|当然|當然|没问题|沒問題)?[!,.，。！\s]*(?:以下是|下面是|这是|這是)[^，。\n]{0,12}(?:对话|對話|回复|回覆|回答|翻译|翻譯|续写|續寫)/u,
  /^\W*(?:はい|もちろん|承知しました)?[!,.、。！\s]*(?:以下は|こちらは|次の)[^、。\n]{0,12}(?:会話|対話|返答|返信|翻訳|応答|続き)/u,
  /^\W*(?:네|물론|알겠습니다)?[!,.。！\s]*(?:다음은|여기)[^,.\n]{0,12}(?:대화|응답|답변|번역|답장)/u,
];

/**
 * Any language: a short lead-in before a colon that presents the output ("here / this / below / following" +
 * a task word: "Tentu, ini jawabannya:", "Ok, voilà ma réponse :", "물론이죠, 다음은 답변입니다:").
 */
const PRESENT_WORDS =
  "here|below|following|this is|aquí|voici|voilà|ecco|berikut|ini|aqui|hier|folgend|" +
  "以下|下面|如下|这是|這是|次の|こちら|これが|다음|여기|아래";
const LEAD_IN = /^([^:\n：]{1,60})[:：]/u;
const PRESENT_RE = new RegExp(`(?<![\\p{L}])(?:${PRESENT_WORDS})|以下|下面|如下|次の|こちら|다음|여기|아래`, "u");
const TASK_LEAD_RE = new RegExp(
  `(?<![\\p{L}])(?:${TASK_WORDS})(?:nya)?(?![a-z])|对话|對話|回复|回覆|回答|会話|対話|返答|返信|応答|回答|대화|응답|답변|답장`,
  "u",
);

/** Cheap pre-filters: a text none of whose hints occur cannot match the pattern group. */
const AI_HINT = new RegExp(
  String.raw`(?<![a-z])(?:ai|a\.i|ia|i\.a|ki|si|ии|ші)(?![a-z])|intelig|intellig|model|modèl|langage|lenguaje|linguag|linguist|chatbot|assist|asisten|program|kecerdasan|` +
    String.raw`人工|言語|语言|語言|인공|언어|챗봇|искусствен|языков|штучн|мовн|sztuczn|językow|yapay|trí tuệ|mô hình|trợ lý|språk|sprog|kunstig|artificiell|umělá|jazykov|` +
    String.raw`μοντέλο|τεχνητή|ذكاء|نموذج|برنامج|هوش|مدل|בינה|מודל|एआई|कृत्रिम|मॉडल|akili|modeli|ปัญญา|โมเดล|openai|anthropic|training data|knowledge cutoff|` +
    String.raw`personal|personn|persönlich|pribadi|pessoa|human|humain|person|body|physical|corps|cuerpo|corpo|körper|tubuh|feeling|emotion|émotion|sentiment|perasaan`,
  "u",
);
const PREAMBLE_HINT = /here|below|aquí|voici|ecco|berikut|aqui|hier|以下|下面|这是|這是|次の|こちら|다음|여기/u;

export function checkMetaText(a: TextAnalysis): string | undefined {
  const t = a.folded;
  if (AI_HINT.test(t)) {
    for (const re of PATTERNS) {
      const m = re.exec(t);
      if (m) return `AI self-reference ${quote(a, m)}`;
    }
  }
  const brackets = t.includes("(") || t.includes("[");
  let m = t.includes(":") ? NOTE_LINE.exec(t) : null;
  if (!m && brackets) m = NOTE_BRACKET.exec(t);
  if (m) return `note or translation ${quote(a, m)}`;
  if (PREAMBLE_HINT.test(t.slice(0, 60))) {
    for (const re of PREAMBLES) {
      m = re.exec(t);
      if (m) return `preamble about the task ${quote(a, m)}`;
    }
  }
  const lead = t.includes(":") || t.includes("：") ? LEAD_IN.exec(t) : null;
  if (lead && PRESENT_RE.test(lead[1]!) && TASK_LEAD_RE.test(lead[1]!))
    return `preamble about the task ${quote(a, lead)}`;
  if (t.includes("(") || t.includes("[") || t.includes("*")) {
    for (const b of t.matchAll(BRACKETED)) {
      if (TASK_RE.test(b[1] ?? "")) return `stage direction about the task ${JSON.stringify(clip(b[0]))}`;
    }
  }
  return undefined;
}

function quote(a: TextAnalysis, m: RegExpExecArray): string {
  // show the original-case text when the folded text has the same length (typical), else the folded match
  const raw = a.folded.length === a.text.length ? a.text.slice(m.index, m.index + m[0].length) : m[0];
  return JSON.stringify(clip(raw.trim()));
}

function clip(s: string, n = 40): string {
  const t = s.replace(/\s+/g, " ").trim();
  return t.length > n ? `${t.slice(0, n - 1)}…` : t;
}
