import { z } from "zod";
import { type DialogueConfig, DialogueConfigSchema } from "../../nodes/configuration.js";

/**
 * The step budget of one dialogue: the most graph steps (LangGraph supersteps; the graph runs one node per step)
 * the settings allow, in the worst case. It is the graph's recursion limit, so every loop in the graph ends by its
 * own budget (turn budget, retries, critique rounds, redrafts) before LangGraph's limit could stop it:
 *
 *   rewritePersonas, selectSpeechEvent, writeCommonGround                       3
 *   per critique round (maxCritiqueRounds + 1 of them; a repair may restart from turn 0):
 *     turn by turn: turnsMax turns × (maxTurnRetries + 1) attempts × speakerTurn (which checks its turn too)
 *     or whole dialogue: (maxTurnRetries + 1) drafts × (writeDialogue + checkDialogue)
 *     + critiqueDialogue                                                        1
 *   finalize                                                                    1
 *   LangGraph's last step, which finds no node left to run                      1
 */
export type StepBudgetSettings = Pick<DialogueConfig, "turnsMax" | "maxTurnRetries" | "maxCritiqueRounds">;

export function stepBudget(settings: StepBudgetSettings): number {
  const attempts = settings.maxTurnRetries + 1;
  const turnByTurn = settings.turnsMax * attempts;
  const wholeDialogue = attempts * 2;
  const rounds = settings.maxCritiqueRounds + 1;
  return 3 + rounds * (Math.max(turnByTurn, wholeDialogue) + 1) + 1 + 1;
}

/** The largest value a numeric setting's schema accepts. */
function schemaMax(schema: z.ZodTypeAny): number {
  let inner: z.ZodTypeAny = schema;
  while (inner instanceof z.ZodDefault || inner instanceof z.ZodOptional) inner = inner._def.innerType as z.ZodTypeAny;
  const max = inner instanceof z.ZodNumber ? inner.maxValue : null;
  if (max === null) throw new Error("a step-budget setting needs a maximum in DialogueConfigSchema");
  return max;
}

/** The budget of the largest settings the schema accepts: the graph's default recursion limit (graph.ts), so that no
 * run, whichever entry point starts it (LangGraph's dev server included), can reach LangGraph's limit. */
export const MAX_STEP_BUDGET = stepBudget({
  turnsMax: schemaMax(DialogueConfigSchema.shape.turnsMax),
  maxTurnRetries: schemaMax(DialogueConfigSchema.shape.maxTurnRetries),
  maxCritiqueRounds: schemaMax(DialogueConfigSchema.shape.maxCritiqueRounds),
});
