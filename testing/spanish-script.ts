/**
 * Well-formed Spanish answers to the dialogue graph's structured calls, for tests and benchmarks that need a dialogue
 * to go through every node. Never a stand-in for a real model in a user's run. Two scripts share the Spanish below:
 *
 * - createSpanishScript: one fixed dialogue (SPANISH_TURNS), behind a fake OpenAI-compatible server
 *   (startSpanishLlmServer) or an engine benchmark whose tiny random model cannot write Spanish;
 * - spanishScript / spanishScriptedModel: a scripted crowdworker whose dialogues differ from one another (each turn
 *   is three clauses picked by a key carried from turn to turn), so the near-duplicate review keeps most of them;
 *   for the batch and fleet benchmarks and the run's tests.
 */
import type { BaseMessage } from "@langchain/core/messages";
import { ScriptedChatModel, type Script, type ScriptedCall } from "./scripted-model.js";
import { hashSeed } from "../lib/random.js";
import { textOf } from "../lib/models/structured.js";
import { type FakeServer, messagesOf, startFakeLlmServer, taskOf } from "./fake-llm-server.js";

// Turns are composed of three Spanish clauses, so that dialogues differ (near-duplicate review passes most) and
// no clause repeats within a dialogue (the repetition gate passes).
const OPENERS = [
  "¡Hola! ¿Qué tal el fin de semana?",
  "Pues bastante tranquilo, la verdad.",
  "¡Qué envidia me das!",
  "Oye, ¿te acuerdas de lo que hablamos?",
  "Me alegra mucho saber de ti.",
  "Ay, no me lo puedo creer.",
  "Bueno, te cuento lo que pasó.",
  "Uf, menuda semana llevo.",
  "¿Sabes qué? Tengo noticias.",
  "Jaja, eso mismo pensaba yo.",
  "Ya te digo, es increíble.",
  "Mira, te lo explico rápido.",
  "Vaya sorpresa, no lo esperaba.",
  "Claro que sí, cuenta conmigo.",
  "Pues fíjate que ayer lo pensé.",
  "Madre mía, qué calor hace hoy.",
];
const BODIES = [
  "Fui a la sierra con mis primos y volvimos agotados.",
  "Me quedé en casa leyendo una novela de misterio.",
  "Empiezo las clases de cerámica el martes que viene.",
  "Sigo con el turno de noche en el hospital hasta final de mes.",
  "Mi hermano abrió un bar de tapas en la plaza del pueblo.",
  "Estoy buscando piso cerca del trabajo, pero todo está carísimo.",
  "El perro de mi vecina se escapó otra vez por el jardín.",
  "Por fin terminé el informe que me tenía tan agobiada.",
  "Mi abuela cumple noventa años y preparamos una fiesta sorpresa.",
  "He vuelto a correr por las mañanas antes de desayunar.",
  "El tren de las ocho llegó con una hora de retraso.",
  "Compré unas entradas para el concierto del sábado.",
  "Mis sobrinos vienen a pasar las vacaciones con nosotros.",
  "Estoy aprendiendo a cocinar arroces con mi suegra.",
  "En la oficina cambiaron a todo el equipo de sitio.",
  "La huerta este año ha dado tomates enormes.",
];
const CLOSERS = [
  "¿Y tú qué tal lo llevas?",
  "Ya me dirás qué te parece.",
  "A ver si nos vemos pronto.",
  "Te mando un abrazo muy fuerte.",
  "¿Tienes planes para el domingo?",
  "Luego te llamo y lo hablamos.",
  "Cuéntame qué tal te va a ti.",
  "Tenemos que quedar un día de estos.",
  "¿Te apetece venir conmigo?",
  "Dale recuerdos a tu familia.",
  "Espero que todo te vaya bien.",
  "¿Qué opinas tú de todo esto?",
  "Nos tomamos un café y me cuentas.",
  "Avísame cuando estés libre.",
  "Seguro que te encantaría.",
  "¡Qué ganas tengo de verte!",
];
const PERSONA_SENTENCES = [
  "Trabajo de enfermera en un hospital de Valencia.",
  "Los domingos hago paella para toda mi familia.",
  "Tengo un perro que se llama Trufa.",
  "Me encanta bailar salsa con mis amigas.",
  "Vivo en un piso pequeño cerca del mercado central.",
  "Estoy aprendiendo a tocar la guitarra española.",
  "Cada verano voy al pueblo de mis abuelos.",
  "Soy muy fan del Valencia y voy a Mestalla.",
  "Colecciono libros antiguos de poesía.",
  "Me levanto temprano para correr por el río.",
];
const NAMES = [
  "Lucía",
  "Marta",
  "Carmen",
  "Javier",
  "Pablo",
  "Elena",
  "Sergio",
  "Nuria",
  "Andrés",
  "Rocío",
  "Diego",
  "Irene",
  "Raúl",
  "Pilar",
  "Hugo",
  "Alba",
  "Óscar",
];

