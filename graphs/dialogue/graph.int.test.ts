import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ChatLlamaCppEngine } from "../../lib/models/llama-cpp.js";
import { writeTinyGguf } from "../../lib/models/tiny-gguf.js";
import { DialogueRecordSchema } from "../../lib/records/schema.js";
import { runDialogue } from "./graph.js";

describe("dialogue graph on the real llama.cpp engine (tiny random-weight GGUF)", () => {
  let engine: ChatLlamaCppEngine;

  beforeAll(async () => {
    const path = join(mkdtempSync(join(tmpdir(), "graph-int-")), "tiny.gguf");
    await writeTinyGguf(path);
    engine = new ChatLlamaCppEngine({ modelPath: path, threads: 1, maxTokens: 1024 });
  });
  afterAll(async () => {
    await engine?.dispose();
  });

  it("runs the whole graph through grammar-constrained calls and returns a contract-valid record", async () => {
    const state = await runDialogue({ language: "fr", seed: 5, index: 0 }, { chatModel: engine, maxStructuredRetries: 0 });
    const record = DialogueRecordSchema.parse(state.record);
    expect(record.id).toBe("fr-5-00000");
    expect(record.language).toBe("fr");
    // random weights write gibberish: some check must reject it, and the record says which
    expect(record.status).toBe("rejected");
    expect(record.rejection_reasons[0]!.check).not.toBe("");
    // every structured call parsed: the grammar forced schema-valid JSON, so no reason is a parse failure
    expect(record.rejection_reasons.map((r) => r.check)).not.toContain("structured_output");
    expect(record.provenance.attempts).toBeGreaterThanOrEqual(1);
    // the engine's output depends on its thread count: the record says which
    expect(record.provenance.threads).toBe(1);
    expect(record.provenance.usage.output_tokens).toBeGreaterThan(0);
  });
});
