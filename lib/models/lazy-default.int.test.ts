import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_MODEL } from "./default-model.js";
import { createChatModel, disposeChatModel } from "./factory.js";
import { ChatLlamaCppEngine } from "./llama-cpp.js";
import { type HubStandIn, sha256, startHubStandIn } from "../../testing/hf-stand-in.js";
import { writeTinyGguf } from "./tiny-gguf.js";

// A caller that does not fetch the default model up front — a Studio run (the graph builds its model from the
// context through the factory), or any embedding of the graph — gets an engine that fetches it before its first
// load, with the first run's downloader (lib/models/auto-pull.ts), here from a local Hugging Face stand-in.

const dir = mkdtempSync(join(tmpdir(), "lazy-default-"));
const [repoUser, repoName] = DEFAULT_MODEL.uri.replace(/^hf:/, "").split("/") as [string, string];
let hub: HubStandIn;
let gguf: Buffer;

beforeAll(async () => {
  const file = join(dir, "tiny.gguf");
  await writeTinyGguf(file);
  gguf = readFileSync(file);
  hub = await startHubStandIn({ [`${repoUser}/${repoName}/${DEFAULT_MODEL.file}`]: { bytes: gguf } });
});

afterAll(async () => {
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- unset when beforeAll failed
  await hub?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("the default model for a caller that did not fetch it (a Studio run)", () => {
  it("is downloaded before the engine's first load, checked, then loaded; downloads off, it is refused in one line", async () => {
    const cache = join(dir, "cache");
    const env = {
      ...process.env,
      POLYGLOT_MODELS_DIR: cache,
      HF_ENDPOINT: hub.endpoint,
      POLYGLOT_NO_DOWNLOAD: "",
      CI: "true",
    };
    expect(() => createChatModel({ provider: "llama-cpp" }, { ...env, POLYGLOT_NO_DOWNLOAD: "1" })).toThrow(
      /^default model not found at .*; download it once with: npm run model:pull/,
    );
    const model = createChatModel({ provider: "llama-cpp", threads: 1 }, env);
    if (!(model instanceof ChatLlamaCppEngine)) throw new Error("createChatModel: not the embedded engine");
    expect(hub.gets).toHaveLength(0); // nothing fetched until the engine loads
    try {
      await model.load();
      expect(sha256(readFileSync(join(cache, DEFAULT_MODEL.file)))).toBe(sha256(gguf));
      expect(hub.gets.filter((get) => get.ranged && get.start === 0)).toHaveLength(1);
      const answer = await model.invoke("Hola", { maxTokens: 4 });
      expect(typeof answer.content).toBe("string");
    } finally {
      await disposeChatModel(model);
    }
  });
});
