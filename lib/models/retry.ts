import {
  classifyFailure,
  describeFailure,
  type Endpoint,
  type Failure,
  isConfigFailure,
  isRetryable,
  ModelCallError,
  ModelConfigError,
} from "./errors.js";

/**
 * Our one retry policy for every remote provider. The SDKs' own retries are switched off (maxRetries: 0 on the
 * LangChain model, whose SDK clients LangChain already builds with maxRetries: 0), because each does it
 * differently: LangChain's AsyncCaller retries a refused connection, has no bound on total time, and ChatOllama
 * goes around it altogether. Here:
 *
 * - 401/403/404 and an unreachable server (refused, DNS) fail at once with ModelConfigError;
 * - 429, 5xx (and 408/409/425), resets and timeouts are retried: exponential backoff with jitter
 *   (base · 2^(n-1), capped, times a random factor in [0.5, 1]); a 429's Retry-After is a floor for the wait;
 * - at most `maxAttempts` attempts and `maxWaitMs` of waiting in all; a Retry-After beyond what is left ends
 *   the call at once instead of sleeping past the budget;
 * - what is left then ends as ModelCallError with one line: what failed, where, how many attempts.
 */
export interface RetryPolicy {
  /** attempts in all, the first included */
  maxAttempts: number;
  /** the first backoff, before jitter */
  baseDelayMs: number;
  /** the largest backoff, before jitter */
  maxDelayMs: number;
  /** waiting between attempts, in all (Retry-After waits included) */
  maxWaitMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxAttempts: 4,
  baseDelayMs: 1000,
  maxDelayMs: 8000,
  maxWaitMs: 60_000,
};

/** The time source, injectable for tests. */
export interface Clock {
  now(): number;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  random(): number;
}

export const realClock: Clock = {
  now: () => Date.now(),
  random: () => Math.random(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve, reject) => {
      if (signal?.aborted) {
        reject(signal.reason as Error);
        return;
      }
      const onAbort = () => {
        clearTimeout(timer);
        reject(signal!.reason as Error);
      };
      const timer = setTimeout(() => {
        signal?.removeEventListener("abort", onAbort);
        resolve();
      }, ms);
      signal?.addEventListener("abort", onAbort, { once: true });
    }),
};

/** The backoff before attempt `attempt + 1` (attempt counts from 1), before any Retry-After. */
export function backoffMs(attempt: number, policy: RetryPolicy, random: number): number {
  const exponential = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  return Math.round(exponential * (0.5 + 0.5 * random));
}

export interface RetryEvent {
  attempt: number;
  failure: Failure;
  delayMs: number;
  message: string;
}

export interface RetryOptions {
  endpoint: Endpoint;
  policy?: RetryPolicy;
  signal?: AbortSignal | undefined;
  clock?: Clock;
  /** told about each retry before its wait */
  onRetry?: (event: RetryEvent) => void;
}

/** Runs `call` under the policy; throws ModelConfigError or ModelCallError (one line) when it gives up. */
export async function withRetries<T>(call: (attempt: number) => Promise<T>, options: RetryOptions): Promise<T> {
  const policy = options.policy ?? DEFAULT_RETRY_POLICY;
  const clock = options.clock ?? realClock;
  const started = clock.now();
  let waited = 0;
  for (let attempt = 1; ; attempt++) {
    try {
      return await call(attempt);
    } catch (error) {
      if (options.signal?.aborted) throw error;
      if (error instanceof ModelConfigError || error instanceof ModelCallError) throw error;
      const failure = classifyFailure(error);
      const message = describeFailure(failure, options.endpoint);
      if (isConfigFailure(failure)) throw new ModelConfigError(message);
      if (!isRetryable(failure)) throw new ModelCallError(message, failure, { cause: error });
      const seconds = () => ((clock.now() - started) / 1000).toFixed(1);
      if (attempt >= policy.maxAttempts) {
        throw new ModelCallError(`${message}; gave up after ${attempt} attempts in ${seconds()} s`, failure, {
          cause: error,
        });
      }
      const left = policy.maxWaitMs - waited;
      if (failure.retryAfterMs !== undefined && failure.retryAfterMs > left) {
        throw new ModelCallError(
          `${message}; the server asks to wait ${(failure.retryAfterMs / 1000).toFixed(0)} s, more than the ${(left / 1000).toFixed(0)} s left to wait (after ${attempt} attempts)`,
          failure,
          { cause: error },
        );
      }
      const delayMs = Math.min(left, Math.max(backoffMs(attempt, policy, clock.random()), failure.retryAfterMs ?? 0));
      if (left <= 0)
        throw new ModelCallError(`${message}; gave up after ${attempt} attempts in ${seconds()} s`, failure, {
          cause: error,
        });
      options.onRetry?.({ attempt, failure, delayMs, message });
      await clock.sleep(delayMs, options.signal);
      waited += delayMs;
    }
  }
}

/**
 * What a run tells the user about retried calls, so that a wait on a 429 or a flaky server is not silence: the
 * first retry at once, then at most one line per `everyMs` saying how many calls were retried since and the last
 * reason. Pass `record` as a model's onRetry; a run (app/run/batch.ts) routes the lines through its progress
 * display and calls `flush` on its periodic tick and at the end.
 */
export class RetryNotices {
  /** calls retried in all */
  count = 0;
  private pending = 0;
  private last = "";
  private shownAt = Number.NEGATIVE_INFINITY;
  static readonly toStderr = (line: string): void => {
    process.stderr.write(`${line}\n`);
  };

  private show: (line: string) => void = RetryNotices.toStderr;

  constructor(
    private readonly everyMs = 10_000,
    private readonly now: () => number = () => Date.now(),
  ) {}

  readonly record = (event: RetryEvent): void => {
    this.count++;
    this.pending++;
    this.last = `${event.message}; retrying in ${(event.delayMs / 1000).toFixed(1)} s (attempt ${event.attempt + 1})`;
    this.flush();
  };

  /** where the lines go (default: stderr) */
  showWith(show: (line: string) => void): void {
    this.show = show;
  }

  /** shows what is pending, if the last line is older than everyMs (or `force`) */
  flush(force = false): void {
    if (this.pending === 0 || (!force && this.now() - this.shownAt < this.everyMs)) return;
    this.show(
      this.pending === 1
        ? `model: ${this.last}`
        : `model: ${this.pending} calls retried since the last notice; the last: ${this.last}`,
    );
    this.pending = 0;
    this.shownAt = this.now();
  }
}
