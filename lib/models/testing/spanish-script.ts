// Well-formed Spanish answers to the dialogue graph's structured calls, for tests and benchmarks that need a
// dialogue to go through every node (a fake OpenAI-compatible server, the engine benchmark whose tiny random
// model cannot write Spanish). Never a stand-in for a real model in a user's run.
import { type FakeServer, messagesOf, startFakeLlmServer, taskOf } from "./fake-llm-server.js";

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

const PERSONA_SENTENCES = [
  "Trabajo de enfermera en un hospital de Valencia.",
  "Los domingos hago paella para toda mi familia.",
  "Tengo un perro que se llama Trufa.",
  "Me encanta bailar salsa con mis amigas.",
  "Voy al trabajo en bicicleta aunque llueva.",
  "Colecciono discos antiguos de flamenco.",
  "Estoy aprendiendo a tocar la guitarra.",
  "Mi abuela me enseñó a hacer croquetas.",
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
  summary: "Hablamos de la novela de misterio y de las clases de cerámica, y quedamos en tomar algo el jueves por el centro.",
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
export function createSpanishScript(): (task: string, messages: readonly { role: string; content: string }[], schema?: unknown) => string {
  let personas = 0;
  return (task, messages, schema) => {
    switch (task) {
      case "persona": {
        const sentences = (schema as { properties?: { sentences?: { minItems?: number } } } | undefined)?.properties?.sentences?.minItems ?? 4;
        const start = (personas * 3) % PERSONA_SENTENCES.length;
        const name = personas++ % 2 === 0 ? "Lucía" : "Marta";
        return JSON.stringify({
          name,
          sentences: Array.from({ length: sentences }, (_, i) => PERSONA_SENTENCES[(start + i) % PERSONA_SENTENCES.length]!),
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
        const series = (schema as { properties?: Record<string, unknown> } | undefined)?.properties?.memory_consistency !== undefined;
        return JSON.stringify(series ? { ...SPANISH_ACCEPT, memory_consistency: 5 } : SPANISH_ACCEPT);
      }
      case "memory":
        return JSON.stringify(SPANISH_MEMORY);
      default:
        return JSON.stringify({ text: "Hola, ¿qué tal?" });
    }
  };
}

/** A fake OpenAI-compatible server (lib/models/testing/fake-llm-server.ts) answering as createSpanishScript does. */
export async function startSpanishLlmServer(): Promise<FakeServer> {
  const script = createSpanishScript();
  return startFakeLlmServer("openai", (request) => {
    const schema = (request.body.response_format as { json_schema?: { schema?: unknown } } | undefined)?.json_schema?.schema;
    return { text: script(taskOf(request), messagesOf(request), schema) };
  });
}
