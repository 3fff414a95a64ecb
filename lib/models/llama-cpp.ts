// ChatLlamaCppEngine — our own LangChain chat model over node-llama-cpp@3.21.1.
//
// Why not @langchain/community's ChatLlamaCpp (node_modules/@langchain/community/dist/chat_models/llama_cpp.d.ts)?
// It is a SimpleChatModel whose `_call` returns a bare string, so its messages carry no usage_metadata or
// finish_reason. Its grammar (`jsonSchema`/`gbnf` inputs) is fixed once at construction, so there is no
// per-call, schema-driven structured output (no `response_format` call option; call options are only
// `maxTokens`/`onToken`). It loads eagerly through a static `initialize()` that calls `getLlama()` with
// defaults (auto GPU, default maxThreads; `threads` only reaches the context), ignores its `seed` input,
// and keeps one stateful LlamaChatSession whose history it mutates between calls.
import { closeSync, openSync, readSync, statSync } from "node:fs";
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
import type {
  ChatWrapper,
  QwenChatWrapper,
  ChatHistoryItem,
  GbnfJsonSchema,
  Llama,
  LlamaChat,
  LlamaContext,
  LlamaContextSequence,
  LlamaGrammar,
  LlamaModel,
  Token,
} from "node-llama-cpp";
import { schemaCacheKey, toGbnfJsonSchema } from "./gbnf-schema.js";
import { commonPrefixLength, DEFAULT_SIMILARITY_THRESHOLD, pickSequence } from "./sequence-pick.js";
import { ModelConfigError } from "./errors.js";
import { defaultThreads } from "./threads.js";
import { callSeed } from "../random.js";

/** An error's first line, printable characters only, at most 160 of them (a bad file's bytes stay out). */
function oneLine(err: unknown): string {
  const text = (err instanceof Error ? err.message : String(err))
    .split("\n")[0]!
    .replace(/[^\x20-\x7e\u00a0-\uffff]/g, "?")
    .trim();
  return text.length > 160 ? `${text.slice(0, 157)}…` : text;
}

/** Bytes of a GGUF header: magic, version, tensor count, metadata count. */
const GGUF_HEADER_BYTES = 24;

/**
 * Refuses a file that cannot be a GGUF model before anything loads: too short for a header, no `GGUF` magic
 * (a text or safetensors file renamed), or an unknown version. A truncated model passes this and is refused
 * when it loads (ChatLlamaCppEngine.load).
 */
export function checkGgufFile(path: string): void {
  let header: Buffer;
  let size: number;
  try {
    size = statSync(path).size;
    const fd = openSync(path, "r");
    try {
      header = Buffer.alloc(GGUF_HEADER_BYTES);
      readSync(fd, header, 0, GGUF_HEADER_BYTES, 0);
    } finally {
      closeSync(fd);
    }
  } catch (err) {
    throw new ModelConfigError(`cannot read the model file ${path}: ${oneLine(err)}`);
  }
  if (size < GGUF_HEADER_BYTES)
    throw new ModelConfigError(`${path} is not a GGUF model: ${size} bytes, too short for a header`);
  if (header.toString("latin1", 0, 4) !== "GGUF")
    throw new ModelConfigError(`${path} is not a GGUF model (it does not start with the GGUF magic)`);
  const version = header.readUInt32LE(4);
  if (version < 2 || version > 3)
    throw new ModelConfigError(`${path}: GGUF version ${version} is not supported (2 or 3)`);
}

export const LlamaCppOptionsSchema = z.object({
  modelPath: z.string().min(1, "modelPath is required"),
  /**
   * CPU threads for evaluation; default: the machine's physical cores (threads.ts). Always explicit to llama.cpp:
   * node-llama-cpp's own default oversubscribes small machines.
   */
  threads: z.number().int().min(1).max(256).optional(),
  /** tokens per context sequence (each sequence has its own KV cache of this size) */
  contextSize: z.number().int().min(64).default(4096),
  /**
   * Context sequences kept alive at once (sequence-pick.ts): one per prompt family in flight — speaker A,
   * speaker B, the checks / critique — so each one's shared prefix is evaluated once, not every turn.
   */
  sequences: z.number().int().min(1).max(64).default(4),
  temperature: z.number().min(0).max(5).default(0.8),
  maxTokens: z.number().int().min(1).default(512),
  seed: z.number().int().optional(),
  gpu: z.boolean().default(false),
});
export type LlamaCppOptions = z.input<typeof LlamaCppOptionsSchema>;
export type LlamaCppResolvedOptions = z.output<typeof LlamaCppOptionsSchema>;

