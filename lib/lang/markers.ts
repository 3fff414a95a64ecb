/**
 * Sentence "glue" words: pronouns, copulas and auxiliaries, negation, question words — the words a clause in
 * a language can hardly do without, and which names, titles and borrowed noun phrases ("the walking dead",
 * "new kids on the block", "live action roleplaying", "bon jovi, poison, journey") lack.
 *
 * The gates use them one way only: a detector verdict for another language is trusted when the text holds
 * that language's glue words, and treated as names/loanwords when it holds none. `COMMON` lists further
 * frequent words of a language that must not count as another language's glue when that language is the
 * target (English "to", "on", "am" vs Polish "to", "on", Romanian "am").
 *
 * Lists are short and hand-picked for the languages that most often intrude in generated text; for any other
 * detector verdict the union of all lists is used.
 */

const GLUE: Readonly<Record<string, string>> = {
  en: "i i'm im i've i'd i'll you you're youre your he she it it's we we're they they're is are am was were be been have has had do does did don't dont doesn't didn't can can't cannot will won't would not this that what how why who where there my me him her us them our their",
  fr: "je j' tu il elle nous vous ils elles est suis es sommes êtes sont ai as avons avez ont ne n' pas c' ce que qu' qui quoi comment pourquoi où mon ma mes ton ta tes moi toi oui",
  es: "yo tú él ella nosotros vosotros ellos ellas usted es soy eres somos son estoy estás está estamos están tengo tienes tiene hemos han qué cómo dónde porque mi mis me te se nos muy también pero sí hay",
  it: "io tu lui lei noi voi loro è sono sei siamo siete ho hai ha abbiamo avete hanno non che cosa come dove perché mi ti ci vi si mio mia tuo tua anche molto sì questo questa quello sto stai sta",
  pt: "eu você voce ele ela nós eles elas é sou és somos são estou está estamos tenho tem temos não que como onde porque meu minha seu sua também muito sim isso isto",
  de: "ich du er wir ihr bin bist ist sind seid habe hast hat haben nicht keine kein was wie wo warum mein meine dein deine auch sehr nein",
  nl: "ik jij hij zij wij jullie ben bent zijn heb hebt heeft hebben niet geen wat hoe waarom waar mijn jouw ook heel",
  ms: "saya aku kamu anda dia kami kita mereka adalah ialah ini itu tidak tak bukan apa bagaimana mengapa kenapa yang juga sudah akan sangat punya ada",
  tr: "ben sen biz siz onlar değil var yok ne nasıl neden nerede bu şu çok evet hayır mı mi musun misin",
  pl: "ja ty ona my wy oni jestem jesteś jest są mam masz nie co jak gdzie dlaczego mój moja też bardzo tak",
  ro: "eu tu el ea noi voi ei sunt ești este suntem sunteți am ai are avem nu ce cum unde meu mea tău foarte da asta acesta",
  ca: "jo tu ell ella nosaltres vosaltres ells sóc ets és som sou són estic estàs està tinc tens té què com perquè molt també sí aquest això",
  sv: "jag du han hon vi ni är var har hade inte vad hur varför min mitt din också mycket nej det",
  da: "jeg du han hun vi de er var har havde ikke hvad hvordan hvorfor min mit din også meget nej det",
  no: "jeg du han hun vi dere de er var har hadde ikke hva hvordan hvorfor min mitt din også veldig nei det",
  tl: "ako ikaw ka siya kami tayo kayo sila ay hindi oo ano paano bakit saan ko mo niya namin natin po naman lang din rin",
  ru: "я ты он она мы вы они это не нет да что как где почему мой моя твой тоже очень есть был была",
  uk: "я ти він вона ми ви вони це не ні так що як де чому мій моя твій теж дуже є",
  cs: "já ty on ona my vy oni jsem jsi je jsme jste jsou není ne ano co jak kde proč můj moje také velmi to",
  sk: "ja ty on ona my vy oni som si je sme ste sú nie áno čo ako kde prečo môj moja tiež veľmi to",
  vi: "tôi bạn anh chị em nó họ là không có gì sao của rất cũng vâng này đó",
};

/** Articles, prepositions, conjunctions and other frequent words: shared across related languages, so not evidence. */
const COMMON: Readonly<Record<string, string>> = {
  en: "the a an and of in on to for with at by from so but or as if just like too yes no oh all go get got very really also then than out up about",
  fr: "de la le les un une des du et à au aux en pour par sur avec dans mais ou si très aussi bien non a y",
  es: "de la el los las un una y a en por para con sin sobre pero o si no muy bien",
  it: "di da a in con su per tra fra il lo la i gli le un una e o ma se no del della",
  pt: "de do da dos das em no na a o os as um uma e ou mas se para por com",
  de: "der die das den dem des ein eine und oder aber in im an am auf zu mit von für ja so",
  nl: "de het een en of maar in op aan te met van voor ja zo",
  ms: "di ke dari dan atau tapi tetapi untuk dengan pada ya lagi",
  tr: "ve ile de da bir için",
  pl: "i w z na do o dla",
  ro: "de la în pe cu și sau dar un o pentru",
  ca: "de la el els les un una i a en per amb",
  sv: "och i på en ett att med för av till den",
  da: "og i på en et at med for af til den",
  no: "og i på en et å med for av til den",
  tl: "ang ng mga sa na at",
  ru: "и в с на",
  uk: "і в з на",
  cs: "a s v na",
  sk: "a s v na",
  vi: "và với",
};

