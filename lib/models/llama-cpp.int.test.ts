import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { AIMessage, HumanMessage, SystemMessage, ToolMessage } from "@langchain/core/messages";
import { toJsonSchema } from "@langchain/core/utils/json_schema";
import {
  ChatLlamaCppEngine,
  LlamaCppOptionsSchema,
  toLlamaChatHistory,
  type LlamaCppResponseFormat,
} from "./llama-cpp.js";
import { writeTinyGguf } from "./tiny-gguf.js";

// The real llama.cpp engine on a tiny random-weight GGUF. threads: 1 — on a busy 2-core box llama.cpp's
// spinning thread pool makes 2 threads 10–100× slower than 1 for a model this small.
const Reply = z.object({ text: z.string().max(200), ends_conversation: z.boolean() });
const replyFormat: LlamaCppResponseFormat = {
  type: "json_schema",
  json_schema: { name: "reply", schema: toJsonSchema(Reply) },
};
const persona = new SystemMessage("You are Ana, a cheerful baker from Valencia. Stay in character. ".repeat(4));

let dir: string;
let path: string;
let engine: ChatLlamaCppEngine;
const fileStart = performance.now();

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "llama-cpp-int-"));
  path = join(dir, "tiny.gguf");
  await writeTinyGguf(path, { seed: 42 });
  engine = new ChatLlamaCppEngine({ modelPath: path, threads: 1, maxTokens: 48, seed: 1 });
});

afterAll(async () => {
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- unset when beforeAll failed
  await engine?.dispose();
  rmSync(dir, { recursive: true, force: true });
  const seconds = (performance.now() - fileStart) / 1000;
  console.log(`[llama-cpp.int] whole file: ${seconds.toFixed(2)} s`);
});

describe("options and message conversion (no engine)", () => {
  it("applies defaults and rejects bad options", () => {
    expect(LlamaCppOptionsSchema.parse({ modelPath: "m.gguf" })).toEqual({
      modelPath: "m.gguf",
      contextSize: 4096,
      sequences: 4,
      temperature: 0.8,
      maxTokens: 512,
      gpu: false,
    });
    expect(() => new ChatLlamaCppEngine({ modelPath: "m.gguf", threads: 0 })).toThrow(/invalid option threads/);
    expect(() => new ChatLlamaCppEngine({ modelPath: "" })).toThrow(/modelPath/);
  });

  it("maps system/human/ai messages and rejects tool messages", () => {
    expect(toLlamaChatHistory([new SystemMessage("s"), new HumanMessage("h"), new AIMessage("a")])).toEqual([
      { type: "system", text: "s" },
      { type: "user", text: "h" },
      { type: "model", response: ["a"] },
    ]);
    expect(() => toLlamaChatHistory([new ToolMessage({ content: "x", tool_call_id: "1" })])).toThrow(
      /unsupported message type "tool"/,
    );
  });

  it("reports provider and model name to LangSmith without loading", () => {
    const e = new ChatLlamaCppEngine({ modelPath: "/x/qwen.gguf", threads: 1 });
    expect(e._llmType()).toBe("llama-cpp");
    expect(e.getLsParams({})).toMatchObject({
      ls_provider: "llama-cpp",
      ls_model_name: "qwen.gguf",
      ls_model_type: "chat",
    });
    expect(e._identifyingParams()).toMatchObject({ model_name: "qwen.gguf", threads: 1 });
    expect(e.loaded).toBe(false);
  });
});