const COMMON_GROUND = JSON.stringify({
  relationship: "Son amigos desde el instituto y viven en el mismo barrio de Valencia.",
  setting: "Es domingo por la noche y se escriben por WhatsApp después de un fin de semana largo.",
  shared_knowledge: "Los dos saben que uno de ellos ha empezado a trabajar de noche en el hospital este mes.",
});

/** The utterance a speaker just received: the last human message, without the notes after a blank line. */
function lastUtterance(messages: BaseMessage[]): string | null {
  const last = messages.at(-1);
  if (!last || last.type !== "human") return null;
  return textOf(last).split("\n\n")[0]!;
}

function dialogueLength(messages: BaseMessage[]): number {
  const opens = (messages[1] ? textOf(messages[1]) : "").startsWith("(You start");
  return messages.length - 1 - (opens ? 1 : 0);
}

/**
 * A scripted crowdworker writing valid Spanish: persona, common ground, turns, an accepting critique. Its personas
 * come in turn from a list (the k-th persona call gets the k-th), or with `fromPrompt`, from a hash of the prompt:
 * then every answer is a function of its prompt alone, as a seeded model's is, whatever order the calls come in
 * (worker threads against the in-process pool).
 */
export function spanishScript(options: { fromPrompt?: boolean } = {}): Script {
  let personaCalls = 0;
  return (call: ScriptedCall) => {
    switch (call.task) {
      case "persona": {
        const text = call.messages.map(textOf).join("\n");
        const k = options.fromPrompt ? hashSeed(text) % 4096 : personaCalls++;
        // as many sentences as the English source persona has (the prompt says how many)
        const count = Number(/Exactly (\d+) sentences/.exec(text)?.[1] ?? 4);
        return JSON.stringify({
          name: NAMES[k % NAMES.length]!,
          sentences: Array.from({ length: count }, (_, j) => PERSONA_SENTENCES[(k + j) % PERSONA_SENTENCES.length]!),
        });
      }
      case "common_ground":
        return COMMON_GROUND;
      case "critique":
        return JSON.stringify(SPANISH_ACCEPT);
      case "turn": {
        const i = dialogueLength(call.messages);
        // the dialogue's key: from A's system prompt at turn 0, then carried by the clauses already used
        let key: number;
        const previous = i > 0 ? lastUtterance(call.messages) : null;
        if (previous) {
          const o = OPENERS.findIndex((s) => previous.startsWith(s));
          const b = BODIES.findIndex((s) => previous.includes(s));
          const c = CLOSERS.findIndex((s) => previous.endsWith(s));
          key =
            ((o - (i - 1) + 1600) % 16) + 16 * ((b - 3 * (i - 1) + 1600) % 16) + 256 * ((c - 5 * (i - 1) + 1600) % 16);
        } else {
          key = hashSeed(call.messages[0] ? textOf(call.messages[0]) : "") % 4096;
        }
        const [o, b, c] = [key % 16, Math.floor(key / 16) % 16, Math.floor(key / 256) % 16];
        const utterance = `${OPENERS[(o + i) % 16]} ${BODIES[(b + 3 * i) % 16]} ${CLOSERS[(c + 5 * i) % 16]}`;
        return JSON.stringify({ utterance, ends_conversation: false });
      }
      default:
        throw new Error(`unexpected task ${call.task}`);
    }
  };
}

/** The Spanish script behind an in-process model whose every call takes `latencyMs`. */
export function spanishScriptedModel(
  latencyMs = 0,
  options: { keepCalls?: boolean; fromPrompt?: boolean } = {},
): ScriptedChatModel {
  const { fromPrompt, ...rest } = options;
  return new ScriptedChatModel(spanishScript({ fromPrompt }), { latencyMs, ...rest });
}

export const SPANISH_TURNS = [
  "¡Hola! ¿Qué tal el fin de semana? Yo fui a la sierra con mis primos.",
  "Pues bastante tranquilo, la verdad. Me quedé en casa leyendo una novela de misterio.",
  "¡Qué envidia! Hace siglos que no leo nada. ¿Cuál era la novela?",
  "Una de Dolores Redondo, la de Baztán. Me tiene enganchadísima, no puedo parar.",
  "Me la apunto. Oye, ¿y al final te apuntaste a las clases de cerámica?",
  "Sí, empiezo el martes que viene. Estoy un poco nerviosa, nunca he hecho nada parecido.",
  "Seguro que se te da genial, tienes mucha paciencia para esas cosas.",
  "Eso espero, jaja. ¿Tú sigues con el turno de noche en el hospital?",
  "Sí, hasta final de mes. Luego por fin tendré turnos de mañana, estoy deseándolo.",
  "Te lo mereces, de verdad. A ver si entonces quedamos para tomar algo por el centro.",
  "¡Hecho! El jueves que viene me viene fenomenal si te cuadra.",
  "Perfecto, el jueves entonces. Te escribo esa misma mañana para confirmar la hora.",
  "Genial, me alegro mucho de haber hablado contigo. ¡Cuídate mucho!",
  "Igualmente, guapa. Un abrazo fuerte y nos vemos el jueves.",
  "Por cierto, mi hermano dice que el bar nuevo de la plaza tiene unas tapas buenísimas.",
  "Pues vamos allí, que me encantan las croquetas caseras de ese tipo de bares.",
];

