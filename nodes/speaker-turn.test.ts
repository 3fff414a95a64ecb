import { describe, expect, it } from "vitest";
import { loadPromptSet } from "../lib/prompts/loader.js";
import type { Persona } from "../lib/records/schema.js";
import type { DialogueState } from "./state.js";
import { SessionHistorySchema } from "./series-history.js";
import { speakerMessages } from "./speaker-turn.js";

const personas: Persona[] = [
  {
    speaker: "A",
    name: "Lucía",
    sentences: ["Trabajo de enfermera en Valencia."],
    source_sentences: ["I am a nurse."],
  },
  { speaker: "B", name: "Javier", sentences: ["Toco la guitarra en un bar."], source_sentences: ["I play guitar."] },
];
const smallTalk = {
  id: "small_talk",
  name: "Small talk",
  category: "informal_superficial",
  description: "Light, friendly chat about safe everyday topics.",
};
const state = {
  language: "es",
  seed: 1,
  index: 0,
  personas,
  speechEvent: smallTalk,
  commonGround: "Son vecinos desde hace años.",
  targetTurns: 6,
  turns: [],
  history: null,
  turnFeedback: null,
  repairFeedback: null,
} as unknown as DialogueState;
const prompts = loadPromptSet("baseline");
const system = (s: DialogueState, speaker: "A" | "B" = "A") =>
  speakerMessages(s, prompts.get("speaker-turn"), speaker, prompts.manifest)[0]!.content as string;

describe("speakerMessages", () => {
  it("gives a speaker the same system prompt on every turn, its own persona and never the partner's", () => {
    const first = system(state);
    expect(first).toContain("Lucía");
    expect(first).toContain("Trabajo de enfermera en Valencia.");
    expect(first).not.toContain("Toco la guitarra");
    const later = {
      ...state,
      turns: [
        { speaker: "A", text: "¡Hola!" },
        { speaker: "B", text: "¿Qué tal?" },
      ],
    };
    expect(system(later as DialogueState)).toBe(first);
    // B speaks once A has
    const answered = { ...state, turns: [{ speaker: "A", text: "¡Hola!" }] } as DialogueState;
    expect(system(answered, "B")).toContain("Toco la guitarra en un bar.");
    expect(system(answered, "B")).not.toContain("Trabajo de enfermera");
  });

  // the prompt is kept per persona object from turn to turn (speakerSystemPrompt): anything else it is made of that
  // differs, with the same persona objects, must give the prompt of what it is now
  it("follows the common ground, the speech event, the language and the series history, with the same personas", () => {
    expect(system({ ...state, commonGround: "Se conocieron ayer en el gimnasio." })).toContain(
      "Se conocieron ayer en el gimnasio.",
    );
    const argument = { ...smallTalk, id: "conflict", name: "Conflict", description: "A disagreement." };
    expect(system({ ...state, speechEvent: argument })).toContain("Conflict — A disagreement.");
    expect(system({ ...state, language: "fr" })).toContain("French");
    const history = SessionHistorySchema.parse({
      session: 2,
      gap: { kind: "days", amount: 3, unit: "day" },
      earlierEvents: ["Small talk"],
      personas,
      memories: [
        {
          speaker: "A",
          summaries: [{ session: 1, text: "Hablaron de un concierto." }],
          partner_facts: ["Javier toca los viernes."],
        },
        { speaker: "B", summaries: [{ session: 1, text: "Hablaron de un concierto." }], partner_facts: [] },
      ],
    });
    expect(system({ ...state, history })).toContain("Javier toca los viernes.");
    expect(system(state)).not.toContain("Javier toca los viernes.");
  });
});
