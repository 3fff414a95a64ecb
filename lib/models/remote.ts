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
import { ChatAnthropicMessages, type ChatAnthropicCallOptions } from "@langchain/anthropic";
import type { BaseChatModel } from "@langchain/core/language_models/chat_models";
import type { CallbackManagerForLLMRun } from "@langchain/core/callbacks/manager";
import { AIMessage, type BaseMessage } from "@langchain/core/messages";
import type { ChatResult } from "@langchain/core/outputs";
import { ChatOllama, type ChatOllamaCallOptions } from "@langchain/ollama";
import { ChatOpenAICompletions, type ChatOpenAICompletionsCallOptions, type OpenAIClient } from "@langchain/openai";
import { redactUrlCredentials } from "../security/redact.js";
import { configuredBaseUrl, type Endpoint, ModelConfigError, PROVIDER_DEFAULTS } from "./errors.js";
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
  return new URL(endpoint.baseUrl).origin === new URL(configuredBaseUrl(settings.provider, env)).origin ? key : undefined;
}

export const DEFAULT_TIMEOUT_MS = 120_000;
export const DEFAULT_REMOTE_MAX_TOKENS = 2048;

/** Where the model lives: the flag, else the provider's env variable, else its public default; checked as an http(s) URL. */
export function resolveEndpoint(settings: Pick<RemoteSettings, "provider" | "model" | "baseUrl">, env: NodeJS.ProcessEnv = process.env): Endpoint {
  const defaults = PROVIDER_DEFAULTS[settings.provider];
  if (!settings.model?.trim()) {
    throw new ModelConfigError(`--model is required with --provider ${settings.provider} (the name of the model the server serves)`);
  }
  const raw = (settings.baseUrl || env[defaults.baseUrlEnv] || defaults.baseUrl).trim();
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ModelConfigError(`--base-url must be an http(s) URL, got "${redactUrlCredentials(raw)}"`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") throw new ModelConfigError(`--base-url must be an http(s) URL, got "${redactUrlCredentials(raw)}"`);
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
function requestedSchema(options: { response_format?: unknown }): { name: string; schema: Record<string, unknown> } | undefined {
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
 * The Chat Completions client of @langchain/openai (never the Responses API, which OpenAI-compatible servers lack),
 * with two changes: the request always goes through `chat.completions.create` — the SDK's `parse`, which the
 * parent picks for json_schema requests, throws on an answer that is not JSON or was cut by max_tokens, where we
 * want the text so the zod parse can record a failed attempt — and our retry policy around each call.
 */
export class OpenAICompatibleChat extends ChatOpenAICompletions<OpenAICompatibleCallOptions> {
  readonly resilience: Resilience;

  static override lc_name(): string {
    return "OpenAICompatibleChat";
  }

  constructor(fields: ConstructorParameters<typeof ChatOpenAICompletions>[0] & object, resilience: Resilience) {
    super({ ...fields, maxRetries: 0, disableStreaming: true });
    this.resilience = resilience;
  }

  // one signature for both overloads of the parent: the request decides streaming, we never parse
  override completionWithRetry(
    request: OpenAIClient.Chat.ChatCompletionCreateParams,
    requestOptions?: OpenAIClient.RequestOptions & { maxRetries?: number },
  ): Promise<never> {
    const { maxRetries: _ours, ...sdkOptions } = requestOptions ?? {};
    const clientOptions = this._getClientOptions(sdkOptions);
    return this.client.chat.completions.create(request, clientOptions) as unknown as Promise<never>;
  }

  override invocationParams(options?: this["ParsedCallOptions"], extra?: { streaming?: boolean }) {
    const params = super.invocationParams(options, extra);
    const budget = callBudget(options);
    if (budget === undefined) return params;
    return params.max_completion_tokens !== undefined && params.max_completion_tokens !== null
      ? { ...params, max_completion_tokens: budget }
      : { ...params, max_tokens: budget };
  }

  override async _generate(messages: BaseMessage[], options: this["ParsedCallOptions"], runManager?: CallbackManagerForLLMRun): Promise<ChatResult> {
    const schema = requestedSchema(options);
    const callOptions = schema
      ? { ...options, response_format: { type: "json_schema" as const, json_schema: { name: schema.name, schema: schema.schema, strict: true } } }
      : options;
    return withRetries(() => super._generate(messages, callOptions, runManager), retryOptions(this.resilience, options.signal));
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
      const message = generation.message as AIMessage;
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

  override async _generate(messages: BaseMessage[], options: this["ParsedCallOptions"], runManager?: CallbackManagerForLLMRun): Promise<ChatResult> {
    const schema = requestedSchema(options);
    const { response_format: _format, ...rest } = options;
    const callOptions = schema
      ? {
          ...rest,
          tools: [{ name: schema.name, description: `Give your answer as the ${schema.name} object.`, input_schema: schema.schema as { type: "object" } }],
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
      options: { ...params.options, ...(budget !== undefined ? { num_predict: budget } : {}), ...(typeof seed === "number" ? { seed } : {}) },
    };
  }

  override async _generate(messages: BaseMessage[], options: this["ParsedCallOptions"], runManager?: CallbackManagerForLLMRun): Promise<ChatResult> {
    const schema = requestedSchema(options as OllamaChatCallOptions);
    const { response_format: _format, ...rest } = options as OllamaChatCallOptions;
    const callOptions = schema ? { ...rest, format: schema.schema } : rest;
    return withRetries(() => super._generate(messages, callOptions as this["ParsedCallOptions"], runManager), retryOptions(this.resilience, options.signal));
  }
}

// ── construction ──────────────────────────────────────────────────────────────────────────────────────────────────

/** Builds the chat model of a remote provider; throws ModelConfigError (one line) for what the user must fix first. */
export function createRemoteChatModel(settings: RemoteSettings, env: NodeJS.ProcessEnv = process.env): BaseChatModel {
  const endpoint = resolveEndpoint(settings, env);
  const resilience: Resilience = { endpoint, policy: { ...DEFAULT_RETRY_POLICY, ...settings.retry }, onRetry: settings.onRetry };
  const timeout = settings.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const maxTokens = settings.maxTokens ?? DEFAULT_REMOTE_MAX_TOKENS;
  const temperature = settings.temperature !== undefined ? { temperature: settings.temperature } : {};
  switch (settings.provider) {
    case "openai": {
      const official = new URL(endpoint.baseUrl).hostname === "api.openai.com";
      const key = keyFor(settings, endpoint, env);
      if (!key && official) {
        throw new ModelConfigError(`OPENAI_API_KEY is not set (needed for ${endpoint.baseUrl}; for a local OpenAI-compatible server pass --base-url)`);
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
          ...(settings.seed !== undefined ? { modelKwargs: { seed: settings.seed } } : {}),
        },
        resilience,
      );
    }
    case "anthropic": {
      const key = keyFor(settings, endpoint, env);
      if (!key) throw new ModelConfigError(`ANTHROPIC_API_KEY is not set (needed for ${endpoint.baseUrl})`);
      return new AnthropicChat(
        { model: settings.model, apiKey: key, anthropicApiUrl: endpoint.baseUrl, clientOptions: { timeout }, maxTokens, ...temperature },
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