describe("ChatLlamaCppEngine on the tiny GGUF", () => {
  it("loads lazily, once, with node-llama-cpp's ChatML wrapper", async () => {
    expect(engine.loaded).toBe(false);
    const t0 = performance.now();
    const [a, b] = await Promise.all([engine.load(), engine.load()]);
    console.log(
      `[llama-cpp.int] load (getLlama + loadModel + createContext): ${(performance.now() - t0).toFixed(0)} ms`,
    );
    expect(a).toBe(b);
    expect(a.chat.chatWrapper.wrapperName).toBe("ChatML");
    expect(a.context.contextSize).toBe(4096);
    expect(a.slots).toHaveLength(4);
  });

  it("plain invoke returns an AIMessage with string content, usage and metadata", async () => {
    const t0 = performance.now();
    const res = await engine.invoke([persona, new HumanMessage("Hola, ¿qué tal?")]);
    const ms = performance.now() - t0;
    expect(AIMessage.isInstance(res)).toBe(true);
    expect(typeof res.content).toBe("string");
    const usage = res.usage_metadata!;
    expect(usage.input_tokens).toBeGreaterThan(50);
    expect(usage.output_tokens).toBeGreaterThan(0);
    expect(usage.output_tokens).toBeLessThanOrEqual(48);
    expect(usage.total_tokens).toBe(usage.input_tokens + usage.output_tokens);
    expect(res.response_metadata).toMatchObject({ model: "tiny.gguf" });
    expect(["stop", "length"]).toContain(res.response_metadata.finish_reason);
    console.log(
      `[llama-cpp.int] plain: ${usage.output_tokens} tokens in ${ms.toFixed(0)} ms (${((usage.output_tokens / ms) * 1000).toFixed(0)} tok/s)`,
    );
  });

  it("response_format json_schema yields JSON that validates with the zod schema", async () => {
    const model = await engine.load();
    const t0 = performance.now();
    const res = await engine.invoke([persona, new HumanMessage("Reply with JSON.")], {
      response_format: replyFormat,
      maxTokens: 300,
    });
    const ms = performance.now() - t0;
    const parsed = Reply.safeParse(JSON.parse(res.content as string));
    expect(parsed.success, res.text).toBe(true);
    expect(res.response_metadata.finish_reason).toBe("stop");
    const usage = res.usage_metadata!;
    console.log(
      `[llama-cpp.int] json: ${usage.output_tokens} tokens in ${ms.toFixed(0)} ms (${((usage.output_tokens / ms) * 1000).toFixed(0)} tok/s)`,
    );
    // a second call reuses the loaded model (and the KV cache of the shared persona prefix) and the cached grammar
    const again = await engine.invoke([persona, new HumanMessage("Another one.")], {
      response_format: replyFormat,
      maxTokens: 300,
      seed: 2,
    });
    expect(Reply.safeParse(JSON.parse(again.content as string)).success, again.text).toBe(true);
    expect(await engine.load()).toBe(model);
    expect(again.usage_metadata?.input_token_details?.cache_read).toBeGreaterThan(50);
  });

  it("is deterministic for a given seed and honours per-call maxTokens", async () => {
    const msgs = [persona, new HumanMessage("Tell me about bread.")];
    const a = await engine.invoke(msgs, { seed: 7, maxTokens: 8, temperature: 1 });
    const b = await engine.invoke(msgs, { seed: 7, maxTokens: 8, temperature: 1 });
    expect(a.content).toBe(b.content);
    expect(a.usage_metadata!.output_tokens).toBeLessThanOrEqual(8);
  });

  it("serialises concurrent calls that share a prefix on one sequence; unrelated ones run on others", async () => {
    const results = await Promise.all(
      [1, 2, 3].map((seed) => engine.invoke([persona, new HumanMessage(`Question ${seed}`)], { seed, maxTokens: 16 })),
    );
    for (const r of results) expect(typeof r.content).toBe("string");
    // the three share the persona prefix: one sequence, evaluated once
    expect(new Set(results.map((r) => r.response_metadata.sequence)).size).toBe(1);
    expect(results.slice(1).every((r) => (r.usage_metadata?.input_token_details?.cache_read ?? 0) > 50)).toBe(true);
    const other = new SystemMessage("Eres Bruno, piloto de avión en Bilbao. Hablas poco. ".repeat(4));
    const [x, y] = await Promise.all([
      engine.invoke([persona, new HumanMessage("Question 4")], { maxTokens: 8 }),
      engine.invoke([other, new HumanMessage("Hola")], { maxTokens: 8 }),
    ]);
    expect(x.response_metadata.sequence).not.toBe(y.response_metadata.sequence);
  });

  it("keeps each speaker's sequence across turns: only the new tail of a growing prompt is evaluated", async () => {
    const a = new SystemMessage("Eres Lucía, enfermera en Valencia. Te gusta la salsa y cocinar paella. ".repeat(6));
    const b = new SystemMessage("Eres Marta, librera en Sevilla. Lees novelas de misterio cada noche. ".repeat(6));
    const turns: string[] = [];
    const speak = async (speaker: "A" | "B") => {
      const system = speaker === "A" ? a : b;
      // as the speaker-turn node lays it out: own turns as answers, the partner's as incoming messages
      const chat = turns.map((text, i) =>
        (i % 2 === 0) === (speaker === "A") ? new AIMessage(text) : new HumanMessage(text),
      );
      const messages = speaker === "A" ? [system, new HumanMessage("(Empiezas tú.)"), ...chat] : [system, ...chat];
      if (messages.at(-1) instanceof AIMessage || messages.length === 1) messages.push(new HumanMessage("(sigue)"));
      const res = await engine.invoke(messages, { maxTokens: 6, seed: turns.length });
      turns.push(`turno ${turns.length}: ${res.text.slice(0, 20)}`);
      return res;
    };
    const before = engine.stats();
    const results: Awaited<ReturnType<typeof speak>>[] = [];
    for (let i = 0; i < 8; i++) results.push(await speak(i % 2 === 0 ? "A" : "B"));
    const sequencesOf = (speaker: number) =>
      new Set(results.filter((_, i) => i % 2 === speaker).map((r) => r.response_metadata.sequence));
    expect(sequencesOf(0).size).toBe(1);
    expect(sequencesOf(1).size).toBe(1);
    expect([...sequencesOf(0)][0]).not.toBe([...sequencesOf(1)][0]);
    // from each speaker's second turn on, the system prompt and the earlier turns come from the KV cache
    for (const res of results.slice(2)) {
      const usage = res.usage_metadata!;
      expect(usage.input_token_details?.cache_read ?? 0).toBeGreaterThan(usage.input_tokens * 0.7);
    }
    const after = engine.stats();
    const evaluated = after.evaluatedPromptTokens - before.evaluatedPromptTokens;
    const prompts = after.promptTokens - before.promptTokens;
    console.log(`[llama-cpp.int] 8 turns: ${evaluated} of ${prompts} prompt tokens evaluated`);
    expect(evaluated).toBeLessThan(prompts * 0.4);
  });

  it("rejects an unsupported schema before generating, and honours an aborted signal", async () => {
    const bad: LlamaCppResponseFormat = {
      type: "json_schema",
      json_schema: { name: "bad", schema: toJsonSchema(z.object({ code: z.string().regex(/^x/) })) },
    };
    await expect(engine.invoke([new HumanMessage("hi")], { response_format: bad })).rejects.toThrow(/"pattern"/);
    const controller = new AbortController();
    controller.abort(new Error("stop it"));
    await expect(engine.invoke([new HumanMessage("hi")], { signal: controller.signal })).rejects.toThrow();
  });

  it("dispose frees the model; the engine reloads lazily afterwards", async () => {
    await engine.dispose();
    expect(engine.loaded).toBe(false);
    const res = await engine.invoke([new HumanMessage("Back again?")], { maxTokens: 4 });
    expect(typeof res.content).toBe("string");
    expect(engine.loaded).toBe(true);
  });
});

