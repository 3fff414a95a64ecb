export {
  resolveLanguage,
  ELD_LANGUAGES,
  type LanguageInfo,
  type ResolveResult,
  type DetectorSupport,
} from "./languages.js";
export { detect, scoreOf, clearDetectionCache, type Detection } from "./detect.js";
export {
  profileText,
  expandScripts,
  scriptOf,
  isEmojiCodePoint,
  lettersIn,
  dominantScript,
  SCRIPT_NAMES,
  UNSPACED,
  type ScriptCode,
  type TextProfile,
  type Token,
} from "./scripts.js";
export { hanVariantOf } from "./han.js";
