import type { BaseChatModel } from "@langchain/core/language_models/chat_models";
import type { BaseMessage } from "@langchain/core/messages";
import { toJsonSchema } from "@langchain/core/utils/json_schema";
import type { z } from "zod";
import { formatZodError, type Usage } from "../records/schema.js";

/**
 * One structured LLM call. The JSON schema of `schema` goes to the model as its structured-output
 * request (OpenAI's `response_format` shape: the embedded engine turns it into a grammar, OpenAI-compatible
 * servers into guided decoding); the answer is then parsed and validated with zod, once, whatever the model
 * claims. A model that ignores the schema or writes garbage gives `{ ok: false, reason }` — a failed attempt
 * the caller records — never an exception. Transport errors (server down, 401) do throw: they are not the
 * model's answer.
 */

export type StructuredResult<T> =
  { ok: true; value: T; raw: string; usage: Usage } | { ok: false; reason: string; raw: string; usage: Usage };

export interface JsonSchemaResponseFormat {
  type: "json_schema";
  json_schema: { name: string; schema: Record<string, unknown>; strict: boolean };
}

const schemaCache = new WeakMap<z.ZodTypeAny, Record<string, unknown>>();

export function responseFormatFor(name: string, schema: z.ZodTypeAny): JsonSchemaResponseFormat {
  let json = schemaCache.get(schema);
  if (!json) {
    json = toJsonSchema(schema);
    schemaCache.set(schema, json);
  }
  return { type: "json_schema", json_schema: { name, schema: json, strict: true } };
}

export function usageOf(message: BaseMessage): Usage {
  const usage = (message as { usage_metadata?: { input_tokens?: number; output_tokens?: number } }).usage_metadata;
  return { input_tokens: usage?.input_tokens ?? 0, output_tokens: usage?.output_tokens ?? 0 };
}

export function textOf(message: BaseMessage): string {
  const content = message.content;
  if (typeof content === "string") return content;
  return content.map((part) => (typeof part === "string" ? part : "text" in part ? String(part.text) : "")).join("");
}

/**
 * A reasoning model's thinking before its answer (`<think>…</think>`, as served by vLLM, Ollama or OpenRouter
 * without a reasoning parser), removed; an unclosed block (cut off while thinking) leaves nothing.
 */
export function withoutThinking(text: string): string {
  const stripped = text.replace(/^\s*<think>[\s\S]*?<\/think>/, "");
  return /^\s*<think>/.test(stripped) ? "" : stripped;
}

/** The JSON object in a model's text: the whole text, or inside a ``` fence, or the outermost braces. */
export function extractJson(text: string): unknown {
  const trimmed = withoutThinking(text).trim();
  const fenced = /```(?:json)?\s*([\s\S]*?)```/.exec(trimmed);
  const candidates = [trimmed, fenced?.[1]?.trim(), trimmed.slice(trimmed.indexOf("{"), trimmed.lastIndexOf("}") + 1)];
  let firstError: unknown;
  for (const candidate of candidates) {
    if (!candidate) continue;
    try {
      return JSON.parse(candidate) as unknown;
    } catch (error) {
      firstError ??= error;
    }
  }
  throw firstError instanceof Error ? firstError : new SyntaxError("no JSON object in the answer");
}

function shorten(text: string): string {
  return text.length > 80 ? `${text.slice(0, 80)}…` : text;
}

/**
 * The answer stopped at the token limit: OpenAI-compatible and the engine "length", Anthropic "max_tokens", Ollama
 * done_reason "length".
 */
function cutOff(answer: BaseMessage): boolean {
  const meta = answer.response_metadata as Record<string, unknown>;
  return meta.finish_reason === "length" || meta.stop_reason === "max_tokens" || meta.done_reason === "length";
}

export async function invokeStructured<S extends z.ZodTypeAny>(
  model: BaseChatModel,
  schema: S,
  messages: BaseMessage[],
  options: { name: string; runName?: string },
): Promise<StructuredResult<z.infer<S>>> {
  const answer = await model.invoke(messages, {
    response_format: responseFormatFor(options.name, schema),
    runName: options.runName ?? options.name,
  } as Parameters<BaseChatModel["invoke"]>[1]);
  const raw = textOf(answer);
  const usage = usageOf(answer);
  const refusal = (answer.response_metadata as Record<string, unknown> | undefined)?.refusal;
  if (typeof refusal === "string")
    return { ok: false, reason: `the model refused: ${JSON.stringify(shorten(refusal))}`, raw, usage };
  const cut = cutOff(answer) ? " (cut off at the token limit)" : "";
  if (!withoutThinking(raw).trim()) return { ok: false, reason: `empty answer${cut}`, raw, usage };
  let parsed: unknown;
  try {
    parsed = extractJson(raw);
  } catch (error) {
    return {
      ok: false,
      reason: `not valid JSON${cut} (${(error as Error).message}): ${JSON.stringify(shorten(raw))}`,
      raw,
      usage,
    };
  }
  const result = schema.safeParse(parsed);
  if (!result.success)
    return {
      ok: false,
      reason: `does not match the ${options.name} schema: ${formatZodError(result.error)}`,
      raw,
      usage,
    };
  return { ok: true, value: result.data as z.infer<S>, raw, usage };
}
