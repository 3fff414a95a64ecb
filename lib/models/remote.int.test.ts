import { HumanMessage, SystemMessage } from "@langchain/core/messages";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { ModelCallError, ModelConfigError } from "./errors.js";
import { createChatModel, loadProviders, modelLabel } from "./factory.js";
import { invokeStructured } from "./structured.js";
import { callSeed } from "../random.js";
import {
  type FakeReply,
  type FakeScript,
  type FakeServer,
  messagesOf,
  startFakeLlmServer,
  type WireFormat,
} from "../../testing/fake-llm-server.js";
import { freePort } from "../../testing/ports.js";

// The remote providers against local HTTP servers that speak each wire format (127.0.0.1, random port): what
// structured output looks like on the wire, and the failure policy — one line, no retry storm.

const Turn = z.object({ utterance: z.string().max(200), ends_conversation: z.boolean() });
const messages = [new SystemMessage("Eres Lucía."), new HumanMessage("¡Hola!")];
const GOOD = JSON.stringify({ utterance: "¡Hola! ¿Qué tal?", ends_conversation: false });
const env = { OPENAI_API_KEY: "sk-test", ANTHROPIC_API_KEY: "sk-ant-test" } as NodeJS.ProcessEnv;
const fast = { maxAttempts: 4 };

beforeAll(() => loadProviders("openai", "anthropic", "ollama"));

let servers: FakeServer[] = [];
afterEach(async () => {
  await Promise.all(servers.map((s) => s.close()));
  servers = [];
});

async function serve(format: WireFormat, script: FakeScript) {
  const server = await startFakeLlmServer(format, script);
  servers.push(server);
  return server;
}

function model(
  provider: "openai" | "anthropic" | "ollama",
  baseUrl: string,
  extra: { timeoutMs?: number; maxAttempts?: number } = {},
) {
  return createChatModel({ provider, model: "m", baseUrl, ...fast, ...extra }, env);
}

function ask(chat: ReturnType<typeof model>) {
  return invokeStructured(chat, Turn, messages, { name: "turn" });
}

/** The rejection of a call. */
async function failure(promise: Promise<unknown>): Promise<{ error: Error }> {
  try {
    await promise;
  } catch (error) {
    return { error: error as Error };
  }
  throw new Error("expected the call to fail");
}

function oneLine(error: Error) {
  expect(error.message.split("\n")).toHaveLength(1);
}

