import { getInputTypeSchema } from "@langchain/langgraph/zod/schema";
import { describe, expect, it } from "vitest";
import { ScriptedChatModel } from "../../testing/scripted-model.js";
import { graph, runDialogue } from "./graph.js";

// The graph's input schema is what LangGraph Studio shows as the input form: the request, nothing else.
describe("the graph's input", () => {
  const garbage = () => new ScriptedChatModel(() => "not json");

  it("is the request only, with the speech events as choices", () => {
    const schema = getInputTypeSchema(graph) as { properties: Record<string, { enum?: string[] }> };
    // history: set by the series graph for a later session (optional; a single dialogue has none)
    expect(Object.keys(schema.properties).sort()).toEqual([
      "history",
      "index",
      "language",
      "seed",
      "sourcePersonas",
      "speechEventId",
    ]);
    expect(schema.properties.speechEventId!.enum).toContain("catching_up");
  });

  it("needs only the language: seed and index take their defaults", async () => {
    const state = await runDialogue({ language: "es" }, { chatModel: garbage(), maxStructuredRetries: 0 });
    expect(state.record?.id).toBe("es-1-00000");
    expect(state.record?.provenance.seed).toBe(1);
  });

  it("refuses an unknown speech event before any node runs", async () => {
    const model = garbage();
    await expect(runDialogue({ language: "es", speechEventId: "duel" }, { chatModel: model })).rejects.toThrow(
      /speechEventId/,
    );
    expect(model.calls).toHaveLength(0);
  });
});
