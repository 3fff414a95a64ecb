// A scripted HTTP server on 127.0.0.1 (random port) that speaks the wire format of one provider — OpenAI chat
// completions, Anthropic messages, Ollama /api/chat — for tests of the remote providers. Never a stand-in for a
// real model in a user's run. Each request is recorded with its arrival time; a script decides each answer: a
// well-formed reply with some text, an HTTP error with headers, a reset connection, or no answer at all.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";

export type WireFormat = "openai" | "anthropic" | "ollama";

export interface FakeRequest {
  /** 1-based arrival order */
  n: number;
  at: number;
  method: string;
  path: string;
  headers: IncomingMessage["headers"];
  body: Record<string, unknown>;
}

export type FakeReply =
  /**
   * a well-formed answer whose text (or, for a forced Anthropic tool call, JSON input) is `text`. OpenAI only:
   * `finishReason` ("length": cut at max_tokens), `parts` (content as an array of text parts, as some servers
   * send it), `timings` (llama.cpp's per-request counters, beside `usage`)
   */
  | { text: string; finishReason?: "stop" | "length"; parts?: boolean; timings?: Record<string, number> }
  /** OpenAI: the model refused (structured outputs' `message.refusal`, content null) */
  | { refusal: string }
  | { status: number; headers?: Record<string, string>; body?: unknown }
  /** close the socket without answering */
  | { reset: true }
  /** never answer (the client's timeout must fire) */
  | { hang: true };

export type FakeScript = (request: FakeRequest) => FakeReply | Promise<FakeReply>;

export interface FakeServer {
  url: string;
  /** the base URL a client is given: …/v1 for OpenAI, the root for Anthropic and Ollama */
  baseUrl: string;
  requests: FakeRequest[];
  close(): Promise<void>;
}

/** The structured-output task a request asks for: the json_schema name, the forced tool, or "text". */
export function taskOf(request: FakeRequest): string {
  const body = request.body as {
    response_format?: { json_schema?: { name?: string } };
    tool_choice?: { name?: string };
    format?: unknown;
  };
  return body.response_format?.json_schema?.name ?? body.tool_choice?.name ?? (body.format ? "json" : "text");
}

/** The chat messages of a request, whatever the wire format (Anthropic's system prompt first, as a system message). */
export function messagesOf(request: FakeRequest): { role: string; content: string }[] {
  const body = request.body as { system?: unknown; messages?: { role: string; content: unknown }[] };
  const text = (content: unknown): string =>
    typeof content === "string"
      ? content
      : Array.isArray(content)
        ? content
            .map((part) =>
              typeof part === "object" && part && "text" in part ? String((part as { text: unknown }).text) : "",
            )
            .join("")
        : "";
  const messages = (body.messages ?? []).map((m) => ({ role: m.role, content: text(m.content) }));
  return body.system !== undefined ? [{ role: "system", content: text(body.system) }, ...messages] : messages;
}

type Answer = Extract<FakeReply, { text: string }> | Extract<FakeReply, { refusal: string }>;

