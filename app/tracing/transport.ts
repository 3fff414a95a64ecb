/**
 * The only way our LangSmith client reaches the network: a fetch that can never hurt the run it traces.
 *
 * - every request has its own short timeout (the client's default is 90 s);
 * - it never throws and never hands the client an error status: a network error, a timeout or an HTTP error
 *   is reported once through `onProblem`, the breaker opens, and the client gets a synthetic "accepted" answer,
 *   so it neither retries with backoff timers nor prints its own multi-line errors;
 * - while the breaker is open, requests are answered at once without touching the network (a bad key keeps it
 *   open for good; anything else for `cooldownMs`, then one request may try again);
 * - `close()` aborts what is in flight and answers everything after it at once, so no socket, timer or retry
 *   outlives the flush.
 *
 * The one status passed through is 404 from /runs/multipart: the client then falls back to /runs/batch.
 */

export type FetchLike = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

export interface TransportOptions {
  /** the LangSmith API base URL, for messages */
  endpoint: string;
  /** longest wait for one request */
  requestTimeoutMs: number;
  /** how long the breaker stays open after a failure that may heal (network, timeout, 5xx, 429) */
  cooldownMs: number;
  /** told about each failure that opens the breaker (the caller shows at most one) */
  onProblem: (message: string) => void;
  /** the real fetch (injected in tests) */
  fetch?: FetchLike;
}

function urlOf(input: string | URL | Request): string {
  return typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
}

/** The answer the client gets when the request was not (or could not be) delivered. */
function synthetic(url: string): Response {
  // /info: "no special server settings", which makes the client use its defaults
  const status = /\/info(\?|$)/.test(url) ? 200 : 202;
  return new Response("{}", { status, headers: { "content-type": "application/json" } });
}

/** One short phrase for why a request failed. */
function describeRequestFailure(error: unknown, timeoutMs: number): string {
  const e = error as { name?: string; message?: string; cause?: { code?: string; message?: string } } | undefined;
  if (e?.name === "TimeoutError") return `did not answer within ${Math.round(timeoutMs / 100) / 10} s`;
  const code = e?.cause?.code;
  if (code === "ECONNREFUSED") return "refused the connection";
  if (code === "ENOTFOUND" || code === "EAI_AGAIN") return "could not be resolved";
  if (code) return `is unreachable (${code})`;
  return `is unreachable (${(e?.cause?.message ?? e?.message ?? String(error)).split("\n")[0]})`;
}

export class TracingTransport {
  private readonly realFetch: FetchLike;
  private readonly inFlight = new Set<AbortController>();
  private openUntil = 0;
  private closed = false;
  /** a problem was reported: some traces were dropped */
  failed = false;

  constructor(private readonly options: TransportOptions) {
    this.realFetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  }

  /** The fetch to hand to the LangSmith client. */
  readonly fetch: FetchLike = async (input, init) => {
    const url = urlOf(input);
    if (this.closed || Date.now() < this.openUntil) return synthetic(url);
    const controller = new AbortController();
    const signals = [controller.signal, AbortSignal.timeout(this.options.requestTimeoutMs)];
    if (init?.signal) signals.push(init.signal);
    this.inFlight.add(controller);
    try {
      const response = await this.realFetch(input, { ...init, signal: AbortSignal.any(signals) });
      if (response.ok || (response.status === 404 && /\/runs\/multipart(\?|$)/.test(url))) return response;
      await response.body?.cancel().catch(() => undefined);
      const auth = response.status === 401 || response.status === 403;
      this.trip(`answered HTTP ${response.status}${auth ? " (check LANGSMITH_API_KEY)" : ""}`, auth);
      return synthetic(url);
    } catch (error) {
      // close() may have run while the request was in flight
      // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition
      if (!this.closed) this.trip(describeRequestFailure(error, this.options.requestTimeoutMs), false);
      return synthetic(url);
    } finally {
      this.inFlight.delete(controller);
    }
  };

  private trip(reason: string, forGood: boolean): void {
    this.failed = true;
    this.openUntil = forGood ? Number.POSITIVE_INFINITY : Date.now() + this.options.cooldownMs;
    this.options.onProblem(`LangSmith at ${this.options.endpoint} ${reason}`);
  }

  /** Aborts the requests in flight; every later request is answered at once. */
  close(): void {
    this.closed = true;
    for (const controller of this.inFlight) controller.abort();
    this.inFlight.clear();
  }
}
