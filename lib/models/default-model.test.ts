import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  DEFAULT_MODEL,
  DEFAULT_MODEL_PULLED_FILE,
  defaultModelPullCommand,
  modelCacheDir,
  resolveModelPath,
} from "./default-model.js";

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "default-model-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("DEFAULT_MODEL", () => {
  it("is Qwen3-1.7B Q4_K_M from ggml-org", () => {
    expect(DEFAULT_MODEL).toEqual({
      name: "Qwen3-1.7B Q4_K_M",
      uri: "hf:ggml-org/Qwen3-1.7B-GGUF/Qwen3-1.7B-Q4_K_M.gguf",
      file: "Qwen3-1.7B-Q4_K_M.gguf",
    });
    expect(DEFAULT_MODEL_PULLED_FILE).toBe("hf_ggml-org_Qwen3-1.7B-Q4_K_M.gguf");
  });
});

describe("modelCacheDir", () => {
  it("prefers POLYGLOT_MODELS_DIR, then XDG_CACHE_HOME, then ~/.cache", () => {
    expect(modelCacheDir({ POLYGLOT_MODELS_DIR: "/m", XDG_CACHE_HOME: "/x" })).toBe("/m");
    expect(modelCacheDir({ XDG_CACHE_HOME: "/x" })).toBe("/x/polyglot-personachat/models");
    expect(modelCacheDir({})).toBe(join(homedir(), ".cache", "polyglot-personachat", "models"));
    expect(modelCacheDir({ POLYGLOT_MODELS_DIR: "", XDG_CACHE_HOME: "" })).toBe(
      join(homedir(), ".cache", "polyglot-personachat", "models"),
    );
  });
});

describe("resolveModelPath with --model", () => {
  it("accepts an existing .gguf file (absolute path)", () => {
    const file = join(dir, "m.gguf");
    writeFileSync(file, "GGUF");
    expect(resolveModelPath(file)).toEqual({ ok: true, path: file });
  });

  it("rejects a missing file, a wrong extension, a directory and an empty flag with one-line messages", () => {
    const txt = join(dir, "m.txt");
    writeFileSync(txt, "x");
    const folder = join(dir, "folder.gguf");
    mkdirSync(folder, { recursive: true });
    const cases = [
      [join(dir, "nope.gguf"), /model file not found: .*nope\.gguf/],
      [txt, /must be a \.gguf file/],
      [folder, /not a regular file/],
      ["", /must not be empty/],
    ] as const;
    for (const [flag, pattern] of cases) {
      const r = resolveModelPath(flag);
      expect(r.ok).toBe(false);
      if (!r.ok) {
        expect(r.message).toMatch(pattern);
        expect(r.message).not.toContain("\n");
      }
    }
  });
});

describe("resolveModelPath without --model", () => {
  it("explains how to download the default model when it is missing", () => {
    const cache = join(dir, "empty-cache");
    const r = resolveModelPath(undefined, { POLYGLOT_MODELS_DIR: cache });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.message).toBe(
      `default model not found at ${join(cache, DEFAULT_MODEL.file)}; download it once with: ` +
        `npm run model:pull  (or pass --model PATH.gguf, or use a server: --provider openai|anthropic|ollama)`,
    );
    expect(r.message).not.toContain("\n");
    expect(defaultModelPullCommand()).toBe("npm run model:pull");
  });

  it("finds the default file in the cache dir, also under the name `pull` gives it without --filename", () => {
    const cache = join(dir, "cache");
    mkdirSync(cache, { recursive: true });
    const pulled = join(cache, DEFAULT_MODEL_PULLED_FILE);
    writeFileSync(pulled, "GGUF");
    expect(resolveModelPath(undefined, { POLYGLOT_MODELS_DIR: cache })).toEqual({ ok: true, path: pulled });
    const exact = join(cache, DEFAULT_MODEL.file);
    writeFileSync(exact, "GGUF");
    expect(resolveModelPath(undefined, { POLYGLOT_MODELS_DIR: cache })).toEqual({ ok: true, path: exact });
    expect(resolveModelPath(undefined, { XDG_CACHE_HOME: join(dir, "nowhere") }).ok).toBe(false);
  });
});