describe("OpenAI-compatible server (chat completions)", () => {
  it("sends our JSON schema as response_format and parses the answer; no Responses API, no SDK parse", async () => {
    const server = await serve("openai", () => ({ text: GOOD }));
    const chat = model("openai", server.baseUrl);
    const result = await ask(chat);
    expect(result).toMatchObject({ ok: true, value: { utterance: "¡Hola! ¿Qué tal?", ends_conversation: false } });
    expect(result.usage.input_tokens).toBeGreaterThan(0);
    expect(server.requests).toHaveLength(1);
    const [request] = server.requests;
    expect(request!.path).toBe("/v1/chat/completions");
    expect(request!.headers.authorization).toBe("Bearer sk-test");
    expect(request!.body).toMatchObject({
      model: "m",
      response_format: {
        type: "json_schema",
        json_schema: {
          name: "turn",
          strict: true,
          schema: { type: "object", required: ["utterance", "ends_conversation"] },
        },
      },
    });
    expect(
      (request!.body.response_format as { json_schema: { schema: Record<string, unknown> } }).json_schema.schema
        .$schema,
    ).toBeUndefined();
    expect(request!.body.stream).toBeFalsy();
    expect(modelLabel(chat)).toEqual({ provider: "openai", model: "m" });
  });

  it("an answer that ignores the schema is a failed attempt to record, not an exception", async () => {
    const server = await serve("openai", () => ({ text: "Lo siento, no sé escribir JSON." }));
    const result = await ask(model("openai", server.baseUrl));
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).toMatch(/not valid JSON/);
    expect(server.requests).toHaveLength(1);
  });

  it("401 fails at once with one line about authentication", async () => {
    const server = await serve("openai", () => ({
      status: 401,
      body: { error: { message: "Incorrect API key provided", type: "invalid_request_error" } },
    }));
    const { error } = await failure(ask(model("openai", server.baseUrl)));
    expect(error).toBeInstanceOf(ModelConfigError);
    expect(error.message).toBe(`authentication failed (401) at ${server.baseUrl}: check OPENAI_API_KEY`);
    oneLine(error);
    // at once: one request, no retry
    expect(server.requests).toHaveLength(1);
  });

  it("403 and an unknown model (404) fail at once, each saying which", async () => {
    const forbidden = await serve("openai", () => ({ status: 403 }));
    const denied = await failure(ask(model("openai", forbidden.baseUrl)));
    expect(denied.error).toBeInstanceOf(ModelConfigError);
    expect(denied.error.message).toMatch(
      /^access denied \(403\) at http:\/\/127\.0\.0\.1:\d+\/v1 for model "m": check OPENAI_API_KEY/,
    );
    expect(forbidden.requests).toHaveLength(1);

    const missing = await serve("openai", () => ({
      status: 404,
      body: { error: { message: "The model `m` does not exist", code: "model_not_found" } },
    }));
    const notFound = await failure(ask(model("openai", missing.baseUrl)));
    expect(notFound.error).toBeInstanceOf(ModelConfigError);
    expect(notFound.error.message).toMatch(
      /^model "m" not found at http:\/\/127\.0\.0\.1:\d+\/v1 \(404\): check --model and --base-url \(The model `m` does not exist\)$/,
    );
    oneLine(notFound.error);
    expect(missing.requests).toHaveLength(1);
  });

  it("a refused connection or an unknown host fails at once: cannot reach", async () => {
    const port = await freePort(); // nothing listens there
    const refused = await failure(ask(model("openai", `http://127.0.0.1:${port}/v1`)));
    expect(refused.error).toBeInstanceOf(ModelConfigError);
    expect(refused.error.message).toBe(
      `cannot reach http://127.0.0.1:${port}/v1 (ECONNREFUSED): is the server running? check --base-url`,
    );
    // .invalid never resolves (RFC 6761): a DNS failure without touching the network
    const dns = await failure(ask(model("openai", "http://no-such-server.invalid/v1")));
    expect(dns.error).toBeInstanceOf(ModelConfigError);
    expect(dns.error.message).toMatch(/^cannot reach http:\/\/no-such-server\.invalid\/v1 \((ENOTFOUND|EAI_AGAIN)\)/);
  });

  it("429 with Retry-After: 2 is retried no sooner than 2 s later", async () => {
    const server = await serve("openai", (request) =>
      request.n === 1 ? { status: 429, headers: { "retry-after": "2" } } : { text: GOOD },
    );
    const result = await ask(model("openai", server.baseUrl));
    expect(result.ok).toBe(true);
    expect(server.requests).toHaveLength(2);
    const gap = server.requests[1]!.at - server.requests[0]!.at;
    expect(gap).toBeGreaterThanOrEqual(2000);
  });

  it("a server that always answers 500 gets 4 attempts with growing waits, then one line", async () => {
    const server = await serve("openai", () => ({ status: 500, body: { error: { message: "boom" } } }));
    const { error } = await failure(ask(model("openai", server.baseUrl)));
    expect(error).toBeInstanceOf(ModelCallError);
    expect(error.message).toMatch(
      /^server error \(500\) at http:\/\/127\.0\.0\.1:\d+\/v1 \(boom\); gave up after 4 attempts in \d+\.\d s$/,
    );
    oneLine(error);
    expect(server.requests).toHaveLength(4);
    // backoff 1 s, 2 s, 4 s, each times a jitter in [0.5, 1]
    const gaps = server.requests.slice(1).map((r, i) => r.at - server.requests[i]!.at);
    expect(gaps[0]).toBeGreaterThanOrEqual(450);
    expect(gaps[1]).toBeGreaterThanOrEqual(950);
    expect(gaps[2]).toBeGreaterThanOrEqual(1950);
  });

  it("a reset connection and a timeout are retried", async () => {
    const resets = await serve("openai", (request) => (request.n === 1 ? { reset: true } : { text: GOOD }));
    expect((await ask(model("openai", resets.baseUrl))).ok).toBe(true);
    expect(resets.requests).toHaveLength(2);

    const slow = await serve("openai", (request) => (request.n === 1 ? { hang: true } : { text: GOOD }));
    expect((await ask(model("openai", slow.baseUrl, { timeoutMs: 300 }))).ok).toBe(true);
    expect(slow.requests).toHaveLength(2);

    const dead = await serve("openai", () => ({ hang: true }));
    const { error } = await failure(ask(model("openai", dead.baseUrl, { timeoutMs: 200, maxAttempts: 2 })));
    expect(error).toBeInstanceOf(ModelCallError);
    expect(error.message).toMatch(
      /^no answer from http:\/\/127\.0\.0\.1:\d+\/v1 in time \(timeout\); gave up after 2 attempts/,
    );
  });
});

