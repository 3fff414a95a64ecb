import { getEventListeners } from "node:events";
import { describe, expect, it } from "vitest";
import { generateDialogues } from "../../app/run/generate.js";
import { ScriptedChatModel, type ScriptedCall } from "../../testing/scripted-model.js";
import {
  ENGLISH_SOURCE_PERSONAS,
  SPANISH_ACCEPT,
  SPANISH_COMMON_GROUND,
  SPANISH_TURNS,
  spanishPersona,
  turnIndexOf,
} from "../../testing/spanish-script.js";
import { DialogueRecordSchema } from "../../lib/records/schema.js";
import { type DialogueConfig, DialogueConfigSchema, type DialogueContext } from "../../nodes/configuration.js";
import { graph, runDialogue } from "./graph.js";
import { MAX_STEP_BUDGET, stepBudget } from "./step-budget.js";

const ENGLISH = "Sorry, I think I will just answer in English because it is easier for me today, my friend.";
const REVISE = {
  ...SPANISH_ACCEPT,
  naturalness: 2,
  verdict: "revise",
  offending_turns: [0],
  feedback: "Suena a traducción.",
};

/**
 * The worst case the settings allow: every turn (or draft) fails its gates maxTurnRetries times before it passes,
 * and every critique but the last sends the dialogue back from turn 0. Spanish turns never close the conversation.
 */
function worstCase(settings: Pick<DialogueConfig, "maxTurnRetries" | "maxCritiqueRounds">, turns = SPANISH_TURNS) {
  const tries = new Map<number, number>();
  let drafts = 0;
  let critiques = 0;
  let personas = 0;
  const failsNow = (attempt: number) => attempt % (settings.maxTurnRetries + 1) < settings.maxTurnRetries;
  return new ScriptedChatModel(
    (call: ScriptedCall) => {
      switch (call.task) {
        case "persona":
          return spanishPersona(personas++ % 2 === 0 ? "Lucía" : "Marta");
        case "common_ground":
          return JSON.stringify(SPANISH_COMMON_GROUND);
        case "turn": {
          const index = turnIndexOf(
            call.messages.map((m) => ({ role: m.type === "system" ? "system" : "user", content: m.text })),
          );
          const attempt = tries.get(index) ?? 0;
          tries.set(index, attempt + 1);
          return JSON.stringify({
            utterance: failsNow(attempt) ? ENGLISH : turns[index % turns.length]!,
            ends_conversation: false,
          });
        }
        case "dialogue": {
          const texts = failsNow(drafts++) ? turns.slice(0, 6).map(() => ENGLISH) : turns.slice(0, 6);
          return JSON.stringify({
            turns: texts.map((utterance, i) => ({ speaker: i % 2 === 0 ? "A" : "B", utterance })),
          });
        }
        case "critique":
          return JSON.stringify(critiques++ < settings.maxCritiqueRounds ? REVISE : SPANISH_ACCEPT);
        default:
          throw new Error(`unexpected task ${call.task}`);
      }
    },
    { keepCalls: false },
  );
}

const input = {
  language: "es",
  seed: 7,
  index: 0,
  sourcePersonas: ENGLISH_SOURCE_PERSONAS,
  speechEventId: "catching_up",
};

async function run(context: DialogueContext, recursionLimit?: number) {
  const state = await runDialogue(input, context, recursionLimit ? { recursionLimit } : {});
  return { state, record: DialogueRecordSchema.parse(state.record) };
}

