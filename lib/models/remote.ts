// Chat models served over HTTP: every OpenAI-compatible server (OpenAI, vLLM, SGLang, llama.cpp server, LM Studio,
// OpenRouter, Together, …), Anthropic, Ollama. Each is the provider's own LangChain class, subclassed thinly so that
//   1. our `response_format` call option (OpenAI's json_schema shape, what invokeStructured sends) reaches each
//      provider as its own structured-output mechanism: OpenAI-compatible → `response_format` as is;
//      Anthropic → one forced tool whose input schema is the JSON schema, the tool's input handed back as the
//      message text; Ollama → `format` with the JSON schema. The zod parse in structured.ts stays the judge;
//   2. every call runs under our retry policy (retry.ts), the SDK and LangChain retries being off;
//   3. a failure ends in one line that says what and where (errors.ts).
// Streaming is disabled (disableStreaming): a structured answer is only useful whole, and a retry can only
// restart a call that has not streamed anything yet.
import { AsyncLocalStorage } from "node:async_hooks";
import { ChatAnthropicMessages, type ChatAnthropicCallOptions } from "@langchain/anthropic";
import type { BaseChatModel } from "@langchain/core/language_models/chat_models";
import type { CallbackManagerForLLMRun } from "@langchain/core/callbacks/manager";
import { AIMessage, type BaseMessage } from "@langchain/core/messages";
import type { ChatResult } from "@langchain/core/outputs";
import { ChatOllama, type ChatOllamaCallOptions } from "@langchain/ollama";
import { ChatOpenAICompletions, type ChatOpenAICompletionsCallOptions, type OpenAIClient } from "@langchain/openai";
import { callSeed } from "../random.js";
import { redactUrlCredentials } from "../security/redact.js";
import { configuredBaseUrl, type Endpoint, ModelCallError, ModelConfigError, PROVIDER_DEFAULTS } from "./errors.js";
import { DEFAULT_RETRY_POLICY, type RetryOptions, type RetryPolicy, withRetries } from "./retry.js";
import type { JsonSchemaResponseFormat } from "./structured.js";

export type RemoteProvider = Endpoint["provider"];

export interface RemoteSettings {
  provider: RemoteProvider;
  /** the model name the server serves */
  model: string;
  /** default: the provider's public API (OpenAI, Anthropic) or http://127.0.0.1:11434 (Ollama), or the provider's env variable */
  baseUrl?: string | undefined;
  temperature?: number | undefined;
  seed?: number | undefined;
  /** most tokens in one answer */
  maxTokens?: number | undefined;
  /** one attempt's time limit */
  timeoutMs?: number | undefined;
  retry?: Partial<RetryPolicy> | undefined;
  onRetry?: RetryOptions["onRetry"];
  /** one-line notices about the run as a whole (a server that refuses json_schema); default: stderr */
  onNotice?: ((line: string) => void) | undefined;
  /**
   * Send the provider's key (OPENAI_API_KEY, ANTHROPIC_API_KEY) only when the model lives at the host the key was
   * configured for (the provider's base-URL variable, else its public API). Set for models a Studio / API caller
   * asked for: a key never follows a URL someone else chose.
   */
  keyOnlyToConfiguredHost?: boolean | undefined;
}

/** The key of `keyEnv`, unless it must not go to `baseUrl` (another host than the one it was configured for). */
function keyFor(settings: RemoteSettings, endpoint: Endpoint, env: NodeJS.ProcessEnv): string | undefined {
  const key = endpoint.keyEnv ? env[endpoint.keyEnv]?.trim() : undefined;
  if (!key || !settings.keyOnlyToConfiguredHost) return key;
  return new URL(endpoint.baseUrl).origin === new URL(configuredBaseUrl(settings.provider, env)).origin
    ? key
    : undefined;
}

export const DEFAULT_TIMEOUT_MS = 120_000;
export const DEFAULT_REMOTE_MAX_TOKENS = 2048;