const toSet = (s: string | undefined) => new Set((s ?? "").split(" ").filter(Boolean));

const glue = new Map<string, Set<string>>();
for (const [k, v] of Object.entries(GLUE)) glue.set(k, toSet(v));
const common = new Map<string, Set<string>>();
for (const k of new Set([...Object.keys(GLUE), ...Object.keys(COMMON)]))
  common.set(k, new Set([...toSet(GLUE[k]), ...toSet(COMMON[k])]));
const unionGlue = new Set<string>();
for (const s of glue.values()) for (const w of s) unionGlue.add(w);

/** For each word, the listed languages that have it as glue or common word. */
const owners = new Map<string, Set<string>>();
for (const [lang, words] of common)
  for (const w of words) {
    let o = owners.get(w);
    if (!o) owners.set(w, (o = new Set()));
    o.add(lang);
  }

/** What a listed word is to a set of target languages (lexicallyTarget's cases). */
const enum Role {
  /** glue of a target language that no other listed language has, or only other targets: evidence of the target */
  OwnGlue,
  /** a function word of a target that is not such evidence (shared with another language, or only common) */
  OwnOther,
  /** glue of some other listed language, and no function word of a target */
  OtherGlue,
  /** only a common word of other listed languages */
  OtherCommon,
}

/** The listed words as one set of target languages sees them, computed once per set (a run has a handful). */
interface Lexicon {
  role: ReadonlyMap<string, Role>;
  /** glue of a target that no other listed language has (lexicalAnchor) */
  anchors: ReadonlySet<string>;
  /** glue and common words of the targets (not foreign evidence) */
  common: ReadonlySet<string>;
  /** glue of any listed language that is not a glue or common word of a target (foreignGlue for any verdict) */
  foreignGlue: ReadonlySet<string>;
}

const lexicons = new Map<string, Lexicon>();
/** the last target list asked for and its lexicon: callers pass the same list for a whole run (Target.codes) */
let last: { target: readonly string[]; lexicon: Lexicon } | undefined;

function lexiconOf(target: readonly string[]): Lexicon {
  if (last?.target === target) return last.lexicon;
  const lexicon = lexiconFor(target);
  last = { target, lexicon };
  return lexicon;
}

function lexiconFor(target: readonly string[]): Lexicon {
  const key = target.join(" ");
  let lexicon = lexicons.get(key);
  if (lexicon) return lexicon;
  const role = new Map<string, Role>();
  const anchors = new Set<string>();
  const targetCommon = new Set<string>();
  for (const t of target) for (const w of common.get(t) ?? []) targetCommon.add(w);
  for (const [w, o] of owners) {
    const ownGlue = target.some((t) => glue.get(t)?.has(w));
    const onlyTargets = [...o].every((l) => target.includes(l));
    if (!target.some((t) => o.has(t)))
      role.set(w, [...o].some((l) => glue.get(l)?.has(w)) ? Role.OtherGlue : Role.OtherCommon);
    else role.set(w, ownGlue && (o.size === 1 || onlyTargets) ? Role.OwnGlue : Role.OwnOther);
    if (ownGlue && onlyTargets) anchors.add(w);
  }
  const foreign = new Set([...unionGlue].filter((w) => !targetCommon.has(w)));
  lexicons.set(key, (lexicon = { role, anchors, common: targetCommon, foreignGlue: foreign }));
  return lexicon;
}

/**
 * Strong lexical evidence that `words` are written in one of the `target` languages: at least two glue
 * words that belong to no other listed language, making up at least a fifth of the words, and no word that
 * is glue of another listed language only. Used to skip the detector for plainly target-language text; it
 * never rejects anything.
 */
export function lexicallyTarget(words: readonly string[], target: readonly string[]): boolean {
  if (words.length < 2) return false;
  const role = lexiconOf(target).role;
  let own = 0;
  for (const word of words) {
    for (const f of forms(word)) {
      const r = role.get(f);
      // unlisted, or a word other languages only have as a common word: look at the next form
      if (r === undefined || r === Role.OtherCommon) continue;
      // a word some other language uses as glue: mixed or foreign text, let the detector decide
      if (r === Role.OtherGlue) return false;
      if (r === Role.OwnGlue) own++;
      break;
    }
  }
  return own >= 2 && own * 5 >= words.length;
}

/**
 * The words carry glue of a target language that no other listed language uses, and no glue of any other
 * listed language: whatever the detector's verdict, the text is built on the target language (names, titles
 * and loanwords aside). Equivalent to "no foreign glue and some own glue" for every possible verdict.
 */