/** The persona answer of a speaker called `name`: the first four sentences, as the model returns them. */
export function spanishPersona(name: string): string {
  return JSON.stringify({ name, sentences: PERSONA_SENTENCES.slice(0, 4) });
}

/** Two English source personas the Spanish ones above could have been rewritten from. */
export const ENGLISH_SOURCE_PERSONAS: [string[], string[]] = [
  ["I am a nurse.", "I cook for my family on Sundays.", "I have a dog.", "I love dancing."],
  ["I work in a bookshop.", "I read mysteries.", "I am learning pottery.", "I take the bus everywhere."],
];

export const SPANISH_COMMON_GROUND = {
  relationship: "Lucía y Marta son amigas desde el instituto y viven en el mismo barrio de Valencia.",
  setting: "Es domingo por la noche y se escriben por WhatsApp después de un fin de semana largo.",
  shared_knowledge: "Las dos saben que Marta ha empezado a trabajar de noche en el hospital este mes.",
};

export const SPANISH_ACCEPT = {
  persona_faithfulness: 4,
  speech_event_fit: 4,
  naturalness: 5,
  verdict: "accept",
  offending_turns: [],
  feedback: "",
};

/** One speaker's memory of a session of a series (nodes/write-memory). */
export const SPANISH_MEMORY = {
  summary:
    "Hablamos de la novela de misterio y de las clases de cerámica, y quedamos en tomar algo el jueves por el centro.",
  new_facts: ["Empiezo las clases de cerámica el martes que viene."],
  partner_facts: ["Sigue con el turno de noche en el hospital hasta final de mes."],
};

/** How many turns the dialogue has when a speaker is asked for the next one (system, opening cue for A, one message per turn). */
export function turnIndexOf(messages: readonly { role: string; content: string }[]): number {
  const chat = messages.filter((m) => m.role !== "system");
  const opens = (chat[0]?.content ?? "").startsWith("(You start");
  return chat.length - (opens ? 1 : 0);
}

/**
 * A stateful script: give it the task (the json_schema name), the messages and the requested JSON schema, get
 * the answer text. Persona answers have as many sentences as the schema demands; turns follow the dialogue.
 */
export function createSpanishScript(): (
  task: string,
  messages: readonly { role: string; content: string }[],
  schema?: unknown,
) => string {
  let personas = 0;
  return (task, messages, schema) => {
    switch (task) {
      case "persona": {
        const sentences =
          (schema as { properties?: { sentences?: { minItems?: number } } } | undefined)?.properties?.sentences
            ?.minItems ?? 4;
        const start = (personas * 3) % PERSONA_SENTENCES.length;
        const name = personas++ % 2 === 0 ? "Lucía" : "Marta";
        return JSON.stringify({
          name,
          sentences: Array.from(
            { length: sentences },
            (_, i) => PERSONA_SENTENCES[(start + i) % PERSONA_SENTENCES.length]!,
          ),
        });
      }
      case "common_ground":
        return JSON.stringify(SPANISH_COMMON_GROUND);
      case "turn": {
        const index = turnIndexOf(messages);
        return JSON.stringify({ utterance: SPANISH_TURNS[index % SPANISH_TURNS.length]!, ends_conversation: false });
      }
      case "critique": {
        // a later session of a series is also scored on its consistency with the speakers' memory
        const series =
          (schema as { properties?: Record<string, unknown> } | undefined)?.properties?.memory_consistency !==
          undefined;
        return JSON.stringify(series ? { ...SPANISH_ACCEPT, memory_consistency: 5 } : SPANISH_ACCEPT);
      }
      case "memory":
        return JSON.stringify(SPANISH_MEMORY);
      default:
        return JSON.stringify({ text: "Hola, ¿qué tal?" });
    }
  };
}

/** A fake OpenAI-compatible server (testing/fake-llm-server.ts) answering as createSpanishScript does. */
export async function startSpanishLlmServer(): Promise<FakeServer> {
  const script = createSpanishScript();
  return startFakeLlmServer("openai", (request) => {
    const schema = (request.body.response_format as { json_schema?: { schema?: unknown } } | undefined)?.json_schema
      ?.schema;
    return { text: script(taskOf(request), messagesOf(request), schema) };
  });
}
