import { existsSync, readdirSync, readFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it, vi } from "vitest";
import { chatModelSettings, judgeModelSettings, resolveConfig } from "../../nodes/configuration.js";
import { AnthropicChat, OllamaChat, OpenAICompatibleChat, resolveEndpoint } from "./remote.js";
import {
  cachedModelCount,
  createChatModel,
  getChatModel,
  loadProviders,
  ModelConfigError,
  modelLabel,
} from "./factory.js";
import { ChatLlamaCppEngine } from "./llama-cpp.js";

/** Distinct (package, core) pairs of the online CPUs in sysfs; null where there is no such tree (not Linux). */
function sysfsPhysicalCores(): number | null {
  const root = "/sys/devices/system/cpu";
  if (!existsSync(root)) return null;
  const cores = new Set<string>();
  for (const cpu of readdirSync(root).filter((name) => /^cpu\d+$/.test(name))) {
    const topology = join(root, cpu, "topology");
    if (!existsSync(join(topology, "core_id"))) continue; // offline
    const read = (file: string) => readFileSync(join(topology, file), "utf8").trim();
    cores.add(`${read("physical_package_id")}:${read("core_id")}`);
  }
  return cores.size > 0 ? cores.size : null;
}

function configError(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ModelConfigError);
    return (error as Error).message;
  }
  throw new Error("expected a ModelConfigError");
}

beforeAll(() => loadProviders("openai"));

