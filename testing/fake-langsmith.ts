/**
 * A stand-in for the LangSmith ingest API, for tests. It answers GET /info and takes runs from
 * POST /runs/multipart (multipart bodies, gzip too), POST /runs/batch, POST /runs and PATCH /runs/:id, and keeps
 * every run, posts and patches merged by id. Two ways in: `fakeLangSmith().fetch` (in-process, no socket) and
 * `startFakeLangSmith()` (an HTTP server on 127.0.0.1, a random free port, for child processes).
 */
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { gunzipSync } from "node:zlib";

export interface CapturedRun {
  id: string;
  trace_id?: string;
  parent_run_id?: string | null;
  dotted_order?: string;
  name?: string;
  run_type?: string;
  session_name?: string;
  inputs?: Record<string, unknown>;
  outputs?: Record<string, unknown>;
  extra?: { metadata?: Record<string, unknown>; [key: string]: unknown };
  tags?: string[];
  error?: string | null;
  start_time?: string | number;
  end_time?: string | number;
  [key: string]: unknown;
}

export interface FakeLangSmithOptions {
  /** answer 401 to any other x-api-key */
  apiKey?: string;
}

export interface FakeLangSmith {
  /** every run received so far, posts and patches merged */
  runs(): CapturedRun[];
  /** every request received: "METHOD /path status" */
  requests: string[];
  /** a fetch that answers as the API would (for `createTracing({ fetch })`) */
  fetch: (input: string | URL | Request, init?: RequestInit) => Promise<Response>;
  /** answers one request */
  handle(request: {
    method: string;
    path: string;
    headers: Headers;
    body: Uint8Array;
  }): Promise<{ status: number; body: unknown }>;
}

export interface FakeLangSmithServer extends FakeLangSmith {
  url: string;
  close(): Promise<void>;
}

export function fakeLangSmith(options: FakeLangSmithOptions = {}): FakeLangSmith {
  const runs = new Map<string, CapturedRun>();
  const requests: string[] = [];
  const merge = (run: Partial<CapturedRun>) => {
    if (!run.id) return;
    const known = runs.get(run.id) ?? { id: run.id };
    runs.set(run.id, {
      ...known,
      ...Object.fromEntries(Object.entries(run).filter(([, value]) => value !== undefined)),
    });
  };
  const json = (body: Uint8Array) => JSON.parse(Buffer.from(body).toString("utf8")) as Record<string, unknown>;

  const route = async ({ method, path, headers, body }: Parameters<FakeLangSmith["handle"]>[0]) => {
    if (options.apiKey !== undefined && headers.get("x-api-key") !== options.apiKey)
      return { status: 401, body: { detail: "Invalid token" } };
    if (method === "GET" && path === "/info") {
      return {
        status: 200,
        body: { version: "0.12.0", batch_ingest_config: { use_multipart_endpoint: true }, instance_flags: {} },
      };
    }
    if (method === "POST" && path === "/runs/multipart") {
      const response = new Response(body, { headers: { "content-type": headers.get("content-type") ?? "" } });
      // undici's multipart parser is enough for what the LangSmith client sends to this test stand-in
      // eslint-disable-next-line @typescript-eslint/no-deprecated
      const form = await response.formData();
      const parts = new Map<string, Record<string, unknown>>();
      for (const [name, value] of form.entries()) {
        const [, id, field] = /^(?:post|patch)\.([^.]+)(?:\.(\w+))?$/.exec(name) ?? [];
        if (!id) continue;
        const text = typeof value === "string" ? value : await value.text();
        const run = parts.get(id) ?? { id };
        if (field) run[field] = JSON.parse(text);
        else Object.assign(run, JSON.parse(text));
        parts.set(id, run);
      }
      for (const run of parts.values()) merge(run);
      return { status: 202, body: {} };
    }
    if (method === "POST" && path === "/runs/batch") {
      const batch = json(body) as { post?: CapturedRun[]; patch?: CapturedRun[] };
      for (const run of [...(batch.post ?? []), ...(batch.patch ?? [])]) merge(run);
      return { status: 202, body: {} };
    }
    if (method === "POST" && path === "/runs") {
      merge(json(body));
      return { status: 202, body: {} };
    }
    const patch = /^\/runs\/([^/]+)$/.exec(path);
    if (method === "PATCH" && patch) {
      merge({ ...(json(body) as CapturedRun), id: patch[1]! });
      return { status: 202, body: {} };
    }
    return { status: 404, body: { detail: "Not found" } };
  };

  const handle: FakeLangSmith["handle"] = async (request) => {
    const body =
      request.headers.get("content-encoding") === "gzip" ? new Uint8Array(gunzipSync(request.body)) : request.body;
    const answer = await route({ ...request, body }).catch((error: unknown) => ({
      status: 500,
      body: { detail: String(error) },
    }));
    requests.push(`${request.method} ${request.path} ${answer.status}`);
    return answer;
  };

  return {
    runs: () => [...runs.values()],
    requests,
    handle,
    fetch: async (input, init) => {
      const request = new Request(input, init);
      const body = new Uint8Array(await request.arrayBuffer());
      const answer = await handle({
        method: request.method,
        path: new URL(request.url).pathname,
        headers: request.headers,
        body,
      });
      return new Response(JSON.stringify(answer.body), {
        status: answer.status,
        headers: { "content-type": "application/json" },
      });
    },
  };
}

async function readBody(request: IncomingMessage): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return new Uint8Array(Buffer.concat(chunks));
}

/** The fake API behind an HTTP server on 127.0.0.1 (a random free port). */
export async function startFakeLangSmith(options: FakeLangSmithOptions = {}): Promise<FakeLangSmithServer> {
  const fake = fakeLangSmith(options);
  const server = createServer((request, response) => {
    (async () => {
      const headers = new Headers();
      for (const [name, value] of Object.entries(request.headers))
        if (typeof value === "string") headers.set(name, value);
      const answer = await fake.handle({
        method: request.method ?? "GET",
        path: (request.url ?? "/").split("?")[0]!,
        headers,
        body: await readBody(request),
      });
      response.writeHead(answer.status, { "content-type": "application/json" });
      response.end(JSON.stringify(answer.body));
    })().catch(() => {
      response.writeHead(500);
      response.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    ...fake,
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