describe("Anthropic messages", () => {
  it("structured output goes as one forced tool call whose input comes back as the JSON text", async () => {
    const server = await serve("anthropic", () => ({ text: GOOD }));
    const chat = model("anthropic", server.url);
    const result = await ask(chat);
    expect(result).toMatchObject({ ok: true, value: { utterance: "¡Hola! ¿Qué tal?" } });
    const [request] = server.requests;
    expect(request!.path).toBe("/v1/messages");
    expect(request!.headers["x-api-key"]).toBe("sk-ant-test");
    expect(request!.body).toMatchObject({
      model: "m",
      system: "Eres Lucía.",
      tool_choice: { type: "tool", name: "turn" },
      tools: [{ name: "turn", input_schema: { type: "object", required: ["utterance", "ends_conversation"] } }],
    });
    expect(modelLabel(chat)).toEqual({ provider: "anthropic", model: "m" });
  });

  it("401 fails at once naming ANTHROPIC_API_KEY; 529 (overloaded) is retried", async () => {
    const denied = await serve("anthropic", () => ({
      status: 401,
      body: { type: "error", error: { type: "authentication_error", message: "invalid x-api-key" } },
    }));
    const { error } = await failure(ask(model("anthropic", denied.url)));
    expect(error).toBeInstanceOf(ModelConfigError);
    expect(error.message).toBe(`authentication failed (401) at ${denied.url}: check ANTHROPIC_API_KEY`);
    expect(denied.requests).toHaveLength(1);

    const busy = await serve("anthropic", (request) =>
      request.n === 1 ? { status: 529, headers: { "retry-after": "0" } } : { text: GOOD },
    );
    expect((await ask(model("anthropic", busy.url))).ok).toBe(true);
    expect(busy.requests).toHaveLength(2);
  });

  it("refuses to start without ANTHROPIC_API_KEY", () => {
    expect(() => createChatModel({ provider: "anthropic", model: "m" }, {})).toThrow(ModelConfigError);
    expect(() => createChatModel({ provider: "anthropic", model: "m" }, {})).toThrow(/ANTHROPIC_API_KEY is not set/);
  });
});

describe("Ollama /api/chat", () => {
  it("structured output goes as `format` (the JSON schema); the streamed answer is put together", async () => {
    const server = await serve("ollama", () => ({ text: GOOD }));
    const chat = model("ollama", server.url);
    const result = await ask(chat);
    expect(result).toMatchObject({ ok: true, value: { utterance: "¡Hola! ¿Qué tal?" } });
    const [request] = server.requests;
    expect(request!.body).toMatchObject({
      model: "m",
      format: { type: "object", required: ["utterance", "ends_conversation"] },
    });
    expect(result.usage.output_tokens).toBeGreaterThan(0);
    expect(modelLabel(chat)).toEqual({ provider: "ollama", model: "m" });
  });

  it("an unknown model fails at once with one line; a 503 is retried", async () => {
    const missing = await serve("ollama", () => ({
      status: 404,
      body: { error: "model 'm' not found, try pulling it first" },
    }));
    const { error } = await failure(ask(model("ollama", missing.url)));
    expect(error).toBeInstanceOf(ModelConfigError);
    expect(error.message).toBe(
      `model "m" not found at ${missing.url} (404): check --model and --base-url (model 'm' not found, try pulling it first)`,
    );
    expect(missing.requests).toHaveLength(1);

    const busy = await serve("ollama", (request) =>
      request.n === 1 ? { status: 503, body: { error: "server busy" } } : { text: GOOD },
    );
    expect((await ask(model("ollama", busy.url))).ok).toBe(true);
    expect(busy.requests).toHaveLength(2);
  });
});

describe("a call's own output budget (withConfig({ maxTokens }), as the whole-dialogue draft asks for)", () => {
  const limitOf: Record<WireFormat, (body: Record<string, unknown>) => unknown> = {
    openai: (body) => body.max_tokens,
    anthropic: (body) => body.max_tokens,
    ollama: (body) => (body.options as { num_predict?: unknown } | undefined)?.num_predict,
  };
  for (const format of ["openai", "anthropic", "ollama"] as const) {
    it(`reaches ${format}'s request; other calls keep the model's default`, async () => {
      const server = await serve(format, () => ({ text: GOOD }));
      const chat = model(format, server.baseUrl);
      const budgeted = chat.withConfig({ maxTokens: 3100 } as Record<string, unknown>) as unknown as typeof chat;
      await invokeStructured(budgeted, Turn, messages, { name: "turn" });
      await ask(chat);
      expect(server.requests.map((request) => limitOf[format](request.body))).toEqual([3100, 2048]);
    });
  }
});

