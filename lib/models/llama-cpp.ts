// ChatLlamaCppEngine — our own LangChain chat model over node-llama-cpp@3.21.1.
//
// Why not @langchain/community's ChatLlamaCpp (node_modules/@langchain/community/dist/chat_models/llama_cpp.d.ts)?
// It is a SimpleChatModel whose `_call` returns a bare string, so its messages carry no usage_metadata or
// finish_reason. Its grammar (`jsonSchema`/`gbnf` inputs) is fixed once at construction, so there is no
// per-call, schema-driven structured output (no `response_format` call option; call options are only
// `maxTokens`/`onToken`). It loads eagerly through a static `initialize()` that calls `getLlama()` with
// defaults (auto GPU, default maxThreads; `threads` only reaches the context), ignores its `seed` input,
// and keeps one stateful LlamaChatSession whose history it mutates between calls.
import { basename } from "node:path";
import { z } from "zod";
import {
  BaseChatModel,
  type BaseChatModelCallOptions,
  type BaseChatModelParams,
  type LangSmithParams,
} from "@langchain/core/language_models/chat_models";
import { AIMessage, type BaseMessage } from "@langchain/core/messages";
import type { ChatResult } from "@langchain/core/outputs";
import type { CallbackManagerForLLMRun } from "@langchain/core/callbacks/manager";
import type { UsageMetadata } from "@langchain/core/messages";
import {
  getLlama,
  LlamaChat,
  type ChatHistoryItem,
  type GbnfJsonSchema,
  type Llama,
  type LlamaContext,
  type LlamaGrammar,
  type LlamaModel,
} from "node-llama-cpp";
import { schemaCacheKey, toGbnfJsonSchema } from "./gbnf-schema.js";

export const LlamaCppOptionsSchema = z.object({
  modelPath: z.string().min(1, "modelPath is required"),
  /** CPU threads for evaluation. Always explicit: node-llama-cpp's default oversubscribes small machines. */
  threads: z.number().int().min(1).max(256).default(2),
  contextSize: z.number().int().min(64).default(8192),
  temperature: z.number().min(0).max(5).default(0.8),
  maxTokens: z.number().int().min(1).default(512),
  seed: z.number().int().optional(),
  gpu: z.boolean().default(false),
});
export type LlamaCppOptions = z.input<typeof LlamaCppOptionsSchema>;
export type LlamaCppResolvedOptions = z.output<typeof LlamaCppOptionsSchema>;

/** OpenAI-shaped structured-output request. */
export type LlamaCppResponseFormat =
  | { type: "json_schema"; json_schema: { name: string; schema: Record<string, unknown>; strict?: boolean; description?: string } }
  | { type: "json_object" }
  | { type: "text" };

export interface LlamaCppCallOptions extends BaseChatModelCallOptions {
  response_format?: LlamaCppResponseFormat;
  maxTokens?: number;
  temperature?: number;
  seed?: number;
}

type Loaded = { llama: Llama; model: LlamaModel; context: LlamaContext; chat: LlamaChat };

const FINISH_REASONS: Record<string, string> = {
  eogToken: "stop",
  stopGenerationTrigger: "stop",
  customStopTrigger: "stop",
  maxTokens: "length",
  abort: "abort",
  functionCalls: "tool_calls",
};

/** Converts LangChain messages to node-llama-cpp chat history (system/developer, human, ai). */
export function toLlamaChatHistory(messages: BaseMessage[]): ChatHistoryItem[] {
  return messages.map((m): ChatHistoryItem => {
    const type = m.getType();
    const role = type === "generic" ? String((m as BaseMessage & { role?: string }).role ?? "") : type;
    switch (role) {
      case "system":
      case "developer":
        return { type: "system", text: m.text };
      case "human":
      case "user":
        return { type: "user", text: m.text };
      case "ai":
      case "assistant":
        return { type: "model", response: [m.text] };
      default:
        throw new Error(`ChatLlamaCppEngine: unsupported message type "${role}" (only system, human and ai messages)`);
    }
  });
}

