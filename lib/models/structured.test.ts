import { HumanMessage } from "@langchain/core/messages";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { ScriptedChatModel } from "../../testing/scripted-model.js";
import { extractJson, invokeStructured, responseFormatFor } from "./structured.js";

const Schema = z.object({ utterance: z.string().max(20), ends_conversation: z.boolean() });
const ask = (answer: string) =>
  invokeStructured(new ScriptedChatModel(() => answer), Schema, [new HumanMessage("hi")], { name: "turn" });

describe("structured output", () => {
  it("asks for the JSON schema in OpenAI's response_format shape", async () => {
    const format = responseFormatFor("turn", Schema);
    expect(format.type).toBe("json_schema");
    expect(format.json_schema.name).toBe("turn");
    expect(format.json_schema.schema).toMatchObject({
      type: "object",
      properties: { utterance: { type: "string", maxLength: 20 }, ends_conversation: { type: "boolean" } },
      required: ["utterance", "ends_conversation"],
    });
  });

  it("parses a valid answer and reports its usage", async () => {
    const result = await ask('{"utterance": "hola", "ends_conversation": true}');
    expect(result).toMatchObject({ ok: true, value: { utterance: "hola", ends_conversation: true } });
    expect(result.usage.output_tokens).toBeGreaterThan(0);
  });

  it("finds the JSON inside a fence or chatter", () => {
    expect(extractJson('Here you go:\n```json\n{"a": 1}\n```')).toEqual({ a: 1 });
    expect(extractJson('Sure! {"a": {"b": 2}} Hope it helps')).toEqual({ a: { b: 2 } });
    expect(() => extractJson("no json here")).toThrow();
  });

  it("turns garbage and schema violations into failed attempts with reasons", async () => {
    const garbage = await ask("I am sorry, I can't.");
    expect(garbage.ok).toBe(false);
    if (!garbage.ok) expect(garbage.reason).toMatch(/^not valid JSON/);
    const wrong = await ask('{"utterance": "this is far longer than twenty characters", "ends_conversation": "no"}');
    expect(wrong.ok).toBe(false);
    if (!wrong.ok)
      expect(wrong.reason).toMatch(
        /does not match the turn schema: utterance: .*; ends_conversation: Expected boolean/,
      );
  });
});
