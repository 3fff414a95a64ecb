/**
 * The dev server as an attacker reaches it: the real `langgraphjs dev` (npm run studio) with keys in its
 * environment. A run whose context names a capture listener as baseUrl (or judgeBaseUrl, or a model file) is
 * refused with one line in the run's output and the listener hears nothing; a server the operator allowed gets
 * the run but not the keys, which go only to the host they were configured for; a cross-site text/plain POST gets
 * no CORS grant, and neither it, nor anything from a foreign origin (a WebSocket included), nor a request for a
 * non-loopback Host creates a run (graphs/studio-http.ts); a non-loopback --host needs --allow-remote.
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { createServer, request as httpRequest } from "node:http";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FakeServer, startFakeLlmServer } from "../testing/fake-llm-server.js";
import { freePort } from "../testing/ports.js";
import { type StudioServer, startStudio } from "../testing/studio-server.js";

const root = fileURLToPath(new URL("..", import.meta.url));
const OPENAI_KEY = "sk-studio-openai-secret-1234";
const ANTHROPIC_KEY = "sk-ant-studio-secret-5678";
const STUDIO_ORIGIN = "https://smith.langchain.com";
const CHROMIUM = "/usr/bin/chromium";
if (!existsSync(CHROMIUM))
  console.warn(
    `studio-security.int: the browser attack is skipped — ${CHROMIUM} is absent (apt-get install -y chromium)`,
  );

describe("npm run studio against hostile callers (langgraphjs dev, offline)", () => {
  let studio: StudioServer;
  let capture: FakeServer;
  let allowed: FakeServer;

  beforeAll(async () => {
    const refuse = () => ({ status: 500, body: { error: { message: "capture" } } });
    capture = await startFakeLlmServer("openai", refuse);
    allowed = await startFakeLlmServer("openai", refuse);
    studio = await startStudio({
      OPENAI_API_KEY: OPENAI_KEY,
      ANTHROPIC_API_KEY: ANTHROPIC_KEY,
      // the keys are configured for the public APIs; the operator allows one more server, without its keys
      POLYGLOT_ALLOWED_BASE_URLS: allowed.baseUrl,
    });
  }, 120_000);

  afterAll(async () => {
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- unset when beforeAll failed
    await capture?.close();
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- unset when beforeAll failed
    await allowed?.close();
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- unset when beforeAll failed
    if (studio) expect(await studio.stop()).toBe(true);
  }, 20_000);

  async function run(context: Record<string, unknown>): Promise<string> {
    const response = await fetch(`${studio.base}/runs/wait`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        assistant_id: "dialogue",
        input: { language: "es", seed: 1 },
        context: { maxStructuredRetries: 0, ...context },
      }),
      signal: AbortSignal.timeout(60_000),
    });
    // the server reports a node's error as JSON within JSON ({"__error__":{"message":"{\"error\":…}"}}): unescaped
    return (await response.text()).replace(/\\+"/g, '"');
  }

  const secrets = (server: FakeServer) =>
    server.requests
      .map((r) => JSON.stringify(r.headers))
      .filter((h) => h.includes(OPENAI_KEY) || h.includes(ANTHROPIC_KEY));

  it("refuses a baseUrl or judgeBaseUrl the operator did not allow, in the run's output; the listener hears nothing", async () => {
    const chat = await run({ provider: "openai", model: "m", baseUrl: capture.baseUrl, maxAttempts: 1 });
    expect(chat).toMatch(
      /refused: baseUrl http:\/\/127\.0\.0\.1:\d+\/v1 is not a server the operator allows .*POLYGLOT_ALLOWED_BASE_URLS/,
    );
    const judge = await run({
      provider: "openai",
      model: "m",
      baseUrl: allowed.baseUrl,
      judgeProvider: "anthropic",
      judgeModelName: "x",
      judgeBaseUrl: capture.url,
      maxAttempts: 1,
    });
    expect(judge).toMatch(/refused: judgeBaseUrl http:\/\/127\.0\.0\.1:\d+ is not a server the operator allows/);
    expect(capture.requests).toEqual([]);
  }, 120_000);

  it("sends a run to an allowed server without the keys configured for other hosts", async () => {
    const before = allowed.requests.length;
    await run({ provider: "openai", model: "m", baseUrl: allowed.baseUrl, maxAttempts: 1 });
    expect(allowed.requests.length).toBeGreaterThan(before);
    expect(secrets(allowed)).toEqual([]);
    expect(studio.output()).not.toContain(OPENAI_KEY);
  }, 120_000);

  it("refuses a model file the operator did not allow, saying the same whether or not it exists", async () => {
    const existing = await run({ provider: "llama-cpp", model: "/etc/hostname" });
    const missing = await run({ provider: "llama-cpp", model: "/no/such/file.gguf" });
    expect(existing).toMatch(
      /refused: model "\/etc\/hostname" is not a model file the operator allows \(list it in POLYGLOT_ALLOWED_MODELS/,
    );
    expect(missing).toMatch(
      /refused: model "\/no\/such\/file\.gguf" is not a model file the operator allows \(list it in POLYGLOT_ALLOWED_MODELS/,
    );
    expect(existing).not.toMatch(/exist|not found|ENOENT/i);
    expect(missing).not.toMatch(/exist|not found|ENOENT/i);
  }, 120_000);

  it("grants CORS to the Studio origin only: a cross-site text/plain POST gets no grant", async () => {
    const post = (origin: string) =>
      fetch(`${studio.base}/assistants/search`, {
        method: "POST",
        headers: { origin, "content-type": "text/plain" },
        body: JSON.stringify({ graph_id: "dialogue" }),
      });
    const evil = await post("https://evil.example");
    expect(evil.headers.get("access-control-allow-origin")).toBeNull();
    const preflight = await fetch(`${studio.base}/runs/wait`, {
      method: "OPTIONS",
      headers: {
        origin: "https://evil.example",
        "access-control-request-method": "POST",
        "access-control-request-headers": "content-type",
      },
    });
    expect(preflight.headers.get("access-control-allow-origin")).toBeNull();
    const studioOrigin = await post(STUDIO_ORIGIN);
    expect(studioOrigin.headers.get("access-control-allow-origin")).toBe(STUDIO_ORIGIN);
  }, 60_000);

  /** one request with exactly these headers (fetch would add an Origin of its own or refuse to set Host) */
  function raw(method: string, path: string, headers: Record<string, string>, body?: string) {
    return new Promise<{ status: number; upgraded: boolean; text: string }>((resolve, reject) => {
      const req = httpRequest(`${studio.base}${path}`, {
        method,
        headers: body === undefined ? headers : { ...headers, "content-length": String(Buffer.byteLength(body)) },
      });
      req.on("upgrade", (_response, socket) => {
        socket.destroy();
        resolve({ status: 101, upgraded: true, text: "" });
      });
      req.on("response", (response) => {
        let text = "";
        response.on("data", (chunk: Buffer) => (text += chunk.toString()));
        response.on("end", () => resolve({ status: response.statusCode ?? 0, upgraded: false, text }));
      });
      req.on("error", reject);
      req.end(body);
    });
  }

  async function json<T>(method: string, path: string, body?: unknown): Promise<T> {
    const response = await fetch(`${studio.base}${path}`, {
      method,
      headers: { "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    expect(response.status, `${path}: ${await response.clone().text()}`).toBe(200);
    return (await response.json()) as T;
  }

  it("refuses a text/plain POST, a foreign origin and a rebound Host before any run exists; Studio's JSON still runs", async () => {
    const { thread_id } = await json<{ thread_id: string }>("POST", "/threads", {});
    const path = `/threads/${thread_id}/runs/wait`;
    const body = JSON.stringify({
      assistant_id: "dialogue",
      input: { language: "es", seed: 1 },
      context: { provider: "openai", model: "m", baseUrl: allowed.baseUrl, maxAttempts: 1, maxStructuredRetries: 0 },
    });
    const host = new URL(studio.base).host;
    const simple = await raw(
      "POST",
      path,
      { host, origin: "https://evil.example", "content-type": "text/plain;charset=UTF-8" },
      body,
    );
    expect(simple.status).toBe(403);
    expect(simple.text).toContain('refused: a request from origin \\"https://evil.example\\"');
    const plain = await raw("POST", path, { host, "content-type": "text/plain" }, body);
    expect(plain.status).toBe(415);
    expect(JSON.parse(plain.text)).toEqual({
      error: "UnsupportedMediaType",
      message: 'refused: a POST with Content-Type "text/plain" — send the body as application/json',
    });
    const foreignJson = await raw(
      "POST",
      path,
      { host, origin: "https://evil.example", "content-type": "application/json" },
      body,
    );
    expect(foreignJson.status).toBe(403);
    const rebound = await raw(
      "POST",
      path,
      { host: `rebind.evil.example:${new URL(studio.base).port}`, "content-type": "application/json" },
      body,
    );
    expect(rebound.status).toBe(403);
    expect(JSON.parse(rebound.text).message).toMatch(/^refused: a request for host "rebind\.evil\.example:\d+"/);
    expect(await json<unknown[]>("GET", `/threads/${thread_id}/runs`)).toEqual([]);
    // what Studio sends (its origin, JSON) still runs
    const studioRun = await raw(
      "POST",
      path,
      { host, origin: STUDIO_ORIGIN, "content-type": "application/json" },
      body,
    );
    expect(studioRun.status).toBe(200);
    expect(await json<unknown[]>("GET", `/threads/${thread_id}/runs`)).toHaveLength(1);
  }, 120_000);

  it("opens the run WebSocket only for this machine and Studio, never for a foreign origin", async () => {
    const { thread_id } = await json<{ thread_id: string }>("POST", "/threads", {});
    const upgrade = (origin?: string) =>
      raw("GET", `/threads/${thread_id}/stream/events`, {
        host: new URL(studio.base).host,
        connection: "Upgrade",
        upgrade: "websocket",
        "sec-websocket-version": "13",
        "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==",
        ...(origin ? { origin } : {}),
      });
    const evil = await upgrade("https://evil.example");
    expect(evil).toMatchObject({ status: 403, upgraded: false });
    expect(await upgrade(STUDIO_ORIGIN)).toMatchObject({ upgraded: true });
    expect(await upgrade()).toMatchObject({ upgraded: true });
  }, 60_000);

  it.skipIf(!existsSync(CHROMIUM))(
    "a page on another site, in a real browser, starts no run: neither a no-cors text/plain POST nor a WebSocket",
    async () => {
      const { thread_id } = await json<{ thread_id: string }>("POST", "/threads", {});
      // the attacker's site: evil.example, resolved to this machine by the browser only
      const site = createServer((_req, res) =>
        res.writeHead(200, { "content-type": "text/html" }).end("<!doctype html><title>cat pictures</title>"),
      );
      const port = await freePort();
      await new Promise<void>((resolve) => site.listen(port, "127.0.0.1", resolve));
      const { chromium } = await import("playwright-core");
      const browser = await chromium.launch({
        executablePath: CHROMIUM,
        args: [
          "--headless",
          "--no-sandbox",
          "--disable-gpu",
          "--no-first-run",
          "--disable-background-networking",
          "--disable-component-update",
          "--disable-sync",
          "--host-resolver-rules=MAP evil.example 127.0.0.1",
        ],
      });
      try {
        const page = await browser.newPage();
        await page.goto(`http://evil.example:${port}/`);
        const body = JSON.stringify({
          assistant_id: "dialogue",
          input: { language: "es", seed: 1 },
          context: {
            provider: "openai",
            model: "m",
            baseUrl: allowed.baseUrl,
            maxAttempts: 1,
            maxStructuredRetries: 0,
          },
        });
        const outcome = await page.evaluate(
          async ({ base, thread, body }) => {
            // what a page may send anywhere without a preflight: the browser sends it, CORS only hides the answer
            const post = await fetch(`${base}/threads/${thread}/runs/wait`, {
              method: "POST",
              mode: "no-cors",
              headers: { "content-type": "text/plain" },
              body,
            }).then(
              (r) => r.type,
              (e: unknown) => String(e),
            );
            // a WebSocket is not subject to CORS at all: open, ask for a run, wait for an answer
            const socket = await new Promise<string>((resolve) => {
              const ws = new WebSocket(`${base.replace(/^http/, "ws")}/threads/${thread}/stream/events`);
              ws.onopen = () =>
                ws.send(
                  JSON.stringify({
                    id: 1,
                    method: "run.start",
                    params: { assistant_id: "dialogue", input: JSON.parse(body).input },
                  }),
                );
              ws.onmessage = (event) => resolve(`answered: ${String(event.data).slice(0, 200)}`);
              ws.onerror = () => resolve("refused");
              setTimeout(() => resolve("no answer"), 10_000);
            });
            return { post, socket };
          },
          { base: studio.base, thread: thread_id, body },
        );
        expect(outcome.post).toBe("opaque"); // sent, as the attack needs; the answer hidden
        expect(outcome.socket).toBe("refused");
        // give a run the page might have started time to show
        await new Promise((resolve) => setTimeout(resolve, 1_000));
        expect(await json<unknown[]>("GET", `/threads/${thread_id}/runs`)).toEqual([]);
      } finally {
        await browser.close();
        site.close();
      }
    },
    120_000,
  );
});

describe("npm run studio --host", () => {
  it("refuses a non-loopback address without --allow-remote, in one line, before starting anything", () => {
    const result = spawnSync(
      process.execPath,
      ["--import", "tsx", "scripts/studio.ts", "--host", "0.0.0.0", "--port", "1"],
      { cwd: root, encoding: "utf8" },
    );
    expect(result.status).toBe(2);
    expect(result.stderr.trim()).toMatch(
      /^polyglot-personachat studio: --host 0\.0\.0\.0 would let anyone on the network run the graph .* add --allow-remote/,
    );
    expect(result.stdout).toBe("");
  }, 60_000);
});
