import type { BaseChatModel } from "@langchain/core/language_models/chat_models";
import { resolveModelPath } from "./default-model.js";
import { ChatLlamaCppEngine } from "./llama-cpp.js";

/**
 * The one place that constructs chat models from settings. Nodes never call it directly: they take the model
 * the runtime context injects, and only fall back to this factory (through resolveRuntime) when nobody did,
 * as when LangGraph Studio runs the graph. Instances are reused per settings, so a model loads once.
 */

export interface ModelSettings {
  provider: "llama-cpp";
  model?: string | undefined;
  threads?: number | undefined;
  temperature?: number | undefined;
  seed?: number | undefined;
}

/** A user-facing configuration problem (model file missing, …): the CLI prints its message as one line. */
export class ModelConfigError extends Error {
  override name = "ModelConfigError";
}

export function createChatModel(settings: ModelSettings): ChatLlamaCppEngine {
  const resolved = resolveModelPath(settings.model || undefined);
  if (!resolved.ok) throw new ModelConfigError(resolved.message);
  return new ChatLlamaCppEngine({
    modelPath: resolved.path,
    threads: settings.threads ?? 2,
    ...(settings.temperature !== undefined ? { temperature: settings.temperature } : {}),
    ...(settings.seed !== undefined ? { seed: settings.seed } : {}),
  });
}

const instances = new Map<string, BaseChatModel>();

export function getChatModel(settings: ModelSettings): BaseChatModel {
  const key = JSON.stringify([settings.provider, settings.model ?? "", settings.threads ?? 0, settings.temperature ?? null, settings.seed ?? null]);
  const cached = instances.get(key);
  if (cached) return cached;
  const model = createChatModel(settings);
  instances.set(key, model);
  return model;
}

export function modelLabel(model: BaseChatModel): { provider: string; model: string } {
  const params = (model as { getLsParams?: (options: unknown) => { ls_provider?: string; ls_model_name?: string } }).getLsParams?.({});
  return { provider: params?.ls_provider ?? model._llmType(), model: params?.ls_model_name ?? "unknown" };
}