function sendAnswer(format: WireFormat, request: FakeRequest, res: ServerResponse, answer: Answer): void {
  const text = "text" in answer ? answer.text : "";
  const model = typeof request.body.model === "string" ? request.body.model : "m";
  const promptTokens = Math.ceil(JSON.stringify(request.body.messages ?? "").length / 4);
  const outputTokens = Math.max(1, Math.ceil(text.length / 4));
  if (format === "openai") {
    const message =
      "refusal" in answer
        ? { role: "assistant", content: null, refusal: answer.refusal }
        : { role: "assistant", content: answer.parts ? [{ type: "text", text }] : text, refusal: null };
    res.writeHead(200, { "content-type": "application/json" });
    res.end(
      JSON.stringify({
        id: `chatcmpl-${request.n}`,
        object: "chat.completion",
        created: Math.floor(Date.now() / 1000),
        model,
        choices: [
          {
            index: 0,
            message,
            finish_reason: ("finishReason" in answer && answer.finishReason) || "stop",
            logprobs: null,
          },
        ],
        usage: {
          prompt_tokens: promptTokens,
          completion_tokens: outputTokens,
          total_tokens: promptTokens + outputTokens,
        },
        ...("timings" in answer && answer.timings ? { timings: answer.timings } : {}),
      }),
    );
    return;
  }
  if (format === "anthropic") {
    const tool = (request.body as { tool_choice?: { type?: string; name?: string } }).tool_choice;
    let content: unknown[] = [{ type: "text", text }];
    if (tool?.type === "tool" && tool.name) {
      let input: unknown;
      try {
        input = JSON.parse(text);
      } catch {
        input = { raw: text };
      }
      content = [{ type: "tool_use", id: `toolu_${request.n}`, name: tool.name, input }];
    }
    res.writeHead(200, { "content-type": "application/json" });
    res.end(
      JSON.stringify({
        id: `msg_${request.n}`,
        type: "message",
        role: "assistant",
        model,
        content,
        stop_reason: tool ? "tool_use" : "end_turn",
        stop_sequence: null,
        usage: { input_tokens: promptTokens, output_tokens: outputTokens },
      }),
    );
    return;
  }
  // ollama: NDJSON, the text in two chunks, then the closing line with the counts
  res.writeHead(200, { "content-type": "application/x-ndjson" });
  const created_at = new Date().toISOString();
  const half = Math.floor(text.length / 2);
  for (const piece of [text.slice(0, half), text.slice(half)]) {
    res.write(
      `${JSON.stringify({ model, created_at, message: { role: "assistant", content: piece }, done: false })}\n`,
    );
  }
  res.end(
    `${JSON.stringify({
      model,
      created_at,
      message: { role: "assistant", content: "" },
      done: true,
      done_reason: "stop",
      prompt_eval_count: promptTokens,
      eval_count: outputTokens,
    })}\n`,
  );
}

function sendError(
  format: WireFormat,
  res: ServerResponse,
  reply: { status: number; headers?: Record<string, string>; body?: unknown },
): void {
  const message = `fake ${reply.status}`;
  const body =
    reply.body ??
    (format === "anthropic"
      ? { type: "error", error: { type: "api_error", message } }
      : format === "ollama"
        ? { error: message }
        : { error: { message, type: "server_error", code: null } });
  res.writeHead(reply.status, { "content-type": "application/json", ...reply.headers });
  res.end(typeof body === "string" ? body : JSON.stringify(body));
}

const ROUTES: Record<WireFormat, string> = {
  openai: "/v1/chat/completions",
  anthropic: "/v1/messages",
  ollama: "/api/chat",
};

export async function startFakeLlmServer(format: WireFormat, script: FakeScript): Promise<FakeServer> {
  const requests: FakeRequest[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      void (async () => {
        let body: Record<string, unknown>;
        try {
          body = chunks.length ? (JSON.parse(Buffer.concat(chunks).toString("utf8")) as Record<string, unknown>) : {};
        } catch {
          body = {};
        }
        const request: FakeRequest = {
          n: requests.length + 1,
          at: Date.now(),
          method: req.method ?? "",
          path: (req.url ?? "").split("?")[0]!,
          headers: req.headers,
          body,
        };
        requests.push(request);
        if (request.path !== ROUTES[format]) {
          sendError(format, res, { status: 404, body: { error: { message: `no route ${request.path}` } } });
          return;
        }
        let reply: FakeReply;
        try {
          reply = await script(request);
        } catch (error) {
          reply = { status: 500, body: { error: { message: String(error) } } };
        }
        if ("reset" in reply) req.socket.destroy();
        else if ("hang" in reply) return;
        else if ("text" in reply || "refusal" in reply) sendAnswer(format, request, res, reply);
        else sendError(format, res, reply);
      })();
    });
  });
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    baseUrl: format === "openai" ? `${url}/v1` : url,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
