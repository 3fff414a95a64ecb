/**
 * Target languages: BCP-47 validation and everything the gates need to know about a language — its
 * expected scripts and how (or whether) the statistical detector can confirm it.
 *
 * Validation uses the runtime's ICU data: `Intl.getCanonicalLocales` for syntax and canonicalisation
 * (iw → he, in → id, tl → fil, sh → sr-Latn), `Intl.DisplayNames` with `fallback: "none"` to know whether a
 * primary language subtag exists. Languages the detector (eld, 60 languages) does not know are valid: the
 * language gate then relies on script evidence and on "not confidently another language", and
 * {@link LanguageInfo.detector} says so.
 */

/**
 * Languages of the detector (eld 2.x, ISO 639-1). Kept here as data so that resolving a tag does not load the
 * detector's model; lib/lang/detect.ts checks the list against the loaded model.
 */
export const ELD_LANGUAGES: ReadonlySet<string> = new Set(
  (
    "am ar az be bg bn ca cs da de el en es et eu fa fi fr gu he hi hr hu hy is it ja ka kn ko ku lo lt lv ml mr ms nl " +
    "no or pa pl pt ro ru sk sl sq sr sv ta te th tl tr uk ur vi yo zh"
  ).split(" "),
);

export interface DetectorSupport {
  /** detector codes whose verdict confirms the target (e.g. id → ms, nb → no, da) */
  accept: readonly string[];
  /** close relatives: a verdict for one of these only rejects a turn on stronger evidence */
  siblings: readonly string[];
  /** what the detector cannot tell apart for this target, shown in reports */
  note?: string;
}

export interface LanguageInfo {
  /** canonical BCP-47 tag (pt-BR, zh-Hant, he for iw …) */
  tag: string;
  /** primary language subtag */
  base: string;
  /** explicit or implied region subtag, if any */
  region?: string;
  englishName: string;
  nativeName: string;
  /** expected ISO 15924 scripts (Jpan for Japanese, Hang for Korean, Cyrl+Latn for Serbian, Hans or Hant …) */
  scripts: string[];
  /** the detector supports the language, directly or through a close-pair rule */
  detectable: boolean;
  detector: DetectorSupport;
}

export type ResolveResult = { ok: true; lang: LanguageInfo } | { ok: false; message: string };

const EXAMPLES = "expected a BCP-47 tag such as es, fr, pt-BR, zh-Hans";

/** Languages written in more than one script in everyday use; a tag without a script subtag accepts all. */
const MULTI_SCRIPT: Readonly<Record<string, string[]>> = {
  sr: ["Cyrl", "Latn"],
  bs: ["Latn", "Cyrl"],
  cnr: ["Latn", "Cyrl"],
  uz: ["Latn", "Cyrl"],
  zh: ["Hans", "Hant"],
  pa: ["Guru", "Arab"],
  ku: ["Latn", "Arab"],
  ms: ["Latn"],
};

/** Script of the tag preferred over the CLDR likely-subtags answer. */
const SCRIPT_OVERRIDE: Readonly<Record<string, string>> = {
  ko: "Hang", // Kore also allows Hanja, which chat never uses; Han in Korean text is evidence of another language
};

/** Tag language → detector language, where they differ. */
const DETECTOR_ALIAS: Readonly<Record<string, string>> = {
  nb: "no",
  nn: "no",
  fil: "tl",
  cnr: "hr",
};

interface PairRule {
  accept?: string[];
  siblings?: string[];
  note?: string;
  /** counts as detectable although the detector lacks the language */
  byPair?: boolean;
}

/**
 * Close pairs. `accept`: detector verdicts that confirm the target because the detector cannot separate the
 * two (Indonesian/Malay), or because the script already separates them (Serbian/Croatian/Bosnian).
 * `siblings`: languages the detector does separate but confuses on short or name-heavy text; they reject a
 * turn only on stronger evidence (longer text, larger margin, no target-like context).
 */