describe("createChatModel", () => {
  it("asks for the remote SDKs to be loaded first, and loads nothing for the embedded engine", async () => {
    vi.resetModules();
    const fresh = await import("./factory.js");
    await fresh.loadProviders("llama-cpp", undefined);
    expect(() => fresh.createChatModel({ provider: "ollama", model: "m" }, {})).toThrow(
      /await loadProviders\("ollama"\) first/,
    );
    await fresh.loadProviders("llama-cpp", "ollama");
    expect(fresh.modelLabel(fresh.createChatModel({ provider: "ollama", model: "m" }, {}))).toEqual({
      provider: "ollama",
      model: "m",
    });
  });

  it("builds each provider's model, labelled for the record's provenance", () => {
    const env = { OPENAI_API_KEY: "k", ANTHROPIC_API_KEY: "k" };
    const openai = createChatModel({ provider: "openai", model: "gpt-x", baseUrl: "http://127.0.0.1:8000/v1" }, env);
    expect(openai).toBeInstanceOf(OpenAICompatibleChat);
    expect(modelLabel(openai)).toEqual({ provider: "openai", model: "gpt-x" });
    expect(createChatModel({ provider: "anthropic", model: "claude-x" }, env)).toBeInstanceOf(AnthropicChat);
    const ollama = createChatModel({ provider: "ollama", model: "qwen2.5:7b" }, {});
    expect(ollama).toBeInstanceOf(OllamaChat);
    expect(modelLabel(ollama)).toEqual({ provider: "ollama", model: "qwen2.5:7b" });
  });

  it("lets a local OpenAI-compatible server go without a key, not the public API", () => {
    expect(createChatModel({ provider: "openai", model: "m", baseUrl: "http://127.0.0.1:8000/v1" }, {})).toBeInstanceOf(
      OpenAICompatibleChat,
    );
    expect(configError(() => createChatModel({ provider: "openai", model: "gpt-x" }, {}))).toMatch(
      /^OPENAI_API_KEY is not set \(needed for https:\/\/api\.openai\.com\/v1/,
    );
  });

  it("says in one line what to fix: no model name, a bad URL, a base URL for the embedded engine", () => {
    expect(configError(() => createChatModel({ provider: "ollama" }, {}))).toBe(
      "--model is required with --provider ollama (the name of the model the server serves)",
    );
    expect(
      configError(() => createChatModel({ provider: "ollama", model: "m", baseUrl: "localhost:11434" }, {})),
    ).toMatch(/--base-url must be an http\(s\) URL/);
    expect(configError(() => createChatModel({ provider: "openai", model: "m", baseUrl: "ftp://x" }, {}))).toMatch(
      /--base-url must be an http\(s\) URL/,
    );
    expect(configError(() => createChatModel({ provider: "llama-cpp", baseUrl: "http://x" }, {}))).toMatch(
      /--base-url is for the remote providers/,
    );
    expect(configError(() => createChatModel({ provider: "llama-cpp", model: "/nope/m.gguf" }, {}))).toMatch(
      /model file not found/,
    );
  });

  it("takes the base URL from the flag, else the provider's env variable, else its default", () => {
    expect(resolveEndpoint({ provider: "ollama", model: "m" }, {}).baseUrl).toBe("http://127.0.0.1:11434");
    expect(resolveEndpoint({ provider: "ollama", model: "m" }, { OLLAMA_BASE_URL: "http://gpu:11434/" }).baseUrl).toBe(
      "http://gpu:11434",
    );
    expect(
      resolveEndpoint({ provider: "openai", model: "m", baseUrl: "http://a/v1" }, { OPENAI_BASE_URL: "http://b/v1" })
        .baseUrl,
    ).toBe("http://a/v1");
    expect(resolveEndpoint({ provider: "anthropic", model: "m" }, {})).toMatchObject({
      baseUrl: "https://api.anthropic.com",
      keyEnv: "ANTHROPIC_API_KEY",
    });
  });

  // counted from sysfs, not from the /proc/cpuinfo the engine reads, and capped by what this process may use
  const physical = sysfsPhysicalCores();
  it.skipIf(physical === null)("gives the embedded engine the machine's physical cores unless told", () => {
    const engine = new ChatLlamaCppEngine({ modelPath: "/x/m.gguf" });
    expect(engine.options.threads).toBe(Math.min(physical!, availableParallelism()));
    expect(engine.options.sequences).toBe(4);
    expect(new ChatLlamaCppEngine({ modelPath: "/x/m.gguf", threads: 3 }).options.threads).toBe(3);
  });
});

describe("keys of models a caller chose (keyOnlyToConfiguredHost)", () => {
  const env = { OPENAI_API_KEY: "sk-configured-key", OPENAI_BASE_URL: "http://vllm.internal:8000/v1" };
  const keyOf = (baseUrl: string | undefined, keyOnlyToConfiguredHost: boolean) =>
    (
      createChatModel({ provider: "openai", model: "m", baseUrl, keyOnlyToConfiguredHost }, env) as unknown as {
        apiKey?: string;
      }
    ).apiKey;

  it("go to the host they were configured for, and to no other", () => {
    expect(keyOf(undefined, true)).toBe("sk-configured-key");
    expect(keyOf("http://vllm.internal:8000/v1/", true)).toBe("sk-configured-key");
    expect(keyOf("http://listener.example:8000/v1", true)).toBe("not-needed");
    expect(keyOf("http://vllm.internal:9999/v1", true)).toBe("not-needed");
    // the operator's own command line (the CLI) names its server: the key goes there
    expect(keyOf("http://listener.example:8000/v1", false)).toBe("sk-configured-key");
  });
});

describe("context settings (Studio form, config file) → model settings", () => {
  it("carry provider, model, base URL and request settings", () => {
    const config = resolveConfig({
      provider: "openai",
      model: "m",
      baseUrl: "http://127.0.0.1:1/v1",
      requestTimeoutSeconds: 30,
      maxAttempts: 2,
    });
    expect(chatModelSettings(config)).toMatchObject({
      provider: "openai",
      model: "m",
      baseUrl: "http://127.0.0.1:1/v1",
      timeoutMs: 30_000,
      maxAttempts: 2,
    });
    expect(judgeModelSettings(config)).toBeNull();
  });

  it("give the judge its own model when asked, inheriting what is not said", () => {
    const config = resolveConfig({ provider: "openai", model: "m", baseUrl: "http://a/v1", judgeModelName: "big" });
    expect(judgeModelSettings(config)).toMatchObject({ provider: "openai", model: "big", baseUrl: "http://a/v1" });
    const other = resolveConfig({ provider: "llama-cpp", judgeProvider: "anthropic", judgeModelName: "claude-x" });
    expect(judgeModelSettings(other)).toMatchObject({ provider: "anthropic", model: "claude-x", baseUrl: undefined });
    // naming the chat model again is no second model
    expect(
      judgeModelSettings(
        resolveConfig({ provider: "ollama", model: "m", judgeProvider: "ollama", judgeModelName: "m" }),
      ),
    ).toBeNull();
  });

  it("reuses one instance per settings (Studio builds models lazily)", () => {
    const settings = { provider: "ollama" as const, model: "reuse-me" };
    expect(getChatModel(settings)).toBe(getChatModel({ ...settings }));
    expect(getChatModel(settings)).not.toBe(getChatModel({ ...settings, baseUrl: "http://other:11434" }));
  });

  it("keeps at most POLYGLOT_MAX_MODELS instances, evicting the least recently used", () => {
    const env = { POLYGLOT_MAX_MODELS: "2" };
    const model = (name: string) => getChatModel({ provider: "ollama", model: name }, env);
    const a = model("lru-a");
    const b = model("lru-b");
    expect(model("lru-a")).toBe(a); // a is now the most recently used
    model("lru-c"); // evicts b
    expect(cachedModelCount()).toBe(2);
    expect(model("lru-a")).toBe(a);
    expect(model("lru-b")).not.toBe(b);
  });
});
