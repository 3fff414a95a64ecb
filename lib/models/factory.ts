import { join } from "node:path";
import type { BaseChatModel } from "@langchain/core/language_models/chat_models";
import { downloadsDisabled, ensureDefaultModel } from "./auto-pull.js";
import { DEFAULT_MODEL, modelCacheDir, resolveModelPath } from "./default-model.js";
import { ModelConfigError, type ProviderName } from "./errors.js";
import { ChatLlamaCppEngine } from "./llama-cpp.js";
import type * as RemoteModule from "./remote.js";
import type { RetryOptions } from "./retry.js";
import { defaultThreads } from "./threads.js";

/**
 * The one place that constructs chat models from settings. Nodes never call it directly: they take the model
 * the runtime context injects, and only fall back to this factory (through resolveRuntime) when nobody did,
 * as when LangGraph Studio runs the graph. Instances are reused per settings, so a model loads once.
 */

export { ModelConfigError } from "./errors.js";
export { PROVIDERS, type ProviderName } from "./errors.js";

export interface ModelSettings {
  provider: ProviderName;
  /** llama-cpp: a path to a .gguf file (empty: the default model in the cache); others: the model's name */
  model?: string | undefined;
  /** remote providers: the server's base URL (OpenAI-compatible: …/v1) */
  baseUrl?: string | undefined;
  /** llama-cpp: CPU threads (default: the machine's physical cores) */
  threads?: number | undefined;
  /** llama-cpp: context sequences kept alive at once (default 4) */
  sequences?: number | undefined;
  temperature?: number | undefined;
  seed?: number | undefined;
  /** remote providers: one attempt's time limit */
  timeoutMs?: number | undefined;
  /** remote providers: attempts in all, the first included */
  maxAttempts?: number | undefined;
  onRetry?: RetryOptions["onRetry"];
}

let remote: typeof RemoteModule | undefined;

/**
 * Loads what a provider needs before its models are built: the remote providers' SDKs (@langchain/openai,
 * anthropic and ollama together take over a second to import), which the embedded engine never needs.
 * node-llama-cpp itself loads later still, with the first model file (ChatLlamaCppEngine).
 */
export async function loadProviders(...providers: (ProviderName | undefined)[]): Promise<void> {
  if (providers.some((provider) => provider !== undefined && provider !== "llama-cpp")) remote ??= await import("./remote.js");
}

export function createChatModel(settings: ModelSettings, env: NodeJS.ProcessEnv = process.env): BaseChatModel {
  if (settings.provider !== "llama-cpp") {
    if (!remote) throw new Error(`createChatModel: await loadProviders("${settings.provider}") first (bug)`);
    return remote.createRemoteChatModel(
      {
        provider: settings.provider,
        model: settings.model ?? "",
        baseUrl: settings.baseUrl,
        temperature: settings.temperature,
        seed: settings.seed,
        timeoutMs: settings.timeoutMs,
        ...(settings.maxAttempts !== undefined ? { retry: { maxAttempts: settings.maxAttempts } } : {}),
        onRetry: settings.onRetry,
      },
      env,
    );
  }
  if (settings.baseUrl) throw new ModelConfigError("--base-url is for the remote providers (openai, anthropic, ollama), not llama-cpp");
  const resolved = resolveModelPath(settings.model || undefined, env);
  // the default model not fetched yet, by a caller that did not fetch it first (a Studio run): the engine fetches
  // it before its first load; the commands fetch it up front (needsDefaultModel / ensureDefaultModel)
  const lazy = !resolved.ok && !settings.model && !downloadsDisabled(env);
  if (!resolved.ok && !lazy) throw new ModelConfigError(resolved.message);
  return new ChatLlamaCppEngine({
    modelPath: resolved.ok ? resolved.path : join(modelCacheDir(env), DEFAULT_MODEL.file),
    ...(lazy ? { prepare: () => ensureDefaultModel({ env, tty: false, program: "polyglot-personachat" }) } : {}),
    threads: settings.threads ?? defaultThreads(),
    ...(settings.sequences !== undefined ? { sequences: settings.sequences } : {}),
    ...(settings.temperature !== undefined ? { temperature: settings.temperature } : {}),
    ...(settings.seed !== undefined ? { seed: settings.seed } : {}),
  });
}

/** Whether any of these models is the embedded engine's default model (no --model): the one a first run fetches. */
export function needsDefaultModel(...settings: (Pick<ModelSettings, "provider" | "model"> | null | undefined)[]): boolean {
  return settings.some((s) => s?.provider === "llama-cpp" && !s.model);
}

const instances = new Map<string, BaseChatModel>();

export function getChatModel(settings: ModelSettings): BaseChatModel {
  const key = JSON.stringify([
    settings.provider,
    settings.model ?? "",
    settings.baseUrl ?? "",
    settings.threads ?? 0,
    settings.sequences ?? 0,
    settings.temperature ?? null,
    settings.seed ?? null,
    settings.timeoutMs ?? null,
    settings.maxAttempts ?? null,
  ]);
  const cached = instances.get(key);
  if (cached) return cached;
  const model = createChatModel(settings);
  instances.set(key, model);
  return model;
}

/** Frees what a model holds (the embedded engine's model and context); a no-op for remote models. */
export async function disposeChatModel(model: BaseChatModel | undefined): Promise<void> {
  const disposable = model as { dispose?: () => Promise<void> } | undefined;
  if (typeof disposable?.dispose === "function") await disposable.dispose();
}

export function modelLabel(model: BaseChatModel): { provider: string; model: string } {
  const params = (model as { getLsParams?: (options: unknown) => { ls_provider?: string; ls_model_name?: string } }).getLsParams?.({});
  return { provider: params?.ls_provider ?? model._llmType(), model: params?.ls_model_name ?? "unknown" };
}
