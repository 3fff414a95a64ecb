import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cachedModelCount, getChatModel } from "./factory.js";
import { ChatLlamaCppEngine } from "./llama-cpp.js";
import { writeTinyGguf } from "./tiny-gguf.js";

// The factory's bound on the real engine: a caller varying a setting (threads) cannot pile up loaded engines.
describe("getChatModel on the embedded engine (tiny GGUF)", () => {
  const dir = mkdtempSync(join(tmpdir(), "factory-lru-"));
  const path = join(dir, "tiny.gguf");
  beforeAll(async () => writeTinyGguf(path));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("frees the engine it evicts; one asked for again reloads", async () => {
    const env = { POLYGLOT_MAX_MODELS: "2", POLYGLOT_MODELS_DIR: dir };
    const engine = (threads: number) => {
      const model = getChatModel({ provider: "llama-cpp", model: path, threads }, env);
      if (!(model instanceof ChatLlamaCppEngine)) throw new Error("getChatModel: not the embedded engine");
      return model;
    };
    const first = engine(1);
    await first.load();
    const second = engine(2);
    await second.load();
    expect(first.loaded && second.loaded).toBe(true);
    const third = engine(3); // the third configuration: the first (least recently used) is freed
    expect(cachedModelCount()).toBe(2);
    expect(first.loaded).toBe(false);
    expect(second.loaded).toBe(true);
    expect(engine(1)).not.toBe(first);
    for (const model of [second, third, engine(1)]) await model.dispose();
  }, 60_000);
});