const PAIRS: Readonly<Record<string, PairRule>> = {
  id: {
    accept: ["ms"],
    byPair: true,
    note: "the detector has Malay, not Indonesian; Malay verdicts count as Indonesian (the two are not told apart)",
  },
  ms: { accept: ["ms"], note: "Malay and Indonesian are not told apart" },
  no: {
    accept: ["no", "da"],
    siblings: ["sv"],
    note: "Norwegian and Danish are not told apart; Swedish needs strong evidence",
  },
  nb: {
    accept: ["no", "da"],
    siblings: ["sv"],
    note: "Bokmål, Nynorsk and Danish are not told apart; Swedish needs strong evidence",
  },
  nn: {
    accept: ["no", "da"],
    siblings: ["sv"],
    note: "Nynorsk, Bokmål and Danish are not told apart; Swedish needs strong evidence",
  },
  da: {
    accept: ["da", "no"],
    siblings: ["sv"],
    note: "Danish and Norwegian are not told apart; Swedish needs strong evidence",
  },
  sv: { siblings: ["no", "da"], note: "Norwegian/Danish verdicts need strong evidence" },
  sr: {
    accept: ["sr", "hr"],
    siblings: ["sl", "bg", "ru", "uk"],
    note: "Serbian, Croatian and Bosnian are told apart by script only",
  },
  hr: {
    accept: ["hr"],
    siblings: ["sl", "sr", "cs", "sk"],
    note: "Croatian, Serbian (Latin) and Bosnian are not told apart",
  },
  bs: {
    accept: ["hr", "sr"],
    siblings: ["sl"],
    byPair: true,
    note: "the detector has Croatian and Serbian, not Bosnian; their verdicts count as Bosnian",
  },
  cnr: {
    accept: ["hr", "sr"],
    siblings: ["sl"],
    byPair: true,
    note: "the detector has Croatian and Serbian, not Montenegrin; their verdicts count as Montenegrin",
  },
  es: {
    siblings: ["ca", "pt", "it"],
    note: "Catalan/Portuguese verdicts need strong evidence; Galician is not detectable",
  },
  ca: { siblings: ["es", "fr", "it", "pt"], note: "Spanish verdicts need strong evidence" },
  pt: { siblings: ["es", "gl", "it"], note: "European and Brazilian Portuguese are not told apart" },
  gl: {
    accept: ["es", "pt"],
    siblings: ["ca"],
    note: "the detector has no Galician; Spanish/Portuguese verdicts are inconclusive",
  },
  it: { siblings: ["es", "ca", "pt"] },
  fr: { siblings: ["ca"] },
  ru: { siblings: ["uk", "be", "bg", "sr"] },
  uk: { siblings: ["ru", "be"] },
  be: { siblings: ["ru", "uk"] },
  bg: { siblings: ["ru", "sr", "uk"] },
  mk: {
    accept: ["bg", "sr"],
    siblings: ["ru"],
    note: "the detector has no Macedonian; Bulgarian/Serbian verdicts are inconclusive",
  },
  cs: { siblings: ["sk"] },
  sk: { siblings: ["cs"] },
  hi: { siblings: ["mr"], note: "Hindi and Urdu are told apart by script (Devanagari vs Arabic)" },
  mr: { siblings: ["hi"] },
  ne: { accept: ["hi", "mr"], note: "the detector has no Nepali; Hindi/Marathi verdicts are inconclusive" },
  ur: { siblings: ["fa", "ar"], note: "Urdu and Hindi are told apart by script (Arabic vs Devanagari)" },
  fa: { siblings: ["ar", "ur", "ku"] },
  ar: { siblings: ["fa", "ur", "ku"] },
  af: { accept: ["nl"], note: "the detector has no Afrikaans; Dutch verdicts are inconclusive" },
  nl: { siblings: ["af"] },
  lb: { accept: ["de"], note: "the detector has no Luxembourgish; German verdicts are inconclusive" },
  yue: { accept: ["zh"], note: "the detector has no Cantonese; Chinese verdicts are inconclusive" },
  zh: { note: "Simplified vs Traditional is checked on character forms when the tag asks for one" },
  fo: { accept: ["is", "da", "no"], note: "the detector has no Faroese" },
  oc: { accept: ["ca", "fr", "es"], note: "the detector has no Occitan" },
  ast: { accept: ["es"], note: "the detector has no Asturian" },
  eu: { siblings: ["es"] },
  tl: { siblings: ["ms"] },
  fil: { siblings: ["ms"] },
  et: { siblings: ["fi"] },
  fi: { siblings: ["et"] },
  lv: { siblings: ["lt"] },
  lt: { siblings: ["lv"] },
};

let englishNames: Intl.DisplayNames | undefined;
const cache = new Map<string, ResolveResult>();

/** Resolve and validate a BCP-47 language tag. Never throws. */
export function resolveLanguage(tag: string): ResolveResult {
  const key = typeof tag === "string" ? tag : String(tag);
  const hit = cache.get(key);
  if (hit) return hit;
  const result = resolveUncached(key);
  if (cache.size > 1000) cache.clear();
  cache.set(key, result);
  return result;
}

