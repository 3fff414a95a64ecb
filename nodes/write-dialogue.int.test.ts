import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Runtime } from "@langchain/langgraph";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DialogueContext } from "./configuration.js";
import type { DialogueState } from "./state.js";
import { ChatLlamaCppEngine } from "../lib/models/llama-cpp.js";
import { writeTinyGguf } from "../lib/models/tiny-gguf.js";
import { writeDialogue } from "./write-dialogue.js";

// The whole-dialogue call on the real engine: the {turns: [...]} schema becomes a grammar, so even random weights
// give a parseable dialogue of the required length; the call's token budget is raised above the engine's default
// (512) so that a long dialogue is not cut off mid-JSON.
describe("writeDialogue on the real llama.cpp engine (tiny random-weight GGUF)", () => {
  let engine: ChatLlamaCppEngine;
  beforeAll(async () => {
    const path = join(mkdtempSync(join(tmpdir(), "whole-dialogue-")), "tiny.gguf");
    await writeTinyGguf(path);
    engine = new ChatLlamaCppEngine({ modelPath: path, threads: 1 });
  });
  afterAll(async () => {
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- unset when beforeAll failed
    await engine?.dispose();
  });

  it("returns schema-valid turns A, B, … within the turn budget", async () => {
    const state = {
      language: "es",
      seed: 1,
      index: 0,
      dialogueId: "es-1-00000",
      startedAt: 0,
      personas: [
        { speaker: "A", name: "Lucía", sentences: ["Soy enfermera."], source_sentences: ["I am a nurse."] },
        { speaker: "B", name: "Marta", sentences: ["Leo novelas."], source_sentences: ["I read novels."] },
      ],
      speechEvent: {
        id: "small_talk",
        name: "Small talk",
        category: "informal_superficial",
        description: "Light chat.",
      },
      commonGround: "Son vecinas.",
      targetTurns: 3,
      turns: [],
      candidate: null,
      turnFeedback: null,
      turnRetries: 0,
      closed: false,
      critique: null,
      critiqueRounds: 0,
      repairFeedback: null,
      rejectionReasons: [],
      attempts: 0,
      usage: { input_tokens: 0, output_tokens: 0 },
      promptHash: "",
      record: null,
    } as unknown as DialogueState;
    const context: DialogueContext = {
      chatModel: engine,
      promptVariant: "whole-dialogue",
      turnsMin: 2,
      turnsMax: 4,
      maxTurnChars: 60,
      maxStructuredRetries: 0,
    };
    const update = await writeDialogue(state, { context } as Runtime<DialogueContext>);
    expect(update.rejectionReasons ?? []).toEqual([]);
    expect(update.turns!.length).toBeGreaterThanOrEqual(2);
    expect(update.turns!.length).toBeLessThanOrEqual(4);
    expect(update.turns!.map((t) => t.speaker).join("")).toMatch(/^[AB]+$/);
    expect(update.turns!.every((t) => t.text.length <= 60)).toBe(true);
    expect(update.attempts).toBe(1);
    expect(update.usage!.output_tokens).toBeGreaterThan(0);
  });
});