/** Where the model lives: the flag, else the provider's env variable, else its public default; checked as an http(s) URL. */
export function resolveEndpoint(
  settings: Pick<RemoteSettings, "provider" | "model" | "baseUrl">,
  env: NodeJS.ProcessEnv = process.env,
): Endpoint {
  const defaults = PROVIDER_DEFAULTS[settings.provider];
  if (!settings.model.trim()) {
    throw new ModelConfigError(
      `--model is required with --provider ${settings.provider} (the name of the model the server serves)`,
    );
  }
  const raw = (settings.baseUrl || env[defaults.baseUrlEnv] || defaults.baseUrl).trim();
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ModelConfigError(`--base-url must be an http(s) URL, got "${redactUrlCredentials(raw)}"`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:")
    throw new ModelConfigError(`--base-url must be an http(s) URL, got "${redactUrlCredentials(raw)}"`);
  // fetch refuses URLs with credentials; a key goes in the provider's variable (OPENAI_API_KEY, …), never in a URL
  if (url.username || url.password) {
    throw new ModelConfigError(
      `--base-url ${redactUrlCredentials(raw)}: credentials in the URL are not sent (and would end up in logs); put the key in ${defaults.keyEnv ?? "the server's configuration"} instead`,
    );
  }
  return {
    provider: settings.provider,
    baseUrl: raw.replace(/\/+$/, ""),
    model: settings.model,
    ...(defaults.keyEnv ? { keyEnv: defaults.keyEnv } : {}),
  };
}

/** The JSON schema a structured call asks for, without the `$schema` tag some servers refuse. */
function requestedSchema(options: {
  response_format?: unknown;
}): { name: string; schema: Record<string, unknown> } | undefined {
  const format = options.response_format as JsonSchemaResponseFormat | { type?: string } | undefined;
  if (!format || format.type !== "json_schema" || !("json_schema" in format)) return undefined;
  const { $schema: _tag, ...schema } = format.json_schema.schema;
  return { name: format.json_schema.name, schema };
}

/**
 * The call option of a per-call output budget (`model.withConfig({ maxTokens })`, as the whole-dialogue path asks for
 * a longer answer than a turn), the same option the embedded engine takes. The providers' own classes read their
 * output limit only from the constructor; each subclass below puts a call's budget in its request instead.
 */
export interface OutputBudgetCallOption {
  maxTokens?: number;
}

function callBudget(options: unknown): number | undefined {
  const maxTokens = (options as OutputBudgetCallOption | undefined)?.maxTokens;
  return typeof maxTokens === "number" && Number.isInteger(maxTokens) && maxTokens > 0 ? maxTokens : undefined;
}

interface Resilience {
  endpoint: Endpoint;
  policy: RetryPolicy;
  onRetry?: RetryOptions["onRetry"] | undefined;
}

function retryOptions(resilience: Resilience, signal: AbortSignal | undefined): RetryOptions {
  return {
    endpoint: resilience.endpoint,
    policy: resilience.policy,
    signal,
    ...(resilience.onRetry ? { onRetry: resilience.onRetry } : {}),
  };
}

// ── OpenAI-compatible ─────────────────────────────────────────────────────────────────────────────────────────────

interface OpenAICompatibleCallOptions extends ChatOpenAICompletionsCallOptions, OutputBudgetCallOption {}

/**
 * How structured answers are asked for. Servers that refuse `response_format` json_schema with a 400 (older
 * vLLM / LM Studio builds, some hosted models) get `json_object` next, and servers that refuse that too get the
 * schema in the prompt only; the zod parse in structured.ts judges the answer either way.
 */
export type StructuredMode = "json_schema" | "json_object" | "prompt";

/** What the raw answer of one call said that LangChain's message does not keep. */
interface RawAnswer {
  refusal?: string;
  /** llama.cpp's per-request timings (prompt_n: prompt tokens evaluated, cache_n: taken from the cache, …) */
  timings?: Record<string, number>;
}

const rawAnswers = new AsyncLocalStorage<RawAnswer>();

type ChatCompletion = {
  choices?: { message?: { content?: unknown; refusal?: unknown }; finish_reason?: unknown }[];
  timings?: Record<string, number>;
};

/**
 * Evens out what servers answer: content as an array of parts (`[{type: "text", text}]`) becomes its text, a
 * refusal (`message.refusal`, content null) and llama.cpp's `timings` are kept for the caller.
 */
export function normaliseCompletion(response: unknown, into: RawAnswer | undefined): void {
  const completion = response as ChatCompletion | null | undefined;
  const message = completion?.choices?.[0]?.message;
  if (message && Array.isArray(message.content)) {
    message.content = message.content
      .map((part: unknown) =>
        typeof part === "string" ? part : typeof part === "object" && part && "text" in part ? String(part.text) : "",
      )
      .join("");
  }
  if (!into) return;
  if (message && typeof message.refusal === "string" && message.refusal.trim()) into.refusal = message.refusal.trim();
  if (completion?.timings && typeof completion.timings === "object") into.timings = completion.timings;
}

/** A 400 about the structured-output request itself (not, say, a prompt too long for the context). */
function refusesFormat(error: ModelCallError): boolean {
  const failure = error.failure;
  return (
    failure?.kind === "rejected" &&
    failure.status === 400 &&
    /response_format|json_schema|json_object|schema|structured/i.test(failure.detail ?? "")
  );
}

/** The instruction that carries the schema when the server does not take it as a response format. */
export function schemaInstruction(schema: Record<string, unknown>): string {
  return `Answer with one JSON object, and nothing else, that matches this JSON schema:\n${JSON.stringify(schema)}`;
}

/** The messages with the schema instruction added to the last one (the prefix the server may have cached stays). */
function withSchemaInstruction(messages: BaseMessage[], schema: Record<string, unknown>): BaseMessage[] {
  const last = messages.at(-1);
  if (!last) return messages;
  const text = typeof last.content === "string" ? last.content : JSON.stringify(last.content);
  const copy = new (last.constructor as new (fields: { content: string }) => BaseMessage)({
    content: `${text}\n\n${schemaInstruction(schema)}`,
  });
  return [...messages.slice(0, -1), copy];
}

/**
 * The Chat Completions client of @langchain/openai (never the Responses API, which OpenAI-compatible servers lack),
 * with these changes: the request always goes through `chat.completions.create` — the SDK's `parse`, which the
 * parent picks for json_schema requests, throws on an answer that is not JSON or was cut by max_tokens, where we
 * want the text so the zod parse can record a failed attempt; our retry policy around each call; each call's
 * seed derived from the run's seed and its messages (callSeed); the structured-output fallback (StructuredMode);
 * and the answer normalised (normaliseCompletion) with the refusal and llama.cpp's timings in its metadata. A
 * llama.cpp server (recognised by the `timings` of its answers) is also asked to keep each prompt in its cache
 * (`cache_prompt`, off by default in older builds), which no other server is sent.
 */
export class OpenAICompatibleChat extends ChatOpenAICompletions<OpenAICompatibleCallOptions> {
  readonly resilience: Resilience;
  structuredMode: StructuredMode = "json_schema";
  /** the server answered with llama.cpp's `timings` */
  llamaCpp = false;
  private readonly baseSeed: number | undefined;
  private readonly onNotice: (line: string) => void;

  static override lc_name(): string {
    return "OpenAICompatibleChat";
  }

  constructor(
    fields: ConstructorParameters<typeof ChatOpenAICompletions>[0] & object,
    resilience: Resilience,
    extra: { seed?: number | undefined; onNotice?: ((line: string) => void) | undefined } = {},
  ) {
    super({ ...fields, maxRetries: 0, disableStreaming: true });
    this.resilience = resilience;
    this.baseSeed = extra.seed;
    this.onNotice = extra.onNotice ?? ((line) => void process.stderr.write(`${line}\n`));
  }

  // one signature for both overloads of the parent: the request decides streaming, we never parse
  override completionWithRetry(
    request: OpenAIClient.Chat.ChatCompletionCreateParams,
    requestOptions?: OpenAIClient.RequestOptions & { maxRetries?: number },
  ): Promise<never> {
    const { maxRetries: _ours, ...sdkOptions } = requestOptions ?? {};
    const clientOptions = this._getClientOptions(sdkOptions);
    const body = this.llamaCpp ? ({ ...request, cache_prompt: true } as unknown as typeof request) : request;
    const into = rawAnswers.getStore();
    return this.client.chat.completions.create(body, clientOptions).then((response) => {
      normaliseCompletion(response, into);
      if (into?.timings) this.llamaCpp = true;
      return response;
    }) as unknown as Promise<never>;
  }

  /** One step down the StructuredMode ladder after a 400, said once per step; false at the bottom. */
  private stepDown(from: StructuredMode, error: ModelCallError): boolean {
    if (this.structuredMode !== from) return true; // a concurrent call already stepped down
    if (from === "prompt") return false;
    const next: StructuredMode = from === "json_schema" ? "json_object" : "prompt";
    this.structuredMode = next;
    const detail = error.failure?.detail ? `: ${error.failure.detail}` : "";
    this.onNotice(
      next === "json_object"
        ? `note: ${this.resilience.endpoint.baseUrl} refused response_format json_schema (400${detail}); asking for json_object with the schema in the prompt for the rest of the run, answers checked against the schema`
        : `note: ${this.resilience.endpoint.baseUrl} refused response_format json_object too (400${detail}); the schema goes in the prompt only for the rest of the run, answers checked against the schema`,
    );
    return true;
  }

  override invocationParams(options?: this["ParsedCallOptions"], extra?: { streaming?: boolean }) {
    const params = super.invocationParams(options, extra);
    const budget = callBudget(options);
    if (budget === undefined) return params;
    return params.max_completion_tokens !== undefined && params.max_completion_tokens !== null
      ? { ...params, max_completion_tokens: budget }
      : { ...params, max_tokens: budget };
  }

  override async _generate(
    messages: BaseMessage[],
    options: this["ParsedCallOptions"],
    runManager?: CallbackManagerForLLMRun,
  ): Promise<ChatResult> {
    const schema = requestedSchema(options);
    // the call's seed (a fleet worker passes its job's run seed with each call) or the model's, made per call
    // from the messages as the embedded engine does: a fleet job sends what a local run of the same seed sends
    const seed = callSeed(
      options.seed ?? this.baseSeed,
      messages.map((m) => [m.type, m.content]),
    );
    const attempt = async (mode: StructuredMode): Promise<ChatResult> => {
      const { response_format: _format, ...rest } = options;
      let callOptions = { ...rest, ...(seed !== undefined ? { seed } : {}) } as this["ParsedCallOptions"];
      let sent = messages;
      if (schema && mode === "json_schema") {
        callOptions = {
          ...callOptions,
          response_format: {
            type: "json_schema" as const,
            json_schema: { name: schema.name, schema: schema.schema, strict: true },
          },
        };
      } else if (schema) {
        sent = withSchemaInstruction(messages, schema.schema);
        if (mode === "json_object") callOptions = { ...callOptions, response_format: { type: "json_object" as const } };
      }
      const raw: RawAnswer = {};
      const result = await rawAnswers.run(raw, () =>
        withRetries(
          () => super._generate(sent, callOptions, runManager),
          retryOptions(this.resilience, options.signal),
        ),
      );
      for (const generation of result.generations) {
        const message = generation.message;
        if (raw.refusal !== undefined)
          message.response_metadata = { ...message.response_metadata, refusal: raw.refusal };
        if (raw.timings) message.response_metadata = { ...message.response_metadata, timings: raw.timings };
      }
      return result;
    };
    for (;;) {
      const mode = this.structuredMode;
      try {
        return await attempt(schema ? mode : "json_schema");
      } catch (error) {
        const refused = schema && error instanceof ModelCallError && refusesFormat(error);
        if (!refused || !this.stepDown(mode, error)) throw error;
      }
    }
  }
}

// ── Anthropic ─────────────────────────────────────────────────────────────────────────────────────────────────────

interface AnthropicChatCallOptions extends ChatAnthropicCallOptions, OutputBudgetCallOption {
  response_format?: JsonSchemaResponseFormat;
}

/** The structured answer of a forced tool call, as the JSON text invokeStructured parses. */
export function toolCallAsText(result: ChatResult, toolName: string): ChatResult {
  return {
    ...result,
    generations: result.generations.map((generation) => {
      const message = generation.message;
      if (!AIMessage.isInstance(message)) return generation;
      const call = message.tool_calls?.find((c) => c.name === toolName) ?? message.tool_calls?.[0];
      if (!call) return generation;
      const text = JSON.stringify(call.args);
      return {
        ...generation,
        text,
        message: new AIMessage({
          content: text,
          ...(message.id ? { id: message.id } : {}),
          response_metadata: message.response_metadata,
          ...(message.usage_metadata ? { usage_metadata: message.usage_metadata } : {}),
        }),
      };
    }),
  };
}

/** Claude through the Messages API: structured output as one forced tool call (every Claude model has tools). */
export class AnthropicChat extends ChatAnthropicMessages<AnthropicChatCallOptions> {
  readonly resilience: Resilience;

  static override lc_name(): string {
    return "AnthropicChat";
  }

  constructor(fields: ConstructorParameters<typeof ChatAnthropicMessages>[0] & object, resilience: Resilience) {
    super({ ...fields, maxRetries: 0, disableStreaming: true, streaming: false });
    this.resilience = resilience;
  }

  override invocationParams(options?: this["ParsedCallOptions"]) {
    const params = super.invocationParams(options);
    const budget = callBudget(options);
    return budget === undefined ? params : { ...params, max_tokens: budget };
  }

  override async _generate(
    messages: BaseMessage[],
    options: this["ParsedCallOptions"],
    runManager?: CallbackManagerForLLMRun,
  ): Promise<ChatResult> {
    const schema = requestedSchema(options);
    const { response_format: _format, ...rest } = options;
    const callOptions = schema
      ? {
          ...rest,
          tools: [
            {
              name: schema.name,
              description: `Give your answer as the ${schema.name} object.`,
              input_schema: schema.schema as { type: "object" },
            },
          ],
          tool_choice: { type: "tool" as const, name: schema.name },
        }
      : rest;
    const result = await withRetries(
      () => super._generate(messages, callOptions as this["ParsedCallOptions"], runManager),
      retryOptions(this.resilience, options.signal),
    );
    return schema ? toolCallAsText(result, schema.name) : result;
  }
}

// ── Ollama ────────────────────────────────────────────────────────────────────────────────────────────────────────

interface OllamaChatCallOptions extends ChatOllamaCallOptions, OutputBudgetCallOption {
  response_format?: JsonSchemaResponseFormat;
}

/** A fetch that gives up after `ms` (ChatOllama has no timeout of its own and passes no signal before streaming). */
export function fetchWithTimeout(ms: number): typeof fetch {
  return (input, init) => {
    const timeout = AbortSignal.timeout(ms);
    return fetch(input, { ...init, signal: init?.signal ? AbortSignal.any([init.signal, timeout]) : timeout });
  };
}

/** Ollama's /api/chat: structured output through `format` (a JSON schema). */
export class OllamaChat extends ChatOllama {
  readonly resilience: Resilience;

  static override lc_name(): string {
    return "OllamaChat";
  }

  constructor(fields: ConstructorParameters<typeof ChatOllama>[0] & object, resilience: Resilience) {
    super({ ...fields, disableStreaming: true });
    this.resilience = resilience;
  }

  override invocationParams(options?: this["ParsedCallOptions"]) {
    const params = super.invocationParams(options);
    const budget = callBudget(options);
    // a call's seed (a fleet worker's job passes its run's seed with each call) goes where Ollama reads it
    const seed = (options as { seed?: unknown } | undefined)?.seed;
    return {
      ...params,
      options: {
        ...params.options,
        ...(budget !== undefined ? { num_predict: budget } : {}),
        ...(typeof seed === "number" ? { seed } : {}),
      },
    };
  }

  override async _generate(
    messages: BaseMessage[],
    options: this["ParsedCallOptions"],
    runManager?: CallbackManagerForLLMRun,
  ): Promise<ChatResult> {
    const schema = requestedSchema(options as OllamaChatCallOptions);
    const { response_format: _format, ...rest } = options as OllamaChatCallOptions;
    const callOptions = schema ? { ...rest, format: schema.schema } : rest;
    return withRetries(
      () => super._generate(messages, callOptions as this["ParsedCallOptions"], runManager),
      retryOptions(this.resilience, options.signal),
    );
  }
}

// ── construction ──────────────────────────────────────────────────────────────────────────────────────────────────

/** Builds the chat model of a remote provider; throws ModelConfigError (one line) for what the user must fix first. */
export function createRemoteChatModel(settings: RemoteSettings, env: NodeJS.ProcessEnv = process.env): BaseChatModel {
  const endpoint = resolveEndpoint(settings, env);
  const resilience: Resilience = {
    endpoint,
    policy: { ...DEFAULT_RETRY_POLICY, ...settings.retry },
    onRetry: settings.onRetry,
  };
  const timeout = settings.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const maxTokens = settings.maxTokens ?? DEFAULT_REMOTE_MAX_TOKENS;
  const temperature = settings.temperature !== undefined ? { temperature: settings.temperature } : {};
  switch (settings.provider) {
    case "openai": {
      const official = new URL(endpoint.baseUrl).hostname === "api.openai.com";
      const key = keyFor(settings, endpoint, env);
      if (!key && official) {
        throw new ModelConfigError(
          `OPENAI_API_KEY is not set (needed for ${endpoint.baseUrl}; for a local OpenAI-compatible server pass --base-url)`,
        );
      }
      // local servers (vLLM, llama.cpp server, LM Studio) take any key; the SDK insists on one
      return new OpenAICompatibleChat(
        {
          model: settings.model,
          apiKey: key || "not-needed",
          configuration: { baseURL: endpoint.baseUrl },
          timeout,
          maxTokens,
          ...temperature,
        },
        resilience,
        { seed: settings.seed, onNotice: settings.onNotice },
      );
    }
    case "anthropic": {
      const key = keyFor(settings, endpoint, env);
      if (!key) throw new ModelConfigError(`ANTHROPIC_API_KEY is not set (needed for ${endpoint.baseUrl})`);
      return new AnthropicChat(
        {
          model: settings.model,
          apiKey: key,
          anthropicApiUrl: endpoint.baseUrl,
          clientOptions: { timeout },
          maxTokens,
          ...temperature,
        },
        resilience,
      );
    }
    case "ollama":
      return new OllamaChat(
        {
          model: settings.model,
          baseUrl: endpoint.baseUrl,
          fetch: fetchWithTimeout(timeout),
          numPredict: maxTokens,
          ...temperature,
          ...(settings.seed !== undefined ? { seed: settings.seed } : {}),
        },
        resilience,
      );
  }
}
