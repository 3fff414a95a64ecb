/**
 * Per-provider request and token limits (--rpm, --tpm) that pace calls instead of provoking 429s.
 *
 * Two token buckets, each refilled continuously at limit/60 per second and holding at most one second's worth
 * (so calls are spread evenly over the minute: providers enforce "per minute" limits on much shorter windows).
 * A call waits, in arrival order, until both buckets can pay: one request, and its token estimate (prompt
 * characters / 4 + the call's output cap). A call dearer than the token bucket's capacity goes when the bucket is
 * full and leaves it in debt, so the long-run rate is the limit whatever the call sizes. After the call the
 * estimate is corrected by the usage the provider reported (usage_metadata), refunding or charging the
 * difference.
 */
import type { BaseChatModel } from "@langchain/core/language_models/chat_models";
import type { BaseMessage } from "@langchain/core/messages";

/** Output cap assumed for the estimate when neither the call nor the model says (the embedded engine's default). */
export const DEFAULT_MAX_OUTPUT_TOKENS = 512;

/** The token buckets' time source (performance.now: monotonic), injectable for tests. */
export interface MonotonicClock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const monotonicClock: MonotonicClock = {
  now: () => performance.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

export class TokenBucket {
  readonly capacity: number;
  private readonly perMs: number;
  private tokens: number;
  private last: number;

  constructor(
    perMinute: number,
    private readonly clock: Pick<MonotonicClock, "now"> = monotonicClock,
  ) {
    if (!(perMinute > 0)) throw new Error(`TokenBucket: limit must be positive, got ${perMinute}`);
    this.perMs = perMinute / 60_000;
    this.capacity = Math.max(1, perMinute / 60);
    this.tokens = this.capacity;
    this.last = clock.now();
  }

  private refill(): void {
    const now = this.clock.now();
    this.tokens = Math.min(this.capacity, this.tokens + (now - this.last) * this.perMs);
    this.last = now;
  }

  /** Milliseconds until `cost` can be paid (a cost above capacity needs a full bucket). */
  waitFor(cost: number): number {
    this.refill();
    const needed = Math.min(cost, this.capacity);
    return this.tokens >= needed - 1e-9 ? 0 : (needed - this.tokens) / this.perMs;
  }

  take(cost: number): void {
    this.refill();
    this.tokens -= cost;
  }

  /** Charges (positive) or refunds (negative) a correction. */
  adjust(delta: number): void {
    this.refill();
    this.tokens = Math.min(this.capacity, this.tokens - delta);
  }
}

export interface RateLimits {
  /** requests per minute */
  rpm?: number | undefined;
  /** tokens per minute (input + output) */
  tpm?: number | undefined;
}

/** What a limited model asks before and after each call: a RateLimiter, or a worker thread's view of the run's one
 * (app/run/worker-threads.ts). */
export interface CallLimiter {
  readonly active: boolean;
  acquire(estimatedTokens: number, signal?: AbortSignal): Promise<void>;
  settle(estimatedTokens: number, actualTokens: number): void;
}

export class RateLimiter implements CallLimiter {
  private readonly requests: TokenBucket | null;
  private readonly tokens: TokenBucket | null;
  private tail: Promise<void> = Promise.resolve();
  /** total time calls spent waiting, for the progress line */
  waitedMs = 0;

  constructor(
    limits: RateLimits,
    private readonly clock: MonotonicClock = monotonicClock,
  ) {
    this.requests = limits.rpm ? new TokenBucket(limits.rpm, clock) : null;
    this.tokens = limits.tpm ? new TokenBucket(limits.tpm, clock) : null;
  }

  get active(): boolean {
    return this.requests !== null || this.tokens !== null;
  }

  /** Resolves when the call may go; calls are admitted in arrival order. */
  acquire(estimatedTokens: number, signal?: AbortSignal): Promise<void> {
    const turn = this.tail.then(async () => {
      for (;;) {
        signal?.throwIfAborted();
        const wait = Math.max(this.requests?.waitFor(1) ?? 0, this.tokens?.waitFor(estimatedTokens) ?? 0);
        if (wait <= 0) break;
        this.waitedMs += wait;
        await this.clock.sleep(Math.ceil(wait));
      }
      this.requests?.take(1);
      this.tokens?.take(estimatedTokens);
    });
    this.tail = turn.catch(() => undefined);
    return turn;
  }

