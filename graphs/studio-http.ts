/**
 * The dev server's custom HTTP app (langgraph.json `http.app`): mounted before the LangGraph API routes, it lets
 * through only requests a cross-site web page cannot forge (lib/security/studio-guard.ts) and answers the rest
 * 403 / 415 with one line, before any run, thread or WebSocket exists.
 */
import { readFileSync } from "node:fs";
import { Hono } from "hono";
import { guardPolicy, studioRequestRefusal } from "../lib/security/studio-guard.js";

/** The guard as a Hono app for `policy` (read from langgraph.json and the environment when not given). */
export function studioHttpApp(
  policy = guardPolicy(readFileSync(new URL("../langgraph.json", import.meta.url), "utf8")),
): Hono {
  const app = new Hono();
  app.use(async (c, next) => {
    const refusal = studioRequestRefusal(c.req.raw, policy);
    if (refusal)
      return c.json(
        { error: refusal.status === 415 ? "UnsupportedMediaType" : "Forbidden", message: refusal.message },
        refusal.status,
      );
    await next();
  });
  return app;
}

export const app = studioHttpApp();
