import type { BaseChatModel } from "@langchain/core/language_models/chat_models";
import type { Runtime } from "@langchain/langgraph";
import { z } from "zod";
import { getChatModel, type ModelSettings, PROVIDERS } from "../lib/models/factory.js";
import { checkCallerModelSettings } from "../lib/models/caller-policy.js";

/**
 * The run-time settings of the dialogue graph, with their defaults in one place.
 * This zod object is the graph's context schema: LangGraph Studio shows it as a form.
 * Models are injected: the CLI and tests put ready chat models in `chatModel` / `judgeModel`;
 * when they are absent (Studio), the factory builds one from `provider` + `model` and reuses it.
 */
export const DialogueConfigSchema = z.object({
  // ── the model (lib/models/factory.ts builds it from these when none is injected) ──
  provider: z
    .enum(PROVIDERS)
    .default("llama-cpp")
    .describe("Chat model provider: llama-cpp (embedded), openai (any OpenAI-compatible server), anthropic, ollama"),
  model: z
    .string()
    .optional()
    .describe(
      "llama-cpp: path to a GGUF file the operator allows (POLYGLOT_ALLOWED_MODELS; empty: the default model); others: the model's name on the server",
    ),
  baseUrl: z
    .string()
    .optional()
    .describe(
      "Server base URL for openai / anthropic / ollama, one the operator allows (POLYGLOT_ALLOWED_BASE_URLS); empty: the configured server",
    ),
  threads: z
    .number()
    .int()
    .min(1)
    .max(256)
    .optional()
    .describe("CPU threads for the embedded engine (default: the physical cores)"),
  judgeProvider: z
    .enum(PROVIDERS)
    .optional()
    .describe("Provider of the self-critique model; empty: the chat model judges"),
  judgeModelName: z.string().optional().describe("The self-critique model (path or name, as for model)"),
  judgeBaseUrl: z.string().optional().describe("Server base URL of the self-critique model"),
  requestTimeoutSeconds: z
    .number()
    .min(1)
    .max(3600)
    .optional()
    .describe("Remote providers: one attempt's time limit in seconds (default 120)"),
  maxAttempts: z
    .number()
    .int()
    .min(1)
    .max(10)
    .optional()
    .describe("Remote providers: attempts per call, the first included (default 4)"),
  promptVariant: z.string().default("baseline").describe("Prompt variant: a folder under prompts/"),
  turnsMin: z.number().int().min(2).max(40).default(8).describe("Fewest turns in a dialogue"),
  turnsMax: z.number().int().min(2).max(40).default(14).describe("Most turns in a dialogue"),
  maxTurnRetries: z.number().int().min(0).max(10).default(2).describe("Regenerations of one turn that failed a check"),
  maxCritiqueRounds: z.number().int().min(0).max(5).default(1).describe("Repairs after a failed self-critique"),
  maxStructuredRetries: z
    .number()
    .int()
    .min(0)
    .max(10)
    .default(2)
    .describe("Retries of a persona / common-ground / critique call whose output failed validation"),
  maxTurnChars: z.number().int().min(40).max(4000).default(400).describe("Longest chat turn, in characters"),
});
export type DialogueConfig = z.infer<typeof DialogueConfigSchema>;

/** The graph's context schema: every setting optional (resolveConfig fills in the defaults). */
export const DialogueContextSchema = DialogueConfigSchema.partial();

/** What a node gets: the settings plus the injected models (not part of the Studio form). */
export type DialogueContext = z.input<typeof DialogueContextSchema> & {
  chatModel?: BaseChatModel;
  /** the model of the self-critique; defaults to the chat model */
  judgeModel?: BaseChatModel;
};

export interface ResolvedRuntime {
  config: DialogueConfig;
  chatModel: BaseChatModel;
  judgeModel: BaseChatModel;
}

/** Resolved configurations by context object: nodes and edges resolve the same run's context on every step. */
const resolvedByContext = new WeakMap<DialogueContext, DialogueConfig>();

/** The run's configuration: the context's settings over the defaults, validated (a context is not changed once a run has it). */
export function resolveConfig(context: DialogueContext | undefined): DialogueConfig {
  const cached = context && resolvedByContext.get(context);
  if (cached) return cached;
  const { chatModel: _chat, judgeModel: _judge, ...settings } = context ?? {};
  const config = DialogueConfigSchema.parse(settings);
  if (config.turnsMin > config.turnsMax)
    throw new Error(`turnsMin (${config.turnsMin}) is above turnsMax (${config.turnsMax})`);
  if (context) resolvedByContext.set(context, config);
  return config;
}

/** The settings the factory builds the chat model from. */
export function chatModelSettings(config: DialogueConfig): ModelSettings {
  return {
    provider: config.provider,
    model: config.model,
    baseUrl: config.baseUrl,
    threads: config.threads,
    ...(config.requestTimeoutSeconds !== undefined ? { timeoutMs: config.requestTimeoutSeconds * 1000 } : {}),
    maxAttempts: config.maxAttempts,
  };
}

/** The settings of the self-critique model, or null when the chat model judges too (no judge settings, or the same model). */
export function judgeModelSettings(config: DialogueConfig): ModelSettings | null {
  if (!config.judgeProvider && !config.judgeModelName && !config.judgeBaseUrl) return null;
  const provider = config.judgeProvider ?? config.provider;
  const sameProvider = provider === config.provider;
  const judge = {
    ...chatModelSettings(config),
    provider,
    model: config.judgeModelName ?? (sameProvider ? config.model : undefined),
    baseUrl: config.judgeBaseUrl ?? (sameProvider ? config.baseUrl : undefined),
  };
  // the same model as the chat model: judge with that one (no second engine loading the same file)
  const same =
    sameProvider && (judge.model ?? "") === (config.model ?? "") && (judge.baseUrl ?? "") === (config.baseUrl ?? "");
  return same ? null : judge;
}

/**
 * A model nobody injected (LangGraph Studio, the API): its settings come from whoever called the server, so only
 * what the operator allows is built (lib/security/caller-policy.ts), and keys go only to their configured host.
 */
function callerModel(settings: ModelSettings, what: "model" | "judge"): BaseChatModel {
  checkCallerModelSettings(settings, what);
  return getChatModel({ ...settings, keyOnlyToConfiguredHost: true });
}

export function resolveRuntime(runtime: Runtime<DialogueContext> | undefined): ResolvedRuntime {
  const config = resolveConfig(runtime?.context);
  const chatModel = runtime?.context?.chatModel ?? callerModel(chatModelSettings(config), "model");
  const judgeSettings = judgeModelSettings(config);
  const judgeModel = runtime?.context?.judgeModel ?? (judgeSettings ? callerModel(judgeSettings, "judge") : chatModel);
  return { config, chatModel, judgeModel };
}
