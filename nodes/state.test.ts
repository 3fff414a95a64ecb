import { END, START, StateGraph } from "@langchain/langgraph";
import { describe, expect, it } from "vitest";
import {
  stateAfter,
  appendReasons,
  type DialogueState,
  DialogueStateAnnotation,
  type DialogueUpdateWithResets,
  replace,
  sum,
} from "./state.js";
import { SeriesStateAnnotation, type SeriesUpdate } from "./series-state.js";

const reason = (check: string) => ({ check, detail: `${check} failed` });

/** Runs the updates one node after the other through a graph on the given state channels; returns the final state. */
async function throughGraph<S>(
  annotation: typeof DialogueStateAnnotation | typeof SeriesStateAnnotation,
  updates: object[],
  input: object,
): Promise<S> {
  const graph = new StateGraph(annotation as typeof DialogueStateAnnotation);
  let previous = START as string;
  updates.forEach((update, i) => {
    graph.addNode(`step${i}`, () => update as DialogueUpdateWithResets as never);
    graph.addEdge(previous as never, `step${i}` as never);
    previous = `step${i}`;
  });
  graph.addEdge(previous as never, END);
  return (await graph.compile().invoke(input)) as S;
}

describe("the dialogue state's running totals", () => {
  it("append rejection reasons in the order the nodes found them, and sum usage, attempts and critique rounds", async () => {
    const state = await throughGraph<DialogueState>(
      DialogueStateAnnotation,
      [
        { attempts: 2, usage: { input_tokens: 10, output_tokens: 3 } },
        { attempts: 1, usage: { input_tokens: 5, output_tokens: 7 }, critiqueRounds: 1, rejectionReasons: [] },
        { attempts: 3, critiqueRounds: 1, rejectionReasons: [reason("language"), reason("empty")] },
        { rejectionReasons: [reason("critique")] },
      ],
      { language: "es" },
    );
    expect(state.attempts).toBe(6);
    expect(state.usage).toEqual({ input_tokens: 15, output_tokens: 10 });
    expect(state.critiqueRounds).toBe(2);
    expect(state.rejectionReasons.map((r) => r.check)).toEqual(["language", "empty", "critique"]);
  });

  it("start from zero and nothing when no node adds to them", async () => {
    const state = await throughGraph<DialogueState>(DialogueStateAnnotation, [{ commonGround: "x" }], {
      language: "es",
    });
    expect(state).toMatchObject({
      attempts: 0,
      usage: { input_tokens: 0, output_tokens: 0 },
      critiqueRounds: 0,
      rejectionReasons: [],
    });
  });

  it("reset to the value of replace(…), and add up again from it", async () => {
    const state = await throughGraph<DialogueState>(
      DialogueStateAnnotation,
      [
        { attempts: 4, usage: { input_tokens: 9, output_tokens: 9 }, rejectionReasons: [reason("language")] },
        {
          attempts: replace(0),
          usage: replace({ input_tokens: 1, output_tokens: 0 }),
          rejectionReasons: replace([]),
        },
        { attempts: 2, usage: { input_tokens: 1, output_tokens: 1 }, rejectionReasons: [reason("critique")] },
      ],
      { language: "es" },
    );
    expect(state.attempts).toBe(2);
    expect(state.usage).toEqual({ input_tokens: 2, output_tokens: 1 });
    expect(state.rejectionReasons).toEqual([reason("critique")]);
  });

  it("leave the other keys to the last value written (a repair that cuts the turns back keeps only what it wrote)", async () => {
    const turn = (text: string) => ({ speaker: "A" as const, text });
    const state = await throughGraph<DialogueState>(
      DialogueStateAnnotation,
      [{ turns: [turn("a"), turn("b"), turn("c")], turnRetries: 2 }, { turns: [turn("a")] }, { turnRetries: 0 }],
      { language: "es" },
    );
    expect(state.turns).toEqual([turn("a")]);
    expect(state.turnRetries).toBe(0);
  });

  it("are applied outside the graph exactly as the graph's channels apply them", async () => {
    const updates: DialogueUpdateWithResets[] = [
      { attempts: 2, usage: { input_tokens: 3, output_tokens: 4 }, rejectionReasons: [reason("empty")] },
      { attempts: replace(1), turns: [{ speaker: "A", text: "hola" }], critiqueRounds: 1 },
      { rejectionReasons: [reason("step_budget")], usage: { input_tokens: 1, output_tokens: 1 } },
    ];
    const viaGraph = await throughGraph<DialogueState>(DialogueStateAnnotation, updates, { language: "es" });
    const start = await throughGraph<DialogueState>(DialogueStateAnnotation, [{}], { language: "es" });
    const outside = updates.reduce(stateAfter, start);
    expect(outside).toEqual(viaGraph);
    expect(outside.attempts).toBe(1);
    expect(outside.rejectionReasons.map((r) => r.check)).toEqual(["empty", "step_budget"]);
  });

  it("appendReasons and sum do not change what they are given", () => {
    const held = [reason("a")];
    expect(appendReasons(held, [reason("b")])).toEqual([reason("a"), reason("b")]);
    expect(held).toEqual([reason("a")]);
    expect(appendReasons(held, [])).toEqual(held);
    expect(sum(2, 3)).toBe(5);
  });
});

describe("the series state's running totals", () => {
  it("add up the memory node's usage, attempts and reasons across sessions, and reset with replace(…)", async () => {
    const updates: SeriesUpdate[] = [
      { attempts: 2, usage: { input_tokens: 10, output_tokens: 2 } },
      {
        attempts: 2,
        usage: { input_tokens: 10, output_tokens: 2 },
        rejectionReasons: [{ ...reason("language"), session: 2 }],
      },
    ];
    const state = await throughGraph<{ attempts: number; usage: unknown; rejectionReasons: unknown[] }>(
      SeriesStateAnnotation,
      updates,
      { language: "es" },
    );
    expect(state.attempts).toBe(4);
    expect(state.usage).toEqual({ input_tokens: 20, output_tokens: 4 });
    expect(state.rejectionReasons).toEqual([{ ...reason("language"), session: 2 }]);

    const reset = await throughGraph<{ attempts: number }>(
      SeriesStateAnnotation,
      [...updates, { attempts: replace(0) }],
      { language: "es" },
    );
    expect(reset.attempts).toBe(0);
  });
});