describe("ChatLlamaCppEngine on a tiny Qwen3-architecture GGUF (the default model's family)", () => {
  let qwen3: ChatLlamaCppEngine;
  beforeAll(async () => {
    const qwenPath = join(dir, "tiny-qwen3.gguf");
    await writeTinyGguf(qwenPath, { seed: 42, architecture: "qwen3" });
    qwen3 = new ChatLlamaCppEngine({ modelPath: qwenPath, threads: 1, maxTokens: 48, seed: 1, sequences: 1 });
  });
  afterAll(async () => {
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- unset when beforeAll failed
    await qwen3?.dispose();
  });

  it("writes in Qwen3's non-thinking format: an empty think block opens the answer, none without Qwen3", async () => {
    const { chat, model } = await qwen3.load();
    expect(model.fileInfo.metadata.general.architecture).toBe("qwen3");
    expect(chat.chatWrapper.wrapperName).toBe("Qwen");
    const messages = [persona, new HumanMessage("Reply with JSON.")];
    const prompt = model.detokenize(await qwen3.promptTokens(messages), true);
    expect(prompt.endsWith("<|im_start|>assistant\n<think>\n\n</think>\n\n")).toBe(true);
    // the llama-architecture tiny model (ChatML) gets no think block
    const { model: llamaModel } = await engine.load();
    expect(llamaModel.detokenize(await engine.promptTokens(messages), true)).not.toContain("<think>");
  });

  it("answers a json_schema request with the JSON alone, no reasoning before it", async () => {
    const res = await qwen3.invoke([persona, new HumanMessage("Reply with JSON.")], {
      response_format: replyFormat,
      maxTokens: 300,
    });
    expect(res.content as string).not.toContain("think>");
    expect(Reply.safeParse(JSON.parse(res.content as string)).success, res.text).toBe(true);
    expect(res.response_metadata.finish_reason).toBe("stop");
  });
});