/** OpenAI-shaped structured-output request. */
export type LlamaCppResponseFormat =
  | {
      type: "json_schema";
      json_schema: { name: string; schema: Record<string, unknown>; strict?: boolean; description?: string };
    }
  | { type: "json_object" }
  | { type: "text" };

export interface LlamaCppCallOptions extends BaseChatModelCallOptions {
  response_format?: LlamaCppResponseFormat;
  maxTokens?: number;
  temperature?: number;
  seed?: number;
}

/** One context sequence, its chat, and the calls queued on it (calls on one sequence run one at a time). */
interface Slot {
  index: number;
  chat: LlamaChat;
  sequence: LlamaContextSequence;
  queue: Promise<unknown>;
  pending: number;
  lastUsed: number;
  /** the prompt of the last call queued on it */
  queuedPrompt: Token[];
}

/**
 * Architectures whose chat format opens a reasoning block unless told not to: Qwen3 (the default model's family)
 * thinks in `<think>…</think>` first. A dialogue turn is written without it, in Qwen3's own non-thinking format
 * (the empty think block its chat template renders with `enable_thinking: false`): reasoning would cost hundreds
 * of tokens a call, and is not what a crowdworker's turn is.
 */
export const NON_THINKING_ARCHITECTURES: ReadonlySet<string> = new Set(["qwen3", "qwen3moe"]);

/** node-llama-cpp's Qwen wrapper with thoughts discouraged, whatever the model's own template resolved to. */
function nonThinkingQwenWrapper(resolved: ChatWrapper, Qwen: typeof QwenChatWrapper): ChatWrapper {
  return resolved instanceof Qwen && resolved.thoughts === "discourage"
    ? resolved
    : new Qwen({ thoughts: "discourage" });
}

type Loaded = {
  llama: Llama;
  model: LlamaModel;
  context: LlamaContext;
  slots: Slot[];
  /** the first slot's chat */ chat: LlamaChat;
};

/** What the engine evaluated since it loaded: the numbers `npm run bench -- engine` reports. */
export interface EngineStats {
  calls: number;
  /** prompt tokens of all calls */
  promptTokens: number;
  /** of those, found in a sequence's KV cache */
  cachedPromptTokens: number;
  /** prompt tokens llama.cpp evaluated: node-llama-cpp's token meters (usedInputTokens) of the sequences used */
  evaluatedPromptTokens: number;
  outputTokens: number;
  /** calls per sequence */
  callsPerSequence: number[];
}

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
    const type = m.type;
    const role = type === "generic" ? ((m as BaseMessage & { role?: string }).role ?? "") : type;
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
 * LangChain chat model over a local GGUF via node-llama-cpp. Loads lazily on first call (once), keeps
 * `sequences` context sequences alive and sends each call to the one whose KV cache shares the longest prefix
 * with its prompt (sequence-pick.ts), so the growing prompt of a dialogue is evaluated once per speaker, not
 * once per turn. Calls on one sequence are serialised; calls on different sequences run concurrently (llama.cpp
 * batches them in one context). Supports per-call grammar-constrained JSON through `response_format`.
 *
 * A trailing AI message in the input is treated as a prefix the model continues (prefill).
 */
export class ChatLlamaCppEngine extends BaseChatModel<LlamaCppCallOptions> {
  readonly options: LlamaCppResolvedOptions & { threads: number };
  private loading: Promise<Loaded> | undefined;
  private readonly grammars = new Map<string, Promise<LlamaGrammar>>();
  private tick = 0;
  /** llama.cpp's latest log lines (warnings and errors), shown when a model fails to load */
  private readonly engineLog: string[] = [];
  private counters: EngineStats = ChatLlamaCppEngine.zeroStats(0);

