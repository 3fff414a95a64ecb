import { randomBytes, timingSafeEqual } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { z } from "zod";
import { formatZodError } from "../../lib/records/schema.js";
import { reviewPage } from "./page.js";
import type { ReviewStore } from "./store.js";
import { AnnotatorNameSchema, annotatorOrder, RatingInputSchema, type ReviewItem } from "./study.js";

/**
 * The review's web server (node:http, no framework: four routes).
 *
 *   GET  /                         the page
 *   POST /api/signin   {name}      → the annotator's progress and where to resume
 *   GET  /api/item?annotator&index → one dialogue of their order (blind: no variant, model, status, critique)
 *   POST /api/rating   {annotator, index, rating} → saved; where to go next
 *
 * Safe by default: bound to loopback; on any other interface an access token is required and every request
 * carries it (`?token=` for the page, `Authorization: Bearer` for the API). POSTs must be `application/json`
 * (a cross-site form or `text/plain` post is refused before it is read), no CORS header is ever sent, bodies are
 * bounded and validated with zod, and on loopback the Host header must name loopback (no DNS rebinding).
 */

export const MAX_BODY_BYTES = 16 * 1024;

export interface ReviewServerOptions {
  items: readonly ReviewItem[];
  store: ReviewStore;
  seed: number;
  /** required on every request when set */
  token?: string | undefined;
  /** the server listens on loopback only: requests must name a loopback Host */
  loopback: boolean;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const SignInSchema = z.object({ name: AnnotatorNameSchema }).strict();
const RatingRequestSchema = z
  .object({ annotator: AnnotatorNameSchema, index: z.number().int().nonnegative(), rating: RatingInputSchema })
  .strict();
const ItemQuerySchema = z.object({ annotator: AnnotatorNameSchema, index: z.coerce.number().int().nonnegative() });

function parse<T>(schema: z.ZodType<T, z.ZodTypeDef, unknown>, value: unknown): T {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new HttpError(400, formatZodError(parsed.error, 1));
  return parsed.data;
}

async function readJson(request: IncomingMessage): Promise<unknown> {
  const type = (request.headers["content-type"] ?? "").split(";")[0]!.trim().toLowerCase();
  if (type !== "application/json") throw new HttpError(415, "send JSON (Content-Type: application/json)");
  const declared = Number(request.headers["content-length"] ?? 0);
  if (declared > MAX_BODY_BYTES) throw new HttpError(413, `a request body is at most ${MAX_BODY_BYTES} bytes`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new HttpError(413, `a request body is at most ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk as Buffer);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString("utf8"));
  } catch {
    throw new HttpError(400, "the body is not JSON");
  }
}

function sameToken(given: string | null | undefined, expected: string): boolean {
  if (!given) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

const LOOPBACK_HOST = /^(localhost|127\.\d+\.\d+\.\d+|\[::1\])(:\d+)?$/i;

export function createReviewServer(options: ReviewServerOptions): Server {
  const { items, store, seed, token } = options;
  const orders = new Map<string, ReviewItem[]>();
  const orderOf = (annotator: string) => {
    let order = orders.get(annotator);
    if (!order) {
      order = annotatorOrder(items, seed, annotator);
      orders.set(annotator, order);
    }
    return order;
  };
  /** The first unrated position from `from` on (wrapping), or `from` when every dialogue is rated. */
  const nextUnrated = (order: readonly ReviewItem[], rated: ReadonlyMap<string, unknown>, from: number) => {
    for (let step = 0; step < order.length; step++) {
      const i = (from + step) % order.length;
      if (!rated.has(order[i]!.key)) return i;
    }
    return Math.min(from, order.length - 1);
  };

  const routes = async (request: IncomingMessage, url: URL, response: ServerResponse): Promise<void> => {
    if (request.method === "GET" && url.pathname === "/") {
      const nonce = randomBytes(16).toString("base64");
      response.writeHead(200, {
        "Content-Type": "text/html; charset=utf-8",
        "Content-Security-Policy": `default-src 'none'; script-src 'nonce-${nonce}'; style-src 'nonce-${nonce}'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`,
        "Referrer-Policy": "no-referrer",
      });
      response.end(reviewPage(nonce));
      return;
    }
    if (request.method === "POST" && url.pathname === "/api/signin") {
      const { name } = parse(SignInSchema, await readJson(request));
      store.signIn(name);
      const order = orderOf(name);
      const rated = store.ratingsOf(name);
      const done = order.filter((i) => rated.has(i.key)).length;
      json(response, 200, { annotator: name, total: order.length, done, next: nextUnrated(order, rated, 0) });
      return;
    }
    if (request.method === "GET" && url.pathname === "/api/item") {
      const query = parse(ItemQuerySchema, Object.fromEntries(url.searchParams));
      const order = orderOf(query.annotator);
      const item = order[query.index];
      if (!item) throw new HttpError(404, `there are ${order.length} dialogues (index 0 to ${order.length - 1})`);
      const rated = store.ratingsOf(query.annotator);
      const rating = rated.get(item.key);
      const done = order.filter((i) => rated.has(i.key)).length;
      json(response, 200, { index: query.index, total: order.length, done, view: item.view, rating: rating ?? null });
      return;
    }
    if (request.method === "POST" && url.pathname === "/api/rating") {
      const body = parse(RatingRequestSchema, await readJson(request));
      const order = orderOf(body.annotator);
      const item = order[body.index];
      if (!item) throw new HttpError(404, `there are ${order.length} dialogues (index 0 to ${order.length - 1})`);
      const outOfRange = body.rating.wrong_turns.find((t) => t >= item.view.turns.length);
      if (outOfRange !== undefined)
        throw new HttpError(
          400,
          `rating.wrong_turns: turn ${outOfRange} does not exist (the dialogue has ${item.view.turns.length})`,
        );
      store.signIn(body.annotator);
      store.save(body.annotator, item.key, body.rating);
      const rated = store.ratingsOf(body.annotator);
      const done = order.filter((i) => rated.has(i.key)).length;
      json(response, 200, {
        saved: true,
        done,
        total: order.length,
        next: nextUnrated(order, rated, (body.index + 1) % order.length),
      });
      return;
    }
    throw new HttpError(
      request.method === "GET" || request.method === "POST" ? 404 : 405,
      `no ${request.method} ${url.pathname}`,
    );
  };

  return createServer((request, response) => {
    const url = new URL(request.url ?? "/", "http://review.invalid");
    void (async () => {
      try {
        if (options.loopback && !LOOPBACK_HOST.test(request.headers.host ?? ""))
          throw new HttpError(421, "this server answers only to localhost");
        if (token) {
          const header = request.headers.authorization;
          const given = header?.startsWith("Bearer ")
            ? header.slice(7)
            : url.pathname === "/"
              ? url.searchParams.get("token")
              : null;
          if (!sameToken(given, token))
            throw new HttpError(401, "this review needs its access token (open the link the organiser gave you)");
        }
        await routes(request, url, response);
      } catch (error) {
        const status = error instanceof HttpError ? error.status : 500;
        const message =
          error instanceof HttpError ? error.message : "the server failed to answer; nothing was lost, try again";
        if (!(error instanceof HttpError))
          console.error(`review: ${String((error as Partial<Error>).message).split("\n")[0]}`);
        if (!response.headersSent) json(response, status, { error: message });
        else response.end();
      }
    })();
  });
}

function json(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { "Content-Type": "application/json; charset=utf-8", "Cache-Control": "no-store" });
  response.end(JSON.stringify(body));
}