describe("the step budget", () => {
  it("is exactly the worst case of the turn-by-turn path: one step less and the run exceeds it", async () => {
    const settings = { turnsMin: 4, turnsMax: 4, maxTurnRetries: 2, maxCritiqueRounds: 2 };
    const budget = stepBudget(settings);
    const fits = await run({ chatModel: worstCase(settings), ...settings });
    expect(fits.record.status).toBe("accepted");
    expect(fits.record.turns).toHaveLength(4);
    const over = await run({ chatModel: worstCase(settings), ...settings }, budget - 1);
    expect(over.record.status).toBe("rejected");
    expect(over.record.rejection_reasons.map((r) => r.check)).toEqual(["step_budget"]);
  });

  it("is exactly the worst case of the whole-dialogue path (redrafts and critique rounds)", async () => {
    const settings = {
      promptVariant: "whole-dialogue",
      turnsMin: 6,
      turnsMax: 6,
      maxTurnRetries: 3,
      maxCritiqueRounds: 2,
    };
    const budget = 3 + 3 * ((3 + 1) * 2 + 1) + 1 + 1;
    // the turn-by-turn bound is the larger one; the whole-dialogue run fits in its own count of steps
    expect(stepBudget(settings)).toBeGreaterThanOrEqual(budget);
    expect((await run({ chatModel: worstCase(settings), ...settings }, budget)).record.rejection_reasons).toEqual([]);
    expect(
      (await run({ chatModel: worstCase(settings), ...settings }, budget - 1)).record.rejection_reasons[0]!.check,
    ).toBe("step_budget");
  });

  it("lets 14 turns with 10 retries a turn and 3 critique rounds (valid settings) end in a record, not a GraphRecursionError", async () => {
    const settings = { turnsMin: 14, turnsMax: 14, maxTurnRetries: 10, maxCritiqueRounds: 3 };
    expect(stepBudget(settings)).toBe(3 + 4 * (14 * 11 + 1) + 1 + 1);
    const { record } = await run({ chatModel: worstCase(settings), ...settings });
    expect(record.rejection_reasons).toEqual([]);
    expect(record.turns).toHaveLength(14);
  }, 180_000);

  it("covers every setting the schema accepts, and is the recursion limit of the graph every entry point runs", () => {
    const max = { turnsMax: 40, maxTurnRetries: 10, maxCritiqueRounds: 5 };
    expect(DialogueConfigSchema.safeParse({ ...max, turnsMin: 2 }).success).toBe(true);
    expect(DialogueConfigSchema.safeParse({ ...max, turnsMax: 41 }).success).toBe(false);
    expect(MAX_STEP_BUDGET).toBe(stepBudget(max));
    for (const turnsMax of [2, 14, 40])
      for (const maxTurnRetries of [0, 10])
        for (const maxCritiqueRounds of [0, 5]) {
          expect(stepBudget({ turnsMax, maxTurnRetries, maxCritiqueRounds })).toBeLessThanOrEqual(MAX_STEP_BUDGET);
        }
    // what LangGraph's dev server (Studio) runs: the compiled graph, with the budget bound
    expect(graph.config?.recursionLimit).toBe(MAX_STEP_BUDGET);
  });

  it("records what a run that exceeds its budget had written, and a batch goes on past it", async () => {
    const settings = { turnsMin: 6, turnsMax: 6, maxTurnRetries: 1, maxCritiqueRounds: 0 };
    const { record } = await run({ chatModel: worstCase(settings), ...settings }, 12);
    expect(record.status).toBe("rejected");
    expect(record.rejection_reasons[0]!.detail).toMatch(/ran out of its 12 graph steps/);
    expect(record.personas.map((p) => p.name)).toEqual(["Lucía", "Marta"]);
    expect(record.turns.length).toBeGreaterThan(0);
    expect(record.turns.length).toBeLessThan(6);
  });
});

describe("a batch's shared stop signal", () => {
  it("holds no abort listener per dialogue: no MaxListenersExceededWarning in a run of 12", async () => {
    const warnings: Error[] = [];
    const onWarning = (warning: Error) => warnings.push(warning);
    process.on("warning", onWarning);
    const stop = new AbortController();
    try {
      const jobs = Array.from({ length: 12 }, (_, i) => ({
        id: `es-7-${String(i).padStart(5, "0")}`,
        language: "es",
        seed: 7,
        index: i,
        sourcePersonas: ENGLISH_SOURCE_PERSONAS,
        speechEventId: "catching_up",
      }));
      const settings = { turnsMin: 2, turnsMax: 2, maxTurnRetries: 0, maxCritiqueRounds: 0 };
      const { written } = await generateDialogues({
        jobs,
        context: { chatModel: worstCase(settings), ...settings },
        abortSignal: stop.signal,
        concurrency: 2,
      });
      expect(written).toHaveLength(12);
      expect(getEventListeners(stop.signal, "abort")).toHaveLength(0);
      await new Promise((resolve) => setImmediate(resolve));
      expect(warnings.filter((w) => w.name === "MaxListenersExceededWarning")).toEqual([]);
    } finally {
      process.off("warning", onWarning);
    }
  });
});
