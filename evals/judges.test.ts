import { describe, expect, it } from "vitest";
import type { EvalDialogue } from "./dialogues.js";
import { judgeDialogue, judgeMessages, loadJudgePrompts } from "./judges.js";
import { scriptedJudge } from "../testing/scripted-eval-models.js";

const dialogue: EvalDialogue = {
  id: "es-1-00000",
  variant: "baseline",
  language: "es",
  status: "accepted",
  rejectionChecks: [],
  turns: [
    { speaker: "A", text: "¡Hola! ¿Qué tal el turno de noche?" },
    { speaker: "B", text: "Agotador, pero ya me queda poco. ¿Y tú?" },
  ],
  personas: { A: ["Trabajo en una librería."], B: ["Soy enfermera en Valencia."] },
  commonGround: "Son amigas desde el instituto.",
  speechEvent: { id: "catching_up", name: "Catching up", category: "involving" },
  usage: { input_tokens: 10, output_tokens: 5 },
  promptHash: "abc",
};

describe("LLM judges (scripted model)", () => {
  const prompts = loadJudgePrompts("baseline");

  it("asks three structured questions and reads the answers", async () => {
    // answers unlike the scripted judge's defaults, one per judge: each figure must come from its own answer
    const model = scriptedJudge({
      persona_judge: () =>
        JSON.stringify({
          evidence: "A dice que es enfermera.",
          persona_grounding: 2,
          contradiction: true,
          contradicting_turns: [1],
          common_ground_use: 5,
        }),
      naturalness_judge: () =>
        JSON.stringify({ evidence: "Frases calcadas del inglés.", naturalness: 1, sounds_translated: true }),
      speech_event_judge: () => JSON.stringify({ reason: "They arrange to meet.", speech_event: "making_plans" }),
    });
    const scores = await judgeDialogue({ model, prompts, label: "scripted" }, dialogue);
    expect(model.calls.map((c) => c.task)).toEqual(["persona_judge", "naturalness_judge", "speech_event_judge"]);
    expect(scores).toMatchObject({
      persona_grounding: 2,
      contradiction: true,
      common_ground_use: 5,
      naturalness: 1,
      sounds_translated: true,
      speech_event_guess: "making_plans",
      failures: [],
      calls: 3,
    });
    expect(scores.usage.input_tokens).toBeGreaterThan(0);
  });

  it("the speech-event and naturalness judges see the dialogue only; the persona judge sees the personas", () => {
    const m = judgeMessages(prompts, dialogue);
    const text = (messages: ReturnType<typeof m.persona>) => messages.map((x) => x.text).join("\n");
    const event = text(m.speechEvent(null));
    expect(event).toContain("catching_up: Catching up");
    expect(event).toContain("[1] B: Agotador");
    expect(event).not.toContain("enfermera");
    expect(event).not.toContain("instituto");
    const natural = text(m.naturalness(null));
    expect(natural).not.toMatch(/enfermera|instituto|catching/i);
    const persona = text(m.persona(null));
    expect(persona).toContain("Soy enfermera en Valencia.");
    expect(persona).toContain("Son amigas desde el instituto.");
    expect(persona).toContain("common_ground_use");
    const noCg = text(
      judgeMessages(prompts, { ...dialogue, commonGround: null, personas: { A: null, B: ["Soy enfermera."] } }).persona(
        null,
      ),
    );
    expect(noCg).not.toContain("common_ground_use");
    expect(noCg).toContain("(not given: do not judge this speaker)");
  });

  it("a judge that never answers validly leaves its figures null and says so", async () => {
    const model = scriptedJudge({ naturalness_judge: () => "I think it is quite natural." });
    const scores = await judgeDialogue({ model, prompts, label: "scripted" }, dialogue);
    expect(scores.naturalness).toBeNull();
    expect(scores.sounds_translated).toBeNull();
    expect(scores.persona_grounding).toBe(4);
    expect(scores.failures).toHaveLength(1);
    expect(scores.failures[0]).toMatch(/^naturalness_judge: not valid JSON/);
    expect(model.callsFor("naturalness_judge")).toHaveLength(2);
  });

  it("skips the speech-event judge when there is no planned event, and the persona judge without personas", async () => {
    const model = scriptedJudge();
    const scores = await judgeDialogue(
      { model, prompts, label: "scripted" },
      { ...dialogue, speechEvent: null, personas: { A: null, B: null } },
    );
    expect(model.calls.map((c) => c.task)).toEqual(["naturalness_judge"]);
    expect(scores.speech_event_guess).toBeNull();
    expect(scores.persona_grounding).toBeNull();
  });
});
