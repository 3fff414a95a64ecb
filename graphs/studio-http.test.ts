import { describe, expect, it } from "vitest";
import { guardPolicy } from "../lib/security/studio-guard.js";
import { studioHttpApp } from "./studio-http.js";

const STUDIO = "https://smith.langchain.com";

/** the guard in front of a route standing for the API's: `reached` counts what got past it */
function server(allowRemote = false) {
  const app = studioHttpApp({ origins: [STUDIO], allowRemote });
  let reached = 0;
  app.all("*", (c) => {
    reached++;
    return c.json({ ok: true });
  });
  const send = async (method: string, headers: Record<string, string>, body?: string | Blob) => {
    const response = await app.request("http://127.0.0.1:2024/threads/t/runs/wait", {
      method,
      headers: { host: "127.0.0.1:2024", ...headers },
      body,
    });
    return { status: response.status, body: (await response.json()) as { error?: string; message?: string } };
  };
  return { send, reached: () => reached };
}

const RUN = JSON.stringify({ assistant_id: "dialogue", input: { language: "es" } });

describe("studio request guard (http.app)", () => {
  it("lets Studio's JSON requests, loopback pages and origin-less clients through", async () => {
    const s = server();
    expect((await s.send("POST", { origin: STUDIO, "content-type": "application/json" }, RUN)).status).toBe(200);
    expect((await s.send("POST", { "content-type": "application/json; charset=utf-8" }, RUN)).status).toBe(200);
    expect(
      (await s.send("POST", { origin: "http://localhost:5173", "content-type": "application/json" }, RUN)).status,
    ).toBe(200);
    expect(
      (await s.send("POST", { origin: "http://[::1]:3000", "content-type": "application/vnd.api+json" }, RUN)).status,
    ).toBe(200);
    // no body at all (cancel, delete): nothing to parse
    expect((await s.send("POST", {})).status).toBe(200);
    expect((await s.send("DELETE", { origin: STUDIO })).status).toBe(200);
    expect((await s.send("GET", { host: "localhost:2024" })).status).toBe(200);
    expect(s.reached()).toBe(7);
  });

  it("refuses the bodies a page can send cross-site without a preflight, 415, before the API sees them", async () => {
    const s = server();
    for (const type of [
      "text/plain",
      "text/plain;charset=UTF-8",
      "application/x-www-form-urlencoded",
      "multipart/form-data; boundary=x",
    ]) {
      const refused = await s.send("POST", { "content-type": type }, RUN);
      expect(refused.status).toBe(415);
      expect(refused.body).toEqual({
        error: "UnsupportedMediaType",
        message: `refused: a POST with Content-Type ${JSON.stringify(type)} — send the body as application/json`,
      });
    }
    // a Blob without a type: a body and no Content-Type at all (the length is the header a server receives)
    const untyped = await s.send("PUT", { "content-length": String(RUN.length) }, new Blob([RUN]));
    expect(untyped.status).toBe(415);
    expect(untyped.body.message).toBe(
      "refused: a PUT with a body but no Content-Type — send the body as application/json",
    );
    expect(s.reached()).toBe(0);
  });

  it("refuses any request from a foreign origin, 403: JSON, GET and WebSocket upgrades too", async () => {
    const s = server();
    for (const [method, headers] of [
      ["POST", { origin: "https://evil.example", "content-type": "application/json" }],
      ["POST", { origin: "https://evil.example", "content-type": "text/plain" }],
      ["GET", { origin: "https://evil.example", upgrade: "websocket", connection: "Upgrade" }],
      ["POST", { origin: "null", "content-type": "application/json" }],
      // a look-alike of the Studio origin and a loopback name in a foreign scheme
      ["POST", { origin: "https://smith.langchain.com.evil.example" }],
      ["POST", { origin: "chrome-extension://localhost" }],
    ] as const) {
      const refused = await s.send(method, headers, method === "GET" ? undefined : RUN);
      expect(refused.status, `${method} ${headers.origin}`).toBe(403);
      expect(refused.body.message).toBe(
        `refused: a request from origin ${JSON.stringify(headers.origin)} — the dev server takes requests only from this machine and ${STUDIO} (langgraph.json http.cors.allow_origins)`,
      );
    }
    expect(s.reached()).toBe(0);
  });

  it("answers only loopback Host names unless the operator allowed remote callers (DNS rebinding)", async () => {
    const local = server();
    const rebound = await local.send("GET", { host: "evil.example:2024" });
    expect(rebound.status).toBe(403);
    expect(rebound.body.message).toMatch(
      /^refused: a request for host "evil\.example:2024" — the dev server answers only to this machine's loopback names/,
    );
    expect((await local.send("GET", { host: "[::1]:2024" })).status).toBe(200);
    expect((await local.send("GET", { host: "127.8.0.1" })).status).toBe(200);
    expect((await local.send("GET", { host: "localhost.evil.example" })).status).toBe(403);
    const remote = server(true);
    expect((await remote.send("GET", { host: "gpu-box.lan:2024" })).status).toBe(200);
    // opting in to remote callers does not open it to other sites
    expect(
      (
        await remote.send(
          "POST",
          { host: "gpu-box.lan:2024", origin: "https://evil.example", "content-type": "application/json" },
          RUN,
        )
      ).status,
    ).toBe(403);
  });

  it("takes the granted origins from langgraph.json, never a wildcard, and remote callers from the environment", () => {
    const json = JSON.stringify({ http: { cors: { allow_origins: ["https://smith.langchain.com", "*"] } } });
    expect(guardPolicy(json, {})).toEqual({ origins: ["https://smith.langchain.com"], allowRemote: false });
    expect(guardPolicy(json, { POLYGLOT_STUDIO_ALLOW_REMOTE: "1" }).allowRemote).toBe(true);
    expect(guardPolicy("{}", {})).toEqual({ origins: [], allowRemote: false });
  });
});
