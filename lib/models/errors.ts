/**
 * What can go wrong when a model is called over HTTP, told in one line.
 *
 * Two kinds reach the user:
 * - ModelConfigError — the user's to fix (a key, a model name, a base URL): the CLI prints the line and exits 2.
 *   Nothing is retried: retrying a 401 or a refused connection only delays the same answer.
 * - ModelCallError — the server failed (5xx, rate limits, resets, timeouts) and kept failing after the bounded
 *   retries, or refused the request itself (another 4xx): the CLI prints the line and exits 1.
 */

export type ProviderName = "llama-cpp" | "openai" | "anthropic" | "ollama";

export const PROVIDERS = ["llama-cpp", "openai", "anthropic", "ollama"] as const satisfies readonly ProviderName[];

/** A user-facing configuration problem (model file missing, bad key, unknown model, unreachable server, …). */
export class ModelConfigError extends Error {
  override name = "ModelConfigError";
}

/** A model call that failed for good: retries exhausted, or a request the server refuses. */
export class ModelCallError extends Error {
  override name = "ModelCallError";
  constructor(
    message: string,
    readonly failure?: Failure,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Each remote provider's public API, the variable that moves it, and the variable of its key. */
export const PROVIDER_DEFAULTS: Record<
  Exclude<ProviderName, "llama-cpp">,
  { baseUrl: string; baseUrlEnv: string; keyEnv?: string }
> = {
  openai: { baseUrl: "https://api.openai.com/v1", baseUrlEnv: "OPENAI_BASE_URL", keyEnv: "OPENAI_API_KEY" },
  anthropic: { baseUrl: "https://api.anthropic.com", baseUrlEnv: "ANTHROPIC_BASE_URL", keyEnv: "ANTHROPIC_API_KEY" },
  ollama: { baseUrl: "http://127.0.0.1:11434", baseUrlEnv: "OLLAMA_BASE_URL" },
};

/** The base URL the operator configured for a provider: its variable (OPENAI_BASE_URL, …), else its public API. */
export function configuredBaseUrl(
  provider: Exclude<ProviderName, "llama-cpp">,
  env: NodeJS.ProcessEnv = process.env,
): string {
  const defaults = PROVIDER_DEFAULTS[provider];
  return (env[defaults.baseUrlEnv]?.trim() || defaults.baseUrl).replace(/\/+$/, "");
}

/** Where a remote model lives, for the one-line messages. */
export interface Endpoint {
  provider: Exclude<ProviderName, "llama-cpp">;
  /** the base URL the client talks to */
  baseUrl: string;
  model: string;
  /** the environment variable that holds the key, when the provider has one */
  keyEnv?: string;
}

export type FailureKind =
  | "auth" // 401
  | "forbidden" // 403
  | "not_found" // 404
  | "unreachable" // connection refused, DNS, no route
  | "rate_limited" // 429
  | "server" // 5xx, 408, 409, 425
  | "timeout" // no answer in time
  | "reset" // connection reset / closed mid-answer
  | "rejected" // another 4xx: the request itself is refused
  | "aborted" // the caller aborted
  | "unknown";

export interface Failure {
  kind: FailureKind;
  status?: number;
  /** the network error code (ECONNREFUSED, ENOTFOUND, ECONNRESET, …) */
  code?: string;
  /** what the server said about it, first line, shortened */
  detail?: string;
  /** the wait the server asked for (Retry-After / retry-after-ms) */
  retryAfterMs?: number;
}

const RETRYABLE: ReadonlySet<FailureKind> = new Set(["rate_limited", "server", "timeout", "reset"]);
const CONFIG: ReadonlySet<FailureKind> = new Set(["auth", "forbidden", "not_found", "unreachable"]);

export function isRetryable(failure: Failure): boolean {
  return RETRYABLE.has(failure.kind);
}

export function isConfigFailure(failure: Failure): boolean {
  return CONFIG.has(failure.kind);
}

const BAD_PORT = "bad port";
const UNREACHABLE_CODES = new Set([
  "ECONNREFUSED",
  "ENOTFOUND",
  "EAI_AGAIN",
  "ENETUNREACH",
  "EHOSTUNREACH",
  "EADDRNOTAVAIL",
  "ERR_INVALID_URL",
]);
const RESET_CODES = new Set([
  "ECONNRESET",
  "EPIPE",
  "ECONNABORTED",
  "UND_ERR_SOCKET",
  "UND_ERR_CLOSED",
  "ERR_STREAM_PREMATURE_CLOSE",
]);
const TIMEOUT_CODES = new Set([
  "ETIMEDOUT",
  "UND_ERR_CONNECT_TIMEOUT",
  "UND_ERR_HEADERS_TIMEOUT",
  "UND_ERR_BODY_TIMEOUT",
]);

type Loose = Record<string, unknown> & { message?: unknown; name?: unknown; cause?: unknown };

function asObject(value: unknown): Loose | undefined {
  return typeof value === "object" && value !== null ? (value as Loose) : undefined;
}

/** The error and its causes, outermost first (bounded: cause chains can be cyclic). */
function chain(error: unknown): Loose[] {
  const out: Loose[] = [];
  let current = asObject(error);
  while (current && out.length < 8 && !out.includes(current)) {
    out.push(current);
    current = asObject(current.cause) ?? asObject(current.error);
  }
  return out;
}

function statusOf(links: Loose[]): number | undefined {
  for (const link of links) {
    for (const key of ["status", "status_code", "statusCode"]) {
      const value = link[key];
      if (typeof value === "number" && value >= 100 && value < 600) return value;
    }
    const response = asObject(link.response);
    if (typeof response?.status === "number") return response.status;
  }
  return undefined;
}

function headerOf(links: Loose[], name: string): string | undefined {
  for (const link of links) {
    for (const holder of [link.headers, asObject(link.response)?.headers]) {
      const headers = asObject(holder);
      if (!headers) continue;
      if (typeof headers.get === "function") {
        const value = (headers.get as (key: string) => string | null).call(headers, name);
        if (value != null) return value;
      } else {
        const key = Object.keys(headers).find((k) => k.toLowerCase() === name);
        if (key && typeof headers[key] === "string") return headers[key];
      }
    }
  }
  return undefined;
}

/** Retry-After in milliseconds: `retry-after-ms`, or `retry-after` as seconds or an HTTP date. */
export function retryAfterMs(
  headers: { get(name: string): string | null | undefined } | undefined,
  now = Date.now(),
): number | undefined {
  const ms = headers?.get("retry-after-ms");
  if (ms != null && ms.trim() !== "" && Number.isFinite(Number(ms)) && Number(ms) >= 0) return Number(ms);
  const value = headers?.get("retry-after")?.trim();
  if (!value) return undefined;
  if (/^\d+(\.\d+)?$/.test(value)) return Number(value) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

function codeOf(links: Loose[]): string | undefined {
  for (const link of links) {
    if (typeof link.code === "string" && /^[A-Z_]+$/.test(link.code)) return link.code;
    if (typeof link.errno === "string") return link.errno;
  }
  return undefined;
}

/** The server's own words, from an SDK error ("401 Incorrect API key…") or a body, one line, ≤ 160 chars. */
function detailOf(links: Loose[], status: number | undefined): string | undefined {
  for (const link of links) {
    const body = asObject(link.error);
    const candidates = [asObject(body?.error)?.message, body?.message, link.message];
    for (const candidate of candidates) {
      if (typeof candidate !== "string" || !candidate.trim()) continue;
      let text = candidate.split("\n")[0]!.trim();
      if (status !== undefined)
        text = text.replace(new RegExp(`^${status}\\s+(status code \\(no body\\))?`), "").trim();
      if (!text || /^(fetch failed|connection error\.?|request timed out\.?|terminated)$/i.test(text)) continue;
      return text.length > 160 ? `${text.slice(0, 157)}…` : text;
    }
  }
  return undefined;
}

/** Sorts any error a provider SDK can throw into the kinds above. */
export function classifyFailure(error: unknown): Failure {
  const links = chain(error);
  const status = statusOf(links);
  const code = codeOf(links);
  const text = (value: unknown) => (typeof value === "string" ? value : "");
  const names = links
    .map((link) => `${text(link.name)} ${text((link as { constructor?: { name?: unknown } }).constructor?.name)}`)
    .join(" ");
  const detail = detailOf(links, status);
  const base = {
    ...(status !== undefined ? { status } : {}),
    ...(code ? { code } : {}),
    ...(detail ? { detail } : {}),
  };

  if (status !== undefined) {
    if (status === 401) return { kind: "auth", ...base };
    if (status === 403) return { kind: "forbidden", ...base };
    if (status === 404) return { kind: "not_found", ...base };
    // a Retry-After also counts on 503 / 529 (overloaded)
    const wait = retryAfterMs({ get: (name) => headerOf(links, name) });
    const after = wait !== undefined ? { retryAfterMs: wait } : {};
    if (status === 429) return { kind: "rate_limited", ...base, ...after };
    if (status >= 500 || status === 408 || status === 409 || status === 425)
      return { kind: "server", ...base, ...after };
    return { kind: "rejected", ...base };
  }
  if (code && UNREACHABLE_CODES.has(code)) return { kind: "unreachable", ...base };
  // undici refuses the Fetch standard's "bad ports" (6000, 9, 25, …) before connecting: nothing to retry
  if (links.some((link) => link.message === "bad port")) return { kind: "unreachable", ...base, code: BAD_PORT };
  if (code && RESET_CODES.has(code)) return { kind: "reset", ...base };
  if ((code && TIMEOUT_CODES.has(code)) || /TimeoutError|APIConnectionTimeoutError/.test(names))
    return { kind: "timeout", ...base };
  if (/AbortError|APIUserAbortError/.test(names)) return { kind: "aborted", ...base };
  // a connection that failed without a code we know: the SDKs' "Connection error." / undici's "fetch failed"
  if (/APIConnectionError/.test(names) || links.some((link) => link.message === "fetch failed"))
    return { kind: "reset", ...base };
  if (
    links.some(
      (link) =>
        typeof link.message === "string" &&
        /socket hang up|other side closed|terminated|premature close/i.test(link.message),
    )
  )
    return { kind: "reset", ...base };
  return { kind: "unknown", ...base };
}

function withDetail(text: string, failure: Failure): string {
  return failure.detail ? `${text} (${failure.detail})` : text;
}

/** The one line a user reads. */
export function describeFailure(failure: Failure, endpoint: Endpoint): string {
  const at = endpoint.baseUrl;
  const key = endpoint.keyEnv ? `check ${endpoint.keyEnv}` : "check the server's credentials";
  switch (failure.kind) {
    case "auth":
      return `authentication failed (401) at ${at}: ${key}`;
    case "forbidden":
      return `access denied (403) at ${at} for model "${endpoint.model}": ${key} and its permissions`;
    case "not_found":
      return withDetail(`model "${endpoint.model}" not found at ${at} (404): check --model and --base-url`, failure);
    case "unreachable":
      if (failure.code === BAD_PORT) {
        return `cannot reach ${at}: fetch refuses to connect to its port (a "bad port" of the Fetch standard, like 6000 or 9); run the server on another port`;
      }
      return `cannot reach ${at} (${failure.code ?? "connection failed"}): is the server running? check --base-url`;
    case "rate_limited":
      return withDetail(`rate limited (429) at ${at}`, failure);
    case "server":
      return withDetail(`server error (${failure.status}) at ${at}`, failure);
    case "timeout":
      return `no answer from ${at} in time (timeout)`;
    case "reset":
      return `connection to ${at} broke off (${failure.code ?? "reset"})`;
    case "rejected":
      return withDetail(`request refused (${failure.status}) by ${at} for model "${endpoint.model}"`, failure);
    case "aborted":
      return `call to ${at} aborted`;
    default:
      return withDetail(`call to ${at} failed`, failure);
  }
}
