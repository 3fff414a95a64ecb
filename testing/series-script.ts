import { ScriptedChatModel, type ScriptedCall } from "./scripted-model.js";
import { SPANISH_ACCEPT, SPANISH_COMMON_GROUND, SPANISH_TURNS, spanishPersona } from "./spanish-script.js";

// A scripted model for the multi-session series graph (graphs/series, app/run's series checkpoints).

/** Each speaker's memory of each session: distinct sentences, so the tests can follow where each one goes. */
export const scriptedMemoryOf = (speaker: "A" | "B", session: number) => ({
  summary:
    speaker === "A"
      ? `Hablé con Marta sobre su novela de misterio y quedamos en vernos el jueves número ${session}.`
      : `Lucía me contó lo de la sierra con sus primos y quedamos en vernos el jueves número ${session}.`,
  new_facts: speaker === "A" ? [`He empezado a ir a clases de cerámica los martes, grupo ${session}.`] : [],
  partner_facts:
    speaker === "A"
      ? [`Marta está leyendo una novela de Dolores Redondo, tomo ${session}.`]
      : [`Lucía fue a la sierra con sus primos, vez ${session}.`],
});

/** Sentences past the four of spanishPersona, for a source persona of five or more. */
const MORE_SENTENCES = [
  "Los sábados salgo a correr por el cauce del Turia.",
  "Colecciono discos de vinilo de los años ochenta.",
  "Estoy ahorrando para un viaje a Lisboa.",
];

export const critiqueOf = (extra: Record<string, unknown> = {}) =>
  JSON.stringify({ ...SPANISH_ACCEPT, memory_consistency: 5, ...extra });
export interface SeriesScript {
  /** the critique of a session's dialogue: `session` 1-based, `round` the critique call within the session */
  critique?: (session: number, round: number, call: ScriptedCall) => string;
  /** throw to simulate a model server that fails: called before each common-ground call with its session */
  beforeSession?: (session: number) => void;
  /** a speaker's message instead of the scripted one: `index` the turn, `attempt` the call for it (0-based) */
  turn?: (session: number, index: number, attempt: number) => string | undefined;
  /** the sessions already written before this model's first call (a resumed series) */
  sessionsBefore?: number;
  /** sees every call before it is answered */
  observe?: (call: ScriptedCall) => void;
  /** the answers also come as tokens of this many characters (a streaming model) */
  streamChars?: number;
}

/** Plays a well-behaved model through every call of a series; knows the session from the common-ground calls. */
export function seriesModel(script: SeriesScript = {}) {
  let personas = 0;
  let session = script.sessionsBefore ?? 0;
  let critiques = 0;
  let memories = 2 * session;
  const turnAttempts = new Map<string, number>();
  return new ScriptedChatModel(
    (call) => {
      script.observe?.(call);
      switch (call.task) {
        case "persona": {
          // as many sentences as the prompt asks for (the source persona's count)
          const count = Number(/Exactly (\d+) sentences/.exec(call.messages[0]?.text ?? "")?.[1] ?? 4);
          const persona = JSON.parse(spanishPersona(personas++ % 2 === 0 ? "Lucía" : "Marta")) as {
            name: string;
            sentences: string[];
          };
          return JSON.stringify({ ...persona, sentences: [...persona.sentences, ...MORE_SENTENCES].slice(0, count) });
        }
        case "common_ground":
          script.beforeSession?.(session + 1);
          session++;
          critiques = 0;
          return JSON.stringify(SPANISH_COMMON_GROUND);
        case "turn": {
          const chat = call.messages.slice(1);
          const opens = (chat[0]?.text ?? "").startsWith("(You start");
          const index = chat.length - (opens ? 1 : 0);
          const key = `${session}:${index}`;
          const attempt = turnAttempts.get(key) ?? 0;
          turnAttempts.set(key, attempt + 1);
          const utterance = script.turn?.(session, index, attempt) ?? SPANISH_TURNS[index]!;
          return JSON.stringify({ utterance, ends_conversation: false });
        }
        case "critique": {
          const answer = script.critique?.(session, critiques, call);
          critiques++;
          return answer ?? (session > 1 ? critiqueOf() : JSON.stringify(SPANISH_ACCEPT));
        }
        case "memory": {
          const speaker = memories % 2 === 0 ? "A" : "B";
          memories++;
          return JSON.stringify(scriptedMemoryOf(speaker, session));
        }
        default:
          throw new Error(`unexpected task ${call.task}`);
      }
    },
    script.streamChars ? { streamChars: script.streamChars } : {},
  );
}
