import type { BaseMessage } from "@langchain/core/messages";
import { describe, expect, it } from "vitest";
import { ScriptedChatModel, type ScriptedCall } from "../../testing/scripted-model.js";
import { SPANISH_ACCEPT, SPANISH_COMMON_GROUND, SPANISH_TURNS } from "../../testing/spanish-script.js";
import { loadPromptSet } from "../../lib/prompts/loader.js";
import { DialogueRecordSchema } from "../../lib/records/schema.js";
import type { DialogueContext } from "../../nodes/configuration.js";
import { graph, runDialogue } from "./graph.js";

// The prompt variants that change the graph (prompts/<variant>/variant.json), driven with a scripted model.

const TURNS = SPANISH_TURNS.slice(0, 6);
const ENGLISH = "Sorry, I think I will just answer in English because it is easier for me today, my friend.";
const COMMON_GROUND = SPANISH_COMMON_GROUND;
const ACCEPT = SPANISH_ACCEPT;
const REVISE = { ...ACCEPT, naturalness: 2, verdict: "revise", offending_turns: [2], feedback: "Suena a traducción." };
const SOURCE = [
  ["I am a nurse.", "I cook for my family on Sundays.", "I have a dog.", "I love dancing."],
  ["I work in a bookshop.", "I read mysteries.", "I am learning pottery.", "I take the bus everywhere."],
];
const EVENT = { id: "catching_up", name: "Catching up" };

interface Options {
  dialogue?: (draft: number) => string[];
  critique?: (round: number) => object;
  /** who writes the first message of a draft (default A) */
  openedBy?: (draft: number) => "A" | "B";
}

function model(options: Options = {}) {
  let personas = 0;
  let drafts = 0;
  let critiques = 0;
  return new ScriptedChatModel((call: ScriptedCall) => {
    switch (call.task) {
      case "persona":
        return JSON.stringify({
          name: personas++ % 2 === 0 ? "Lucía" : "Marta",
          sentences: [
            "Trabajo de enfermera en Valencia.",
            "Cocino paella los domingos.",
            "Tengo una perra, Trufa.",
            "Bailo salsa.",
          ],
        });
      case "common_ground":
        return JSON.stringify(COMMON_GROUND);
      case "turn": {
        const index = call.messages.length - 1 - ((call.messages[1]?.text ?? "").startsWith("(You start") ? 1 : 0);
        return JSON.stringify({ utterance: TURNS[index]!, ends_conversation: false });
      }
      case "dialogue": {
        const draft = drafts++;
        const texts = options.dialogue?.(draft) ?? TURNS;
        const [first, second] = options.openedBy?.(draft) === "B" ? ["B", "A"] : ["A", "B"];
        return JSON.stringify({
          turns: texts.map((utterance, i) => ({ speaker: i % 2 === 0 ? first : second, utterance })),
        });
      }
      case "critique":
        return JSON.stringify(options.critique?.(critiques++) ?? ACCEPT);
      default:
        throw new Error(`unexpected task ${call.task}`);
    }
  });
}

async function run(chat: ScriptedChatModel, context: Partial<DialogueContext>) {
  const state = await runDialogue(
    { language: "es", seed: 7, index: 0, sourcePersonas: SOURCE, speechEventId: EVENT.id },
    { chatModel: chat, turnsMin: 6, turnsMax: 6, ...context },
  );
  return DialogueRecordSchema.parse(state.record);
}

const text = (messages: BaseMessage[]) => messages.map((m) => m.text).join("\n");

