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
  /** remote providers: one-line notices about the whole run (a server refusing json_schema); default: stderr */
  onNotice?: ((line: string) => void) | undefined;
  /** remote providers: send the key only to the host it was configured for (models a Studio / API caller chose) */
  keyOnlyToConfiguredHost?: boolean | undefined;
}

let remote: typeof RemoteModule | undefined;

/**
 * Loads what a provider needs before its models are built: the remote providers' SDKs (@langchain/openai,
 * anthropic and ollama together take over a second to import), which the embedded engine never needs.
 * node-llama-cpp itself loads later still, with the first model file (ChatLlamaCppEngine).
 */
export async function loadProviders(...providers: (ProviderName | undefined)[]): Promise<void> {
  if (providers.some((provider) => provider !== undefined && provider !== "llama-cpp"))
    remote ??= await import("./remote.js");
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
        onNotice: settings.onNotice,
        keyOnlyToConfiguredHost: settings.keyOnlyToConfiguredHost,
      },
      env,
    );
  }
  if (settings.baseUrl)
    throw new ModelConfigError("--base-url is for the remote providers (openai, anthropic, ollama), not llama-cpp");
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
export function needsDefaultModel(
  ...settings: (Pick<ModelSettings, "provider" | "model"> | null | undefined)[]
): boolean {
  return settings.some((s) => s?.provider === "llama-cpp" && !s.model);
}

/** Models kept by getChatModel at once, unless POLYGLOT_MAX_MODELS says otherwise (each embedded one holds its weights). */
export const DEFAULT_MAX_MODELS = 2;

/** getChatModel's instances, least recently used first (a Map keeps insertion order; a hit moves to the end). */
const instances = new Map<string, BaseChatModel>();

function maxModels(env: NodeJS.ProcessEnv): number {
  const value = Number(env.POLYGLOT_MAX_MODELS);
  return Number.isInteger(value) && value >= 1 ? value : DEFAULT_MAX_MODELS;
}

/**
 * One instance per model configuration, reused; at most POLYGLOT_MAX_MODELS (default 2) at once: a new one evicts
 * the least recently used, whose engine is freed (a caller varying `threads` or `model` cannot pile up engines).
 */
export function getChatModel(settings: ModelSettings, env: NodeJS.ProcessEnv = process.env): BaseChatModel {
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
    settings.keyOnlyToConfiguredHost ?? false,
  ]);
  const cached = instances.get(key);
  if (cached) {
    instances.delete(key);
    instances.set(key, cached);
    return cached;
  }
  const model = createChatModel(settings, env);
  instances.set(key, model);
  for (const [oldKey, old] of instances) {
    if (instances.size <= maxModels(env)) break;
    instances.delete(oldKey);
    // freed once its calls in flight end; a run still holding it reloads it on its next call
    void disposeChatModel(old).catch(() => undefined);
  }
  return model;
}

/** The self-critique model: built like the chat model, a configuration mistake naming the judge's flags
 * (`--judge-model`, `--judge-base-url`, `--judge-provider`), which is what the user has to fix. */
export function createJudgeModel(settings: ModelSettings, env: NodeJS.ProcessEnv = process.env): BaseChatModel {
  try {
    return createChatModel(settings, env);
  } catch (error) {
    if (!(error instanceof ModelConfigError)) throw error;
    throw new ModelConfigError(error.message.replace(/--(model|base-url|provider)\b/g, "--judge-$1"));
  }
}

/** How many models getChatModel holds (for tests). */
export function cachedModelCount(): number {
  return instances.size;
}

/** Frees what a model holds (the embedded engine's model and context); a no-op for remote models. */
export async function disposeChatModel(model: BaseChatModel | undefined): Promise<void> {
  const disposable = model as { dispose?: () => Promise<void> } | undefined;
  if (typeof disposable?.dispose === "function") await disposable.dispose();
}

/** The CPU threads of the embedded engine (its output depends on them); undefined for models served elsewhere. */
export function modelThreads(model: BaseChatModel): number | undefined {
  const threads = (model as unknown as { options?: { threads?: unknown } }).options?.threads;
  return model._llmType() === "llama-cpp" && typeof threads === "number" ? threads : undefined;
}

export function modelLabel(model: BaseChatModel): { provider: string; model: string } {
  const params = (
    model as { getLsParams?: (options: unknown) => { ls_provider?: string; ls_model_name?: string } }
  ).getLsParams?.({});
  return { provider: params?.ls_provider ?? model._llmType(), model: params?.ls_model_name ?? "unknown" };
}
