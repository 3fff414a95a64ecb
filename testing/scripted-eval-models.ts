import { ScriptedChatModel, type ScriptedCall } from "./scripted-model.js";
import { SPANISH_TURNS } from "./spanish-script.js";

/**
 * A scripted judge for tests and the eval's prompt regression checks: fixed, valid answers for the judges
 * (or whatever `overrides` returns for a task). Never a stand-in for a real judge in a user's run.
 */
export function scriptedJudge(
  overrides: Partial<
    Record<
      "persona_judge" | "naturalness_judge" | "speech_event_judge" | "history_judge",
      (call: ScriptedCall) => string
    >
  > = {},
) {
  return new ScriptedChatModel(
    (call) => {
      const override = overrides[call.task as keyof typeof overrides];
      if (override) return override(call);
      switch (call.task) {
        case "persona_judge": {
          const withCommonGround = (call.messages[0]?.text ?? "").includes("common_ground_use");
          return JSON.stringify({
            evidence: "B habla de su trabajo en el hospital.",
            persona_grounding: 4,
            contradiction: false,
            contradicting_turns: [],
            ...(withCommonGround ? { common_ground_use: 3 } : {}),
          });
        }
        case "naturalness_judge":
          return JSON.stringify({ evidence: "Registro coloquial natural.", naturalness: 4, sounds_translated: false });
        case "speech_event_judge":
          return JSON.stringify({ reason: "They catch up after a while.", speech_event: "catching_up" });
        case "history_judge":
          return JSON.stringify({
            evidence: "Preguntan por el viaje.",
            memory_use: 3,
            contradiction: false,
            contradicting_turns: [],
          });
        default:
          throw new Error(`scripted judge: unexpected task ${call.task}`);
      }
    },
    { modelName: "scripted-judge" },
  );
}

/**
 * A scripted "crowdworker" for the eval's pipeline tests: well-formed Spanish personas, common ground, turns (or a
 * whole dialogue) and an accepting critique. Turn `i` of every dialogue is the same sentence, so the gates pass.
 */
export function scriptedWriter() {
  let personas = 0;
  const turns = SPANISH_TURNS.slice(0, 14);
  return new ScriptedChatModel(
    (call) => {
      switch (call.task) {
        case "persona": {
          const count = ((call.messages[0]?.text ?? "").match(/Exactly (\d+) sentences/) ?? [])[1];
          const pool = [
            "Trabajo de enfermera en un hospital de Valencia.",
            "Los domingos hago paella para toda mi familia.",
            "Tengo un perro que se llama Trufa.",
            "Me encanta bailar salsa con mis amigas.",
            "Vivo cerca de la playa de la Malvarrosa.",
            "Estoy aprendiendo a tocar la guitarra.",
          ];
          return JSON.stringify({
            name: personas++ % 2 === 0 ? "Lucía" : "Marta",
            sentences: pool.slice(0, Number(count ?? 4)),
          });
        }
        case "common_ground":
          return JSON.stringify({
            relationship: "Lucía y Marta son amigas desde el instituto y viven en el mismo barrio de Valencia.",
            setting: "Es domingo por la noche y se escriben por WhatsApp después de un fin de semana largo.",
            shared_knowledge: "Las dos saben que Marta ha empezado a trabajar de noche en el hospital este mes.",
          });
        case "turn": {
          const opens = (call.messages[1]?.text ?? "").startsWith("(You start");
          const index = call.messages.length - 1 - (opens ? 1 : 0);
          return JSON.stringify({ utterance: turns[index % turns.length]!, ends_conversation: false });
        }
        case "dialogue": {
          const max = Number(((call.messages[1]?.text ?? "").match(/at most (\d+)/) ?? [])[1] ?? 8);
          return JSON.stringify({
            turns: turns
              .slice(0, Math.min(max, turns.length))
              .map((utterance, i) => ({ speaker: i % 2 === 0 ? "A" : "B", utterance })),
          });
        }
        case "critique":
          return JSON.stringify({
            persona_faithfulness: 4,
            speech_event_fit: 4,
            naturalness: 4,
            verdict: "accept",
            offending_turns: [],
            feedback: "",
          });
        default:
          throw new Error(`scripted writer: unexpected task ${call.task}`);
      }
    },
    { modelName: "scripted-writer" },
  );
}