describe("prompt variants that change the graph", () => {
  it("lists the variant routes as conditional edges", async () => {
    const edges = (await graph.getGraphAsync()).edges.map((e) => `${e.source}->${e.target}${e.conditional ? "?" : ""}`);
    for (const edge of [
      "selectSpeechEvent->writeCommonGround?",
      "selectSpeechEvent->speakerTurn?",
      "selectSpeechEvent->writeDialogue?",
      "writeCommonGround->writeDialogue?",
      "writeDialogue->checkDialogue?",
      "checkDialogue->writeDialogue?",
      "checkDialogue->critiqueDialogue?",
      "critiqueDialogue->writeDialogue?",
    ]) {
      expect(edges).toContain(edge);
    }
  });

  it("no-common-ground skips the common-ground call and never shows one", async () => {
    const chat = model();
    const record = await run(chat, { promptVariant: "no-common-ground" });
    expect(record.status).toBe("accepted");
    expect(record.common_ground).toBe("");
    expect(chat.callsFor("common_ground")).toHaveLength(0);
    expect(record.provenance.prompt_variant).toBe("no-common-ground");
    expect(record.provenance.prompt_hash).toBe(loadPromptSet("no-common-ground").hash);
    for (const call of [...chat.callsFor("turn"), ...chat.callsFor("critique")]) {
      expect(text(call.messages)).not.toMatch(/situation|common ground/i);
      expect(text(call.messages)).toContain(EVENT.name);
    }
  });

  it("no-speech-event never shows the planned event, yet records it", async () => {
    const chat = model();
    const record = await run(chat, { promptVariant: "no-speech-event" });
    expect(record.status).toBe("accepted");
    expect(record.speech_event.id).toBe(EVENT.id);
    expect(chat.callsFor("common_ground")).toHaveLength(1);
    for (const call of [...chat.callsFor("turn"), ...chat.callsFor("common_ground"), ...chat.callsFor("critique")]) {
      expect(text(call.messages)).not.toContain(EVENT.name);
    }
    expect(text(chat.callsFor("turn")[0]!.messages)).toContain(COMMON_GROUND.setting);
  });

  it("whole-dialogue writes the dialogue in one call, gated and critiqued like the turn-by-turn path", async () => {
    const chat = model();
    const record = await run(chat, { promptVariant: "whole-dialogue" });
    expect(record.status).toBe("accepted");
    expect(record.turns.map((t) => t.text)).toEqual(TURNS);
    expect(record.turns.map((t) => t.speaker)).toEqual(["A", "B", "A", "B", "A", "B"]);
    expect(chat.callsFor("turn")).toHaveLength(0);
    expect(chat.callsFor("dialogue")).toHaveLength(1);
    expect(chat.callsFor("critique")).toHaveLength(1);
    const prompt = text(chat.callsFor("dialogue")[0]!.messages);
    expect(prompt).toContain(COMMON_GROUND.setting);
    expect(prompt).toContain(EVENT.name);
    expect(prompt).toContain("Trufa");
    // cheaper than turn by turn: fewer calls and fewer input tokens for the same dialogue
    const turnByTurn = await run(model(), {});
    expect(record.provenance.attempts).toBeLessThan(turnByTurn.provenance.attempts);
    expect(record.provenance.usage.input_tokens).toBeLessThan(turnByTurn.provenance.usage.input_tokens);
  });

  it("whole-dialogue redrafts a draft that fails a gate, with the gate's feedback", async () => {
    const chat = model({ dialogue: (draft) => (draft === 0 ? TURNS.map((t, i) => (i === 3 ? ENGLISH : t)) : TURNS) });
    const record = await run(chat, { promptVariant: "whole-dialogue" });
    expect(record.status).toBe("accepted");
    const drafts = chat.callsFor("dialogue");
    expect(drafts).toHaveLength(2);
    expect(text(drafts[1]!.messages)).toMatch(/rejected by the checks: language: message 4/);
  });

  it("whole-dialogue redrafts a draft that speaker B opens (the record format has A first)", async () => {
    const chat = model({ openedBy: (draft) => (draft === 0 ? "B" : "A") });
    const record = await run(chat, { promptVariant: "whole-dialogue" });
    expect(record.status).toBe("accepted");
    expect(record.turns[0]!.speaker).toBe("A");
    const drafts = chat.callsFor("dialogue");
    expect(drafts).toHaveLength(2);
    expect(text(drafts[1]!.messages)).toMatch(/alternation: message 1: speaker B opens the dialogue/);
    const always = await run(model({ openedBy: () => "B" }), { promptVariant: "whole-dialogue", maxTurnRetries: 0 });
    expect(always.status).toBe("rejected");
    expect(always.rejection_reasons[0]).toMatchObject({ check: "alternation", turn: 0 });
  });

  it("whole-dialogue rejects with the gates' reasons when the redrafts are spent", async () => {
    const chat = model({ dialogue: () => TURNS.map((t, i) => (i === 1 ? ENGLISH : t)) });
    const record = await run(chat, { promptVariant: "whole-dialogue", maxTurnRetries: 1 });
    expect(record.status).toBe("rejected");
    expect(record.rejection_reasons[0]).toMatchObject({ check: "language", turn: 1 });
    expect(chat.callsFor("dialogue")).toHaveLength(2);
    expect(chat.callsFor("critique")).toHaveLength(0);
  });

  it("whole-dialogue redrafts after a failed critique with the reviewer's feedback", async () => {
    const chat = model({ critique: (round) => (round === 0 ? REVISE : ACCEPT) });
    const record = await run(chat, { promptVariant: "whole-dialogue", maxCritiqueRounds: 1 });
    expect(record.status).toBe("accepted");
    expect(record.turns).toHaveLength(6);
    const drafts = chat.callsFor("dialogue");
    expect(drafts).toHaveLength(2);
    expect(text(drafts[1]!.messages)).toContain("A reviewer asked for changes: Suena a traducción.");
  });

  it("whole-dialogue rejects a draft that does not parse as a structured_output failure", async () => {
    const chat = model({ dialogue: () => ["solo uno"] });
    const record = await run(chat, { promptVariant: "whole-dialogue", maxStructuredRetries: 1 });
    expect(record.status).toBe("rejected");
    expect(record.rejection_reasons[0]!.check).toBe("structured_output");
    expect(record.rejection_reasons[0]!.detail).toMatch(/^whole dialogue: does not match the dialogue schema/);
  });
});
