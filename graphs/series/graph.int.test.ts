import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ChatLlamaCppEngine } from "../../lib/models/llama-cpp.js";
import { tinyWordsFor, writeTinyGguf } from "../../lib/models/tiny-gguf.js";
import { DialogueRecordSchema } from "../../lib/records/schema.js";
import { runSeries } from "./graph.js";

describe("series graph on the real llama.cpp engine, tiny word model (random weights writing Italian words)", () => {
  let engine: ChatLlamaCppEngine;

  beforeAll(async () => {
    const path = join(mkdtempSync(join(tmpdir(), "series-int-words-")), "it.gguf");
    await writeTinyGguf(path, { words: tinyWordsFor("it") });
    engine = new ChatLlamaCppEngine({ modelPath: path, threads: 1, maxTokens: 1024, seed: 1 });
  });
  afterAll(async () => {
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- unset when beforeAll failed
    await engine?.dispose();
  });

  it("writes the first session, each speaker's memory of it, and reaches the second session", async () => {
    // the first session is the dialogue of graphs/dialogue/graph.int.test.ts (same seed and settings: accepted)
    const state = await runSeries(
      { language: "it", seed: 12, index: 0, sessions: 2 },
      { chatModel: engine, turnsMin: 4, turnsMax: 6, maxCritiqueRounds: 2 },
    );
    const record = DialogueRecordSchema.parse(state.record);
    expect(record.sessions?.length, JSON.stringify(record.rejection_reasons)).toBe(2);
    const [first, second] = record.sessions!;
    expect(first!.status).toBe("accepted");
    // the memory node's structured calls went through the engine's grammar and the prose gates
    expect(first!.memory.map((m) => m.speaker)).toEqual(["A", "B"]);
    for (const memory of first!.memory) expect(memory.summary.length).toBeGreaterThan(0);
    // the second session was drawn after a gap and written by the engine (accepted or rejected, with its reasons)
    expect(second!.gap).not.toBeNull();
    expect(second!.common_ground.length + second!.turns.length).toBeGreaterThan(0);
    expect(record.provenance.attempts).toBeGreaterThan(first!.turns.length + 6);
  }, 900_000);
});