export function lexicalAnchor(words: readonly string[], target: readonly string[]): boolean {
  const lexicon = lexiconOf(target);
  if (foreignGlue(words, "", target).length > 0) return false;
  for (const word of words) for (const f of forms(word)) if (lexicon.anchors.has(f)) return true;
  return false;
}

/** Glue words of any listed language except the targets (and their common words) among `words`. */
export function anyForeignGlue(words: readonly string[], target: readonly string[]): boolean {
  return foreignGlue(words, "", target).length > 0;
}

/** Languages with a glue list. */
export const GLUE_LANGUAGES: ReadonlySet<string> = new Set(glue.keys());

/** Lower-cased word; for elided forms (j'ai, c'est) also the part up to the apostrophe; hyphen parts (avez-vous). */
function forms(word: string): readonly string[] {
  let cached = formsOf.get(word);
  if (!cached) {
    if (formsOf.size >= FORMS_CACHE_SIZE) formsOf.clear();
    formsOf.set(word, (cached = wordForms(word)));
  }
  return cached;
}

/** The forms of the words seen last (a turn is checked by several of the functions above, word by word). */
const formsOf = new Map<string, readonly string[]>();
const FORMS_CACHE_SIZE = 50_000;

function wordForms(word: string): string[] {
  const w = word.toLowerCase().replace(/’/g, "'");
  const out = [w];
  const k = w.indexOf("'");
  if (k > 0 && k < w.length - 1) out.push(w.slice(0, k + 1), w.slice(k + 1));
  if (w.includes("-")) for (const part of w.split("-")) if (part) out.push(part);
  return out;
}

/**
 * Glue words of language `lang` (or of any listed language, when `lang` has no list) among `words`, not
 * counting words that are glue or common words of any of the `target` languages.
 */
export function foreignGlue(words: readonly string[], lang: string, target: readonly string[]): string[] {
  const lexicon = lexiconOf(target);
  const own = glue.get(lang);
  // any listed language's glue, less the targets' words, is one set; one language's glue is checked against them
  const list = own ?? lexicon.foreignGlue;
  const targetWords = own ? lexicon.common : undefined;
  const found: string[] = [];
  for (const word of words) {
    for (const f of forms(word)) {
      if (!list.has(f)) continue;
      if (targetWords?.has(f)) continue;
      found.push(f);
      break;
    }
  }
  return found;
}

/**
 * Number of glue words of language `lang` itself among `words` (0 when there is no list), leaving out words
 * that are also glue or common words of language `other`.
 */
export function ownGlue(words: readonly string[], lang: string, other?: string): number {
  const list = glue.get(lang);
  if (!list) return 0;
  const exclude = other ? common.get(other) : undefined; // an unlisted language: nothing known to exclude
  let n = 0;
  for (const word of words) if (forms(word).some((f) => list.has(f) && !exclude?.has(f))) n++;
  return n;
}

/** Whether a glue list exists for the language (detector code). */
export function hasGlue(lang: string): boolean {
  return glue.has(lang);
}

/**
 * Function words (glue or common words) of `lang` among `words` that are not function words of any of the
 * `exclude` languages: "dan", "ya" are Indonesian evidence against an English verdict; "in", "a" are shared by
 * English and Italian and evidence of neither.
 */
export function exclusiveFunctionWords(words: readonly string[], lang: string, exclude: readonly string[]): string[] {
  const own = common.get(lang);
  if (!own) return [];
  const found: string[] = [];
  for (const word of words) {
    for (const f of forms(word)) {
      if (!own.has(f)) continue;
      if (exclude.some((l) => common.get(l)?.has(f))) break;
      found.push(f);
      break;
    }
  }
  return found;
}

/**
 * The listed language (other than the targets) with the most distinct function words in `words` that no
 * target language has, when it has at least `min` of them and the text has no function word of a target that
 * this language lacks; undefined otherwise. One pass over the words.
 */
export function foreignFunctionWordEvidence(
  words: readonly string[],
  target: readonly string[],
  min: number,
): { lang: string; words: string[] } | undefined {
  let found: Map<string, Set<string>> | undefined;
  let targetOwners: Set<string>[] | undefined;
  for (const word of words) {
    // every form of the word counts for the target ("a-t-il": "il"); the first listed form for other languages
    let foreign: string | undefined;
    let own = false;
    for (const f of forms(word)) {
      const o = owners.get(f);
      if (!o) continue;
      if (target.some((t) => o.has(t))) {
        (targetOwners ??= []).push(o);
        own = true;
      } else foreign ??= f;
    }
    if (own || foreign === undefined) continue;
    found ??= new Map();
    for (const l of owners.get(foreign)!) {
      let set = found.get(l);
      if (!set) found.set(l, (set = new Set()));
      set.add(foreign);
    }
  }
  if (!found) return undefined;
  let best = "";
  let bestWords: Set<string> | undefined;
  for (const [l, set] of found)
    if (set.size > (bestWords?.size ?? 0)) {
      best = l;
      bestWords = set;
    }
  if (!bestWords || bestWords.size < min) return undefined;
  if (targetOwners?.some((o) => !o.has(best))) return undefined;
  return { lang: best, words: [...bestWords] };
}