  private static zeroStats(sequences: number): EngineStats {
    return {
      calls: 0,
      promptTokens: 0,
      cachedPromptTokens: 0,
      evaluatedPromptTokens: 0,
      outputTokens: 0,
      callsPerSequence: Array<number>(sequences).fill(0),
    };
  }

  static override lc_name(): string {
    return "ChatLlamaCppEngine";
  }

  /** runs once before the first load (the default model's first-run download, when nobody fetched it before) */
  private readonly prepare: (() => Promise<unknown>) | undefined;

  constructor(fields: LlamaCppOptions & BaseChatModelParams & { prepare?: () => Promise<unknown> }) {
    super(fields);
    this.prepare = fields.prepare;
    const parsed = LlamaCppOptionsSchema.safeParse(fields);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new Error(
        `ChatLlamaCppEngine: invalid option ${issue?.path.join(".") || ""}: ${issue?.message ?? "invalid"}`,
      );
    }
    this.options = { ...parsed.data, threads: parsed.data.threads ?? defaultThreads() };
  }

  /** What the engine evaluated since it (re)loaded. */
  stats(): EngineStats {
    return { ...this.counters, callsPerSequence: [...this.counters.callsPerSequence] };
  }

  get modelName(): string {
    return basename(this.options.modelPath);
  }

  override _llmType(): string {
    return "llama-cpp";
  }

  override _identifyingParams(): Record<string, unknown> {
    const { modelPath, threads, contextSize, sequences, temperature, maxTokens, seed, gpu } = this.options;
    return {
      model_name: this.modelName,
      model_path: modelPath,
      threads,
      contextSize,
      sequences,
      temperature,
      maxTokens,
      seed,
      gpu,
    };
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
      ls_temperature: options.temperature ?? this.options.temperature,
      ls_max_tokens: options.maxTokens ?? this.options.maxTokens,
      ...(options.stop ? { ls_stop: options.stop } : {}),
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
    const { gpu, threads, modelPath, contextSize, sequences } = this.options;
    await this.prepare?.();
    // imported on first use: the binding takes about a second to load, which runs on other providers (and
    // --help) need not pay
    const { getLlama, LlamaChat, LlamaLogLevel, QwenChatWrapper, resolveChatWrapper } = await import("node-llama-cpp");
    checkGgufFile(modelPath);
    let llama: Llama;
    try {
      // never a build from source at run time (node-llama-cpp's default falls back to cloning and compiling
      // llama.cpp into node_modules when its binary test fails — as it does when a Ctrl-C kills the test child)
      // llama.cpp's log lines are kept, not printed: the last ones explain a model that fails to load
      llama = await getLlama({
        gpu: gpu ? "auto" : false,
        maxThreads: threads,
        build: "never",
        progressLogs: false,
        logLevel: LlamaLogLevel.warn,
        logger: (_level, message) => {
          this.engineLog.push(message.trim());
          if (this.engineLog.length > 20) this.engineLog.shift();
        },
      });
    } catch (err) {
      throw new Error(
        `llama.cpp's prebuilt binary for this machine did not load (${oneLine(err)}); it is never built from source at run time`,
        { cause: err },
      );
    }
    try {
      let model: LlamaModel;
      try {
        model = await llama.loadModel({ modelPath, gpuLayers: gpu ? "auto" : 0 });
      } catch (err) {
        // the first specific complaint (a header that does not parse, tensor data beyond the end of the file…)
        const why =
          this.engineLog.find((line) => /gguf_init|tensor|failed to read|invalid|corrupt|bounds/i.test(line)) ??
          this.engineLog.find((line) => /error loading model:/.test(line));
        throw new ModelConfigError(
          `${modelPath} is not a usable GGUF model (${oneLine(err)}${why ? `: ${oneLine(why.replace(/^.*error loading model:\s*/, ""))}` : ""})`,
        );
      }
      const context = await model.createContext({ contextSize, threads, sequences });
      const chatWrapper = NON_THINKING_ARCHITECTURES.has(model.fileInfo.metadata.general.architecture)
        ? nonThinkingQwenWrapper(
            resolveChatWrapper(model, { customWrapperSettings: { qwen: { thoughts: "discourage" } } }),
            QwenChatWrapper,
          )
        : "auto";
      const slots: Slot[] = [];
      for (let index = 0; index < sequences; index++) {
        const sequence = context.getSequence();
        const chat = new LlamaChat({ contextSequence: sequence, autoDisposeSequence: true, chatWrapper });
        slots.push({ index, chat, sequence, queue: Promise.resolve(), pending: 0, lastUsed: 0, queuedPrompt: [] });
      }
      this.counters = ChatLlamaCppEngine.zeroStats(sequences);
      return { llama, model, context, slots, chat: slots[0]!.chat };
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
    await Promise.all(loaded.slots.map((slot) => slot.queue.catch(() => undefined)));
    for (const slot of loaded.slots) slot.chat.dispose();
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
    if (typeof format.json_schema.schema !== "object")
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

    const { llama, model, slots } = await this.load();
    const grammar = await this.grammarFor(llama, options.response_format);
    const prompt = this.tokenizeHistory(slots[0]!.chat, model, history);

    // choose the sequence now (synchronously, so concurrent callers see each other's choice), run when it is free
    const slot =
      slots[
        pickSequence(
          slots.map((s) => ({
            pending: s.pending,
            lastUsed: s.lastUsed,
            tokens: s.pending > 0 ? s.queuedPrompt : s.sequence.contextTokens,
          })),
          prompt,
          DEFAULT_SIMILARITY_THRESHOLD,
        )
      ]!;
    slot.pending++;
    slot.lastUsed = ++this.tick;
    slot.queuedPrompt = prompt;

    const run = async (): Promise<ChatResult> => {
      options.signal?.throwIfAborted();
      const { chat, sequence } = slot;
      // the prompt prefix already in this sequence's KV cache is not evaluated again
      const cached = Math.min(prompt.length, commonPrefixLength(sequence.contextTokens, prompt));
      const meter = sequence.tokenMeter.getState();
      const seed = callSeed(options.seed ?? this.options.seed, history);
      const res = await chat.generateResponse(history, {
        maxTokens: options.maxTokens ?? this.options.maxTokens,
        temperature: options.temperature ?? this.options.temperature,
        ...(seed !== undefined ? { seed } : {}),
        ...(grammar ? { grammar } : {}),
        ...(options.signal ? { signal: options.signal } : {}),
        ...(options.stop?.length ? { customStopTriggers: options.stop } : {}),
        onTextChunk: runManager ? (text: string) => void runManager.handleLLMNewToken(text) : undefined,
      });
      const used = sequence.tokenMeter.diff(meter);
      const inputTokens = prompt.length;
      const stats = this.counters;
      stats.calls++;
      stats.promptTokens += inputTokens;
      stats.cachedPromptTokens += cached;
      stats.evaluatedPromptTokens += used.usedInputTokens;
      stats.outputTokens += used.usedOutputTokens;
      stats.callsPerSequence[slot.index] = (stats.callsPerSequence[slot.index] ?? 0) + 1;
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
        response_metadata: {
          model: this.modelName,
          model_provider: "llama-cpp",
          finish_reason: finishReason,
          sequence: slot.index,
          evaluated_input_tokens: used.usedInputTokens,
        },
      });
      return {
        generations: [{ text, message, generationInfo: { finish_reason: finishReason } }],
        llmOutput: {
          tokenUsage: {
            promptTokens: inputTokens,
            completionTokens: usage.output_tokens,
            totalTokens: usage.total_tokens,
          },
        },
      };
    };
    const result = slot.queue.then(run).finally(() => {
      slot.pending--;
    });
    slot.queue = result.catch(() => undefined);
    return result;
  }

  /** The prompt tokens of a chat history as the engine's chat wrapper lays it out. */
  private tokenizeHistory(chat: LlamaChat, model: LlamaModel, history: ChatHistoryItem[]): Token[] {
    return chat.chatWrapper.generateContextState({ chatHistory: history }).contextText.tokenize(model.tokenizer);
  }

  /** The prompt tokens of these messages (loads the model): what a benchmark needs to know the minimum to evaluate. */
  async promptTokens(messages: BaseMessage[]): Promise<Token[]> {
    const history = toLlamaChatHistory(messages);
    if (history.at(-1)?.type !== "model") history.push({ type: "model", response: [] });
    const { model, slots } = await this.load();
    return this.tokenizeHistory(slots[0]!.chat, model, history);
  }
}