function unknown(tag: string): ResolveResult {
  // POSIX locale names (pt_BR, zh_Hant_TW, es_ES.UTF-8): BCP-47 separates with hyphens
  const posix = /^([A-Za-z]{2,3})((?:_[A-Za-z0-9]{2,8})+)(?:\.[\w-]+)?(?:@\w+)?$/.exec(tag.trim());
  if (posix) {
    const suggestion = `${posix[1]}${posix[2]!.replaceAll("_", "-")}`;
    if (resolveUncached(suggestion).ok)
      return {
        ok: false,
        message: `unknown language code "${tag}": did you mean "${suggestion}"? (BCP-47 uses hyphens; ${EXAMPLES})`,
      };
  }
  return { ok: false, message: `unknown language code "${tag}" (${EXAMPLES})` };
}

function resolveUncached(raw: string): ResolveResult {
  const tag = raw.trim();
  if (tag === "") return { ok: false, message: `missing language code (${EXAMPLES})` };
  let canonical: string;
  let locale: Intl.Locale;
  try {
    canonical = Intl.getCanonicalLocales(tag)[0] ?? "";
    locale = new Intl.Locale(canonical);
  } catch {
    return unknown(raw);
  }
  const base = locale.language;
  if (!canonical || !base || base === "und" || base === "mul" || base === "zxx" || /^q[a-t][a-z]$/.test(base))
    return unknown(raw);
  englishNames ??= new Intl.DisplayNames(["en"], { type: "language", fallback: "none" });
  const baseName = englishNames.of(base);
  if (!baseName) return unknown(raw);

  let englishName = baseName;
  try {
    englishName = englishNames.of(canonical) ?? baseName;
  } catch {
    /* keep the base name */
  }
  let nativeName = englishName;
  try {
    nativeName =
      new Intl.DisplayNames([canonical], { type: "language", fallback: "none" }).of(canonical) ?? englishName;
  } catch {
    /* no native data */
  }

  let maximized: Intl.Locale | undefined;
  try {
    maximized = locale.maximize();
  } catch {
    maximized = undefined;
  }
  let scripts: string[];
  if (locale.script) scripts = [locale.script];
  else if (base === "zh" && locale.region && maximized?.script) scripts = [maximized.script];
  else if (MULTI_SCRIPT[base]) scripts = [...MULTI_SCRIPT[base]];
  else if (SCRIPT_OVERRIDE[base]) scripts = [SCRIPT_OVERRIDE[base]];
  else if (maximized?.script) scripts = [maximized.script];
  else scripts = [];
  if (base === "ko") scripts = scripts.map((s) => (s === "Kore" ? "Hang" : s));

  let likelyScript: string | undefined;
  try {
    likelyScript = new Intl.Locale(base).maximize().script;
  } catch {
    likelyScript = undefined;
  }
  if (base === "ko" && likelyScript === "Kore") likelyScript = "Hang";
  const detector = detectorSupport(base, scripts, likelyScript);
  const region = locale.region ?? undefined;
  const lang: LanguageInfo = {
    tag: canonical,
    base,
    ...(region ? { region } : {}),
    englishName,
    nativeName,
    scripts,
    detectable: detector.detectable,
    detector: detector.support,
  };
  return { ok: true, lang };
}

function detectorSupport(
  base: string,
  scripts: readonly string[],
  likelyScript: string | undefined,
): { detectable: boolean; support: DetectorSupport } {
  const rule = PAIRS[base];
  const own = DETECTOR_ALIAS[base] ?? base;
  const inDetector = ELD_LANGUAGES.has(own);
  const accept = new Set<string>();
  if (inDetector) accept.add(own);
  for (const a of rule?.accept ?? []) accept.add(a);
  const siblings = (rule?.siblings ?? []).filter((s) => ELD_LANGUAGES.has(s) && !accept.has(s));
  let note = rule?.note;
  let detectable = inDetector || rule?.byPair === true;
  // A romanised or otherwise unusual script for the language (hi-Latn, ja-Latn, pa-Arab): the detector's
  // model, trained on the usual script, does not apply.
  const usual = new Set([...(likelyScript ? [likelyScript] : []), ...(MULTI_SCRIPT[base] ?? [])]);
  if (
    detectable &&
    usual.size > 0 &&
    scripts.some((s) => !usual.has(s) && !(base === "ja" && s === "Jpan") && !(base === "ko" && s === "Hang"))
  ) {
    detectable = false;
    note = `the detector only knows ${base} in its usual script (${[...usual].join("/")})`;
  }
  if (!detectable && !note)
    note = `the detector does not know ${base}; judged by script evidence and by not being confidently another language`;
  else if (!detectable && note)
    note = `${note}; judged by script evidence and by not being confidently another language`;
  return { detectable, support: { accept: [...accept], siblings, ...(note ? { note } : {}) } };
}
