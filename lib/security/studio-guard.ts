/**
 * What a web page the developer merely visits cannot make the dev server do. The LangGraph API server has no
 * authentication, parses `text/plain` bodies as JSON, and takes WebSocket commands (`run.start`) on
 * `/threads/:id/stream/events`: a browser sends a "simple" cross-site POST, or opens a WebSocket, without a CORS
 * preflight — CORS only hides the answer, the run still executes. So, before the API routes see a request
 * (graphs/studio-http.ts, mounted through `http.app` in langgraph.json):
 * - a request whose `Origin` is neither loopback nor one of langgraph.json's `http.cors.allow_origins`
 *   (LangGraph Studio's) is refused, 403 — any method, WebSocket upgrades included;
 * - a request that changes state (not GET / HEAD / OPTIONS) and carries a body must say it is JSON
 *   (`application/json`, or `application/…+json`), else 415 — a browser cannot send that cross-site without a
 *   preflight, which the CORS settings refuse;
 * - unless the operator let the server be reached from other machines (`npm run studio -- --allow-remote`, which
 *   sets POLYGLOT_STUDIO_ALLOW_REMOTE=1), the `Host` must be a loopback name, else 403: a DNS-rebinding page
 *   (evil.example resolving to 127.0.0.1) is same-origin to itself and sends no `Origin` on a GET.
 * Each refusal is one line in the body's `message`.
 */
import { isIP } from "node:net";
import { z } from "zod";

export const ALLOW_REMOTE_ENV = "POLYGLOT_STUDIO_ALLOW_REMOTE";

/** 127.0.0.0/8, ::1, localhost: the addresses only this machine reaches (brackets around IPv6 accepted). */
export function isLoopback(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, "").toLowerCase();
  return bare === "localhost" || bare === "::1" || (isIP(bare) === 4 && bare.startsWith("127."));
}

export interface GuardPolicy {
  /** origins granted besides loopback ones, exactly as browsers send them (`https://smith.langchain.com`) */
  origins: readonly string[];
  /** the server may be reached by a non-loopback name (the operator opted in) */
  allowRemote: boolean;
}

export interface Refusal {
  status: 403 | 415;
  message: string;
}

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);
/** the media types hono's JSON validator parses, and nothing the API server would coerce into JSON */
const JSON_MEDIA = /^application\/([\w.-]+\+)?json$/i;

function loopbackOrigin(origin: string): boolean {
  try {
    const url = new URL(origin);
    return (url.protocol === "http:" || url.protocol === "https:") && url.origin === origin && isLoopback(url.hostname);
  } catch {
    return false; // "null" (sandboxed frames, file:) and anything unparsable
  }
}

/** The host name of a `Host` header value (`127.0.0.1:2024`, `[::1]:2024`, `localhost`). */
function hostName(host: string): string {
  const bracketed = /^\[([^\]]*)\]/.exec(host);
  return bracketed ? bracketed[1]! : host.replace(/:\d*$/, "");
}

/** Why `request` must not reach the API, or null. Reads only its method and headers. */
export function studioRequestRefusal(
  request: { method: string; headers: Headers },
  policy: GuardPolicy,
): Refusal | null {
  const origin = request.headers.get("origin");
  if (origin !== null && !policy.origins.includes(origin) && !loopbackOrigin(origin)) {
    return {
      status: 403,
      message: `refused: a request from origin ${JSON.stringify(origin)} — the dev server takes requests only from this machine and ${policy.origins.join(", ") || "no other site"} (langgraph.json http.cors.allow_origins)`,
    };
  }
  const host = request.headers.get("host");
  if (!policy.allowRemote && host !== null && !isLoopback(hostName(host))) {
    return {
      status: 403,
      message: `refused: a request for host ${JSON.stringify(host)} — the dev server answers only to this machine's loopback names (npm run studio -- --host H --allow-remote serves other names)`,
    };
  }
  if (!SAFE_METHODS.has(request.method.toUpperCase())) {
    const type = request.headers.get("content-type");
    const length = request.headers.get("content-length");
    const hasBody =
      type !== null || request.headers.has("transfer-encoding") || (length !== null && length.trim() !== "0");
    const media = (type ?? "").split(";")[0]!.trim();
    if (hasBody && !JSON_MEDIA.test(media)) {
      return {
        status: 415,
        message: `refused: a ${request.method.toUpperCase()} with ${type === null ? "a body but no Content-Type" : `Content-Type ${JSON.stringify(type)}`} — send the body as application/json`,
      };
    }
  }
  return null;
}

const LangGraphJsonSchema = z.object({
  http: z.object({ cors: z.object({ allow_origins: z.array(z.string()).optional() }).optional() }).optional(),
});

/** The policy from langgraph.json's text (its CORS origins) and the environment. */
export function guardPolicy(langgraphJson: string, env: NodeJS.ProcessEnv = process.env): GuardPolicy {
  const config = LangGraphJsonSchema.parse(JSON.parse(langgraphJson));
  // a wildcard there would grant every site: the guard never takes it as "any origin"
  const origins = (config.http?.cors?.allow_origins ?? []).filter((o) => o !== "*");
  return { origins, allowRemote: env[ALLOW_REMOTE_ENV] === "1" };
}