/**
 * LangChain chat model over a local GGUF via node-llama-cpp. Loads lazily on first call (once),
 * serialises calls (one context sequence, reused so a shared prompt prefix stays in the KV cache),
 * and supports per-call grammar-constrained JSON through `response_format`.
 *
 * A trailing AI message in the input is treated as a prefix the model continues (prefill).
 */
export class ChatLlamaCppEngine extends BaseChatModel<LlamaCppCallOptions> {
  readonly options: LlamaCppResolvedOptions;
  private loading: Promise<Loaded> | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly grammars = new Map<string, Promise<LlamaGrammar>>();

  static override lc_name(): string {
    return "ChatLlamaCppEngine";
  }

  constructor(fields: LlamaCppOptions & BaseChatModelParams) {
    super(fields);
    const parsed = LlamaCppOptionsSchema.safeParse(fields);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new Error(`ChatLlamaCppEngine: invalid option ${issue?.path.join(".") || ""}: ${issue?.message ?? "invalid"}`);
    }
    this.options = parsed.data;
  }

  get modelName(): string {
    return basename(this.options.modelPath);
  }

  override _llmType(): string {
    return "llama-cpp";
  }

  override _identifyingParams(): Record<string, unknown> {
    const { modelPath, threads, contextSize, temperature, maxTokens, seed, gpu } = this.options;
    return { model_name: this.modelName, model_path: modelPath, threads, contextSize, temperature, maxTokens, seed, gpu };
  }

  override invocationParams(options?: this["ParsedCallOptions"]): Record<string, unknown> {
    return {
      model: this.modelName,
      temperature: options?.temperature ?? this.options.temperature,
      max_tokens: options?.maxTokens ?? this.options.maxTokens,
      seed: options?.seed ?? this.options.seed,
      threads: this.options.threads,
      ...(options?.response_format ? { response_format: options.response_format } : {}),
    };
  }

  override getLsParams(options: this["ParsedCallOptions"]): LangSmithParams {
    return {
      ls_provider: "llama-cpp",
      ls_model_name: this.modelName,
      ls_model_type: "chat",
      ls_temperature: options?.temperature ?? this.options.temperature,
      ls_max_tokens: options?.maxTokens ?? this.options.maxTokens,
      ...(options?.stop ? { ls_stop: options.stop } : {}),
    };
  }

  /** Loads llama.cpp, the model and a context (once; concurrent callers share the same promise). */
  load(): Promise<Loaded> {
    this.loading ??= this.doLoad().catch((err: unknown) => {
      this.loading = undefined;
      throw err;
    });
    return this.loading;
  }

  get loaded(): boolean {
    return this.loading !== undefined;
  }

  private async doLoad(): Promise<Loaded> {
    const { gpu, threads, modelPath, contextSize } = this.options;
    const llama = await getLlama({ gpu: gpu ? "auto" : false, maxThreads: threads });
    try {
      const model = await llama.loadModel({ modelPath, gpuLayers: gpu ? "auto" : 0 });
      const context = await model.createContext({ contextSize, threads, sequences: 1 });
      const chat = new LlamaChat({ contextSequence: context.getSequence(), autoDisposeSequence: true });
      return { llama, model, context, chat };
    } catch (err) {
      await llama.dispose().catch(() => undefined);
      throw err;
    }
  }

  /** Frees the chat, context, model and llama.cpp instance. The engine reloads lazily if used again. */
  async dispose(): Promise<void> {
    const loading = this.loading;
    this.loading = undefined;
    this.grammars.clear();
    if (!loading) return;
    const loaded = await loading.catch(() => undefined);
    if (!loaded) return;
    await this.queue.catch(() => undefined);
    loaded.chat.dispose();
    await loaded.context.dispose();
    await loaded.model.dispose();
    await loaded.llama.dispose();
  }

  private grammarFor(llama: Llama, format: LlamaCppResponseFormat | undefined): Promise<LlamaGrammar> | undefined {
    if (!format || format.type === "text") return undefined;
    if (format.type === "json_object") {
      const key = "json_object";
      if (!this.grammars.has(key)) this.grammars.set(key, llama.getGrammarFor("json"));
      return this.grammars.get(key);
    }
    if (format.type !== "json_schema" || !format.json_schema || typeof format.json_schema.schema !== "object")
      throw new Error(`ChatLlamaCppEngine: unsupported response_format ${JSON.stringify(format).slice(0, 120)}`);
    const key = schemaCacheKey(format.json_schema.schema);
    let grammar = this.grammars.get(key);
    if (!grammar) {
      const gbnfSchema = toGbnfJsonSchema(format.json_schema.schema);
      grammar = llama.createGrammarForJsonSchema<GbnfJsonSchema>(gbnfSchema);
      grammar.catch(() => this.grammars.delete(key));
      this.grammars.set(key, grammar);
    }
    return grammar;
  }

  override async _generate(
    messages: BaseMessage[],
    options: this["ParsedCallOptions"],
    runManager?: CallbackManagerForLLMRun,
  ): Promise<ChatResult> {
    const history = toLlamaChatHistory(messages);
    if (history.at(-1)?.type !== "model") history.push({ type: "model", response: [] });
    // validate the schema before paying for a model load
    if (options.response_format?.type === "json_schema") toGbnfJsonSchema(options.response_format.json_schema.schema);
    options.signal?.throwIfAborted();

    const { llama, model, chat } = await this.load();
    const grammar = await this.grammarFor(llama, options.response_format);

    const run = async (): Promise<ChatResult> => {
      options.signal?.throwIfAborted();
      const prompt = chat.chatWrapper.generateContextState({ chatHistory: history }).contextText.tokenize(model.tokenizer);
      // the prompt prefix already in the KV cache of the (reused) sequence is not re-evaluated
      const cached = Math.min(prompt.length, chat.sequence.compareContextTokens(prompt).firstDifferentIndex);
      const meter = chat.sequence.tokenMeter.getState();
      const seed = options.seed ?? this.options.seed;
      const res = await chat.generateResponse(history, {
        maxTokens: options.maxTokens ?? this.options.maxTokens,
        temperature: options.temperature ?? this.options.temperature,
        ...(seed !== undefined ? { seed } : {}),
        ...(grammar ? { grammar } : {}),
        ...(options.signal ? { signal: options.signal } : {}),
        ...(options.stop?.length ? { customStopTriggers: options.stop } : {}),
        onTextChunk: runManager ? (text: string) => void runManager.handleLLMNewToken(text) : undefined,
      });
      const used = chat.sequence.tokenMeter.diff(meter);
      const inputTokens = prompt.length;
      const usage: UsageMetadata = {
        input_tokens: inputTokens,
        output_tokens: used.usedOutputTokens,
        total_tokens: inputTokens + used.usedOutputTokens,
        ...(cached > 0 ? { input_token_details: { cache_read: cached } } : {}),
      };
      const finishReason = FINISH_REASONS[res.metadata.stopReason] ?? res.metadata.stopReason;
      const text = res.response;
      const message = new AIMessage({
        content: text,
        usage_metadata: usage,
        response_metadata: { model: this.modelName, model_provider: "llama-cpp", finish_reason: finishReason },
      });
      return {
        generations: [{ text, message, generationInfo: { finish_reason: finishReason } }],
        llmOutput: { tokenUsage: { promptTokens: inputTokens, completionTokens: usage.output_tokens, totalTokens: usage.total_tokens } },
      };
    };
    // one sequence → one generation at a time
    const result = this.queue.then(run);
    this.queue = result.catch(() => undefined);
    return result;
  }
}
