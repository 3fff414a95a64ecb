/** Helpers for the gates' unit tests (not used at runtime). */

import { turnGateFailures } from "../lib/gates/index.js";
import type { CheckName, GateFailure, GateOptions, GateTurn } from "../lib/gates/types.js";

/** A neutral two-turn context in the language, so a checked turn has normal neighbours. */
export const CONTEXT: Readonly<Record<string, readonly string[]>> = {
  en: ["Hi! How are you doing today?", "I'm great, thanks. I just got back from the gym."],
  es: ["¡Hola! ¿Cómo estás hoy?", "Muy bien, gracias. Acabo de volver del gimnasio."],
  fr: ["Salut ! Comment vas-tu aujourd'hui ?", "Très bien, merci. Je rentre juste de la salle de sport."],
  it: ["Ciao! Come stai oggi?", "Benissimo, grazie. Sono appena tornato dalla palestra."],
  id: ["Hai! Apa kabar hari ini?", "Baik sekali, terima kasih. Saya baru pulang dari gym."],
  ja: ["こんにちは！今日は元気ですか？", "元気です、ありがとう。ジムから帰ってきたところです。"],
  ko: ["안녕하세요! 오늘 기분이 어때요?", "아주 좋아요, 고마워요. 방금 헬스장에서 돌아왔어요."],
  zh: ["你好！你今天过得怎么样？", "很好，谢谢。我刚从健身房回来。"],
};

/** Failures of `check` for `text` as the third turn of a dialogue in `lang`. */
export function failuresOf(
  check: CheckName,
  lang: string,
  text: string,
  opts: Partial<GateOptions> = {},
  context?: readonly string[],
): GateFailure[] {
  const base = lang.split("-")[0]!;
  const ctx = context ?? CONTEXT[base] ?? CONTEXT.en!;
  const turns: GateTurn[] = ctx.map((t, i) => ({ speaker: i % 2 === 0 ? "A" : "B", text: t }));
  turns.push({ speaker: turns.length % 2 === 0 ? "A" : "B", text });
  return turnGateFailures(turns, turns.length - 1, { lang, ...opts }).filter((f) => f.check === check);
}

export function fails(
  check: CheckName,
  lang: string,
  text: string,
  opts: Partial<GateOptions> = {},
  context?: readonly string[],
): boolean {
  return failuresOf(check, lang, text, opts, context).length > 0;
}