// What real servers answer that a well-behaved stand-in does not; each reproduced here as the server sends it.
describe("what real servers do", () => {
  const chatWith = (baseUrl: string, notices: string[] = [], extra: { maxAttempts?: number } = {}) =>
    createChatModel(
      { provider: "openai", model: "m", baseUrl, ...fast, ...extra, onNotice: (line) => notices.push(line) },
      env,
    );

  it("JSON in a ```json fence, or after a <think> block (braces inside it included), is the answer", async () => {
    const server = await serve("openai", (request) =>
      request.n === 1
        ? { text: `\`\`\`json\n${GOOD}\n\`\`\`` }
        : { text: `<think>\nThe user greets me {in Spanish}; answer as {"utterance": …}.\n</think>\n\n${GOOD}` },
    );
    const chat = chatWith(server.baseUrl);
    expect(await ask(chat)).toMatchObject({ ok: true, value: { utterance: "¡Hola! ¿Qué tal?" } });
    expect(await ask(chat)).toMatchObject({ ok: true, value: { utterance: "¡Hola! ¿Qué tal?" } });
  });

  it("a <think> block cut off by the token limit, an empty answer, a cut JSON and a refusal are failed attempts that say which", async () => {
    const replies: FakeReply[] = [
      { text: "<think>Let me think about what Lucía would say", finishReason: "length" },
      { text: "" },
      { text: '{"utterance": "¡Hola! ¿Qué', finishReason: "length" },
      { refusal: "I'm sorry, but I can't help with that." },
    ];
    const server = await serve("openai", (request) => replies[request.n - 1]!);
    const chat = chatWith(server.baseUrl);
    const reasons: string[] = [];
    for (const _ of replies) {
      const result = await ask(chat);
      expect(result.ok).toBe(false);
      if (!result.ok) reasons.push(result.reason);
    }
    expect(reasons[0]).toBe("empty answer (cut off at the token limit)");
    expect(reasons[1]).toBe("empty answer");
    expect(reasons[2]).toMatch(/^not valid JSON \(cut off at the token limit\) \(/);
    expect(reasons[3]).toBe(`the model refused: "I'm sorry, but I can't help with that."`);
    expect(server.requests).toHaveLength(4); // an answer is never retried as if the server had failed
  });

  it("a llama.cpp server (known by the timings of its answers) is sent cache_prompt from then on; others never are", async () => {
    const timings = { prompt_n: 12, cache_n: 30, predicted_n: 9 };
    const llamaCpp = await serve("openai", () => ({ text: GOOD, timings }));
    const other = await serve("openai", () => ({ text: GOOD }));
    for (const server of [llamaCpp, other]) {
      const chat = chatWith(server.baseUrl);
      const first = await chat.invoke(messages);
      await chat.invoke(messages);
      await ask(chat);
      if (server === llamaCpp) expect(first.response_metadata.timings).toEqual(timings);
      else expect(first.response_metadata.timings).toBeUndefined();
    }
    expect(llamaCpp.requests.map((r) => r.body.cache_prompt)).toEqual([undefined, true, true]);
    expect(other.requests.map((r) => "cache_prompt" in r.body)).toEqual([false, false, false]);
  });

  it("each call sends a seed made from the run's seed and its messages; none without a run seed", async () => {
    const server = await serve("openai", () => ({ text: GOOD }));
    const seeded = (seed: number) =>
      createChatModel({ provider: "openai", model: "m", baseUrl: server.baseUrl, seed }, env);
    const other = [new SystemMessage("Eres Lucía."), new HumanMessage("¿Qué tal?")];
    await seeded(7).invoke(messages);
    await seeded(7).invoke(messages);
    await seeded(7).invoke(other);
    await seeded(8).invoke(messages);
    await chatWith(server.baseUrl).invoke(messages);
    const seeds = server.requests.map((r) => r.body.seed);
    expect(seeds[0]).toBe(
      callSeed(
        7,
        messages.map((m) => [m.type, m.content]),
      ),
    );
    expect(seeds[1]).toBe(seeds[0]);
    expect(new Set(seeds.slice(1, 4)).size).toBe(3);
    expect(seeds[4]).toBeUndefined();
  });

  it("content as an array of text parts is read as its text", async () => {
    const server = await serve("openai", () => ({ text: GOOD, parts: true }));
    expect(await ask(chatWith(server.baseUrl))).toMatchObject({
      ok: true,
      value: { utterance: "¡Hola! ¿Qué tal?", ends_conversation: false },
    });
  });

  it("a 400 on response_format json_schema falls back to json_object, then to the schema in the prompt, each said once", async () => {
    // as LM Studio and older vLLM builds answer an OpenAI-style json_schema request
    const refuse = (type: string) => ({
      status: 400,
      body: {
        error: {
          message: `'response_format.type' must be 'text', not '${type}'`,
          type: "invalid_request_error",
          param: "response_format",
          code: null,
        },
      },
    });
    const schemaOnly = await serve("openai", (request) => {
      const format = (request.body.response_format as { type?: string } | undefined)?.type;
      return format === "json_schema" ? refuse(format) : { text: GOOD };
    });
    const notices: string[] = [];
    const chat = chatWith(schemaOnly.baseUrl, notices);
    await Promise.all([ask(chat), ask(chat)]).then((results) => results.forEach((r) => expect(r.ok).toBe(true)));
    expect(await ask(chat)).toMatchObject({ ok: true });
    expect(notices).toHaveLength(1);
    expect(notices[0]).toMatch(
      /^note: http:\/\/127\.0\.0\.1:\d+\/v1 refused response_format json_schema \(400: 'response_format\.type' must be 'text', not 'json_schema'\); asking for json_object/,
    );
    const formats = schemaOnly.requests.map((r) => (r.body.response_format as { type?: string } | undefined)?.type);
    expect(formats.filter((f) => f === "json_schema")).toHaveLength(2); // the two concurrent first calls
    expect(formats.slice(2)).toEqual(["json_object", "json_object", "json_object"]);
    const last = messagesOf(schemaOnly.requests.at(-1)!).at(-1)!;
    expect(last.content).toMatch(
      /^¡Hola!\n\nAnswer with one JSON object, and nothing else, that matches this JSON schema:\n\{"type":"object"/,
    );

    const plain = await serve("openai", (request) => {
      const format = (request.body.response_format as { type?: string } | undefined)?.type;
      return format ? refuse(format) : { text: `Claro: ${GOOD}` };
    });
    const plainNotices: string[] = [];
    const plainChat = chatWith(plain.baseUrl, plainNotices);
    expect(await ask(plainChat)).toMatchObject({ ok: true });
    expect(await ask(plainChat)).toMatchObject({ ok: true });
    expect(plainNotices).toHaveLength(2);
    expect(plainNotices[1]).toMatch(
      /refused response_format json_object too \(400: .*\); the schema goes in the prompt only/,
    );
    expect(
      plain.requests.map((r) => (r.body.response_format as { type?: string } | undefined)?.type ?? "none"),
    ).toEqual(["json_schema", "json_object", "none", "none"]);
  });

  it("a 400 about something else is not a format refusal: one line, no fallback", async () => {
    const server = await serve("openai", () => ({
      status: 400,
      body: {
        error: {
          message: "the request exceeds the available context size (4096 tokens)",
          type: "invalid_request_error",
        },
      },
    }));
    const notices: string[] = [];
    const { error } = await failure(ask(chatWith(server.baseUrl, notices)));
    expect(error).toBeInstanceOf(ModelCallError);
    oneLine(error);
    expect(error.message).toMatch(/^request refused \(400\) by .*exceeds the available context size/);
    expect(notices).toEqual([]);
    expect(server.requests).toHaveLength(1);
  });

  it("Anthropic's 529 overloaded_error (no Retry-After) is waited out, and said in one line when it lasts", async () => {
    const overloaded = {
      status: 529,
      body: { type: "error", error: { type: "overloaded_error", message: "Overloaded" } },
    };
    const busy = await serve("anthropic", (request) => (request.n <= 2 ? overloaded : { text: GOOD }));
    expect((await ask(model("anthropic", busy.url))).ok).toBe(true);
    expect(busy.requests).toHaveLength(3);

    const down = await serve("anthropic", () => overloaded);
    const { error } = await failure(ask(model("anthropic", down.url, { maxAttempts: 2 })));
    expect(error).toBeInstanceOf(ModelCallError);
    expect(error.message).toMatch(
      /^server error \(529\) at http:\/\/127\.0\.0\.1:\d+ \(Overloaded\); gave up after 2 attempts in \d+\.\d s$/,
    );
  });
});