  /** Corrects the token bucket once the provider said what the call cost. */
  settle(estimatedTokens: number, actualTokens: number): void {
    this.tokens?.adjust(actualTokens - estimatedTokens);
  }
}

function contentLength(content: unknown): number {
  if (typeof content === "string") return content.length;
  if (!Array.isArray(content)) return 0;
  let sum = 0;
  for (const part of content as unknown[]) {
    if (typeof part === "string") sum += part.length;
    else if (typeof part === "object" && part !== null && "text" in part && typeof part.text === "string")
      sum += part.text.length;
  }
  return sum;
}

/** Characters of the prompt a chat model's invoke() got (messages, a string, or a prompt value). */
export function promptChars(input: unknown): number {
  if (typeof input === "string") return input.length;
  if (Array.isArray(input)) {
    return input.reduce((sum: number, message) => {
      if (typeof message === "string") return sum + message.length;
      if (Array.isArray(message)) return sum + contentLength(message[1]);
      return sum + contentLength((message as BaseMessage | null | undefined)?.content);
    }, 0);
  }
  const messages = (input as { toChatMessages?: () => BaseMessage[] } | null | undefined)?.toChatMessages?.();
  return messages ? promptChars(messages) : JSON.stringify(input ?? "").length;
}

function maxOutputTokens(model: BaseChatModel, options: Record<string, unknown> | undefined): number {
  const fromCall = options?.maxTokens ?? options?.max_tokens;
  if (typeof fromCall === "number") return fromCall;
  try {
    const params = (
      model as unknown as { invocationParams?: (o?: unknown) => Record<string, unknown> }
    ).invocationParams?.(options ?? {});
    const cap = params?.max_tokens ?? params?.max_completion_tokens ?? params?.maxTokens ?? params?.num_predict;
    if (typeof cap === "number" && cap > 0) return cap;
  } catch {
    // a model whose params need more than we have: fall back to the default
  }
  return DEFAULT_MAX_OUTPUT_TOKENS;
}

const LIMITED = Symbol.for("polyglot-personachat.rate-limited");

/**
 * Puts `limiter` around every invoke() of `model` (the only entry point the graph uses), in place: the model
 * keeps its identity, label, tracing and dispose(). Returns the same model.
 */
export function limitChatModel<M extends BaseChatModel>(model: M, limiter: CallLimiter): M {
  if (!limiter.active || (model as unknown as Record<symbol, unknown>)[LIMITED]) return model;
  Object.assign(model, { invoke: limitedInvoke(model, model.invoke.bind(model), limiter), [LIMITED]: true });
  return model;
}

/**
 * One job's view of a shared model (a fleet worker serves runs with their own limits and seeds from one loaded
 * model): its invoke() adds `callOptions` (the run's seed) to every call and goes through the job's `limiter`;
 * everything else — label, tracing, dispose — is the model's, and the model itself is not changed.
 */
export function jobView<M extends BaseChatModel>(
  model: M,
  callOptions: Record<string, unknown>,
  limiter?: RateLimiter,
): M {
  const view = Object.create(model) as M;
  const invoke: Invoke = (input, options) => model.invoke(input, { ...callOptions, ...options });
  Object.assign(view, { invoke: limiter?.active ? limitedInvoke(model, invoke, limiter) : invoke });
  return view;
}

type Invoke = BaseChatModel["invoke"];

function limitedInvoke(model: BaseChatModel, invoke: Invoke, limiter: CallLimiter): Invoke {
  return async (input, options) => {
    const opts = options as Record<string, unknown> | undefined;
    const inputEstimate = Math.ceil(promptChars(input) / 4);
    const estimate = inputEstimate + maxOutputTokens(model, opts);
    await limiter.acquire(estimate, opts?.signal as AbortSignal | undefined);
    let answer: Awaited<ReturnType<Invoke>>;
    try {
      answer = await invoke(input, options);
    } catch (error) {
      limiter.settle(estimate, inputEstimate);
      throw error;
    }
    const usage = (answer as { usage_metadata?: { input_tokens?: number; output_tokens?: number } }).usage_metadata;
    const actual = usage
      ? (usage.input_tokens ?? 0) + (usage.output_tokens ?? 0)
      : inputEstimate + Math.ceil(contentLength(answer.content) / 4);
    limiter.settle(estimate, actual);
    return answer;
  };
}
