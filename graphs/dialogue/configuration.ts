import type { BaseChatModel } from "@langchain/core/language_models/chat_models";
import type { Runtime } from "@langchain/langgraph";
import { z } from "zod";
import { getChatModel } from "../../lib/models/factory.js";

/**
 * The run-time settings of the dialogue graph, with their defaults in one place.
 * This zod object is the graph's context schema: LangGraph Studio shows it as a form.
 * Models are injected: the CLI and tests put ready chat models in `chatModel` / `judgeModel`;
 * when they are absent (Studio), the factory builds one from `provider` + `model` and reuses it.
 */
export const DialogueConfigSchema = z.object({
  provider: z.enum(["llama-cpp"]).default("llama-cpp").describe("Chat model provider"),
  model: z
    .string()
    .optional()
    .describe("Path to a local GGUF file for the embedded llama.cpp engine; empty: the default model in the cache"),
  threads: z.number().int().min(1).max(256).optional().describe("CPU threads for the embedded engine (default: 2)"),
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

export function resolveConfig(context: DialogueContext | undefined): DialogueConfig {
  const { chatModel: _chat, judgeModel: _judge, ...settings } = context ?? {};
  const config = DialogueConfigSchema.parse(settings);
  if (config.turnsMin > config.turnsMax) throw new Error(`turnsMin (${config.turnsMin}) is above turnsMax (${config.turnsMax})`);
  return config;
}

export function resolveRuntime(runtime: Runtime<DialogueContext> | undefined): ResolvedRuntime {
  const config = resolveConfig(runtime?.context);
  const chatModel = runtime?.context?.chatModel ?? getChatModel(config);
  return { config, chatModel, judgeModel: runtime?.context?.judgeModel ?? chatModel };
}
