import type { Runtime } from "@langchain/langgraph";
import { type DialogueContext, resolveConfig } from "./configuration.js";
import type { DialogueState, DialogueUpdate } from "./state.js";
import { dialogueGateFailures } from "../lib/gates/index.js";
import { describeFailures } from "./shared.js";
import { sessionsBefore } from "./series-history.js";

/**
 * The deterministic gates on a whole draft (the whole-dialogue path): the same gates the turn check runs turn by turn,
 * over every turn at once (lib/gates dialogueGateFailures). A failing draft is sent back to writeDialogue with the failures, each
 * naming its turn, until maxTurnRetries is spent; then the dialogue is rejected with the gates' reasons.
 */
export async function checkDialogue(state: DialogueState, runtime: Runtime<DialogueContext>): Promise<DialogueUpdate> {
  const config = resolveConfig(runtime.context);
  const failures = dialogueGateFailures(state.turns, {
    lang: state.language,
    maxTurnChars: config.maxTurnChars,
    sessionsBefore: sessionsBefore(state.history),
  });
  // the record format has speaker A open (the turn-by-turn path always does; a draft may not)
  if (state.turns[0]?.speaker === "B")
    failures.unshift({
      check: "alternation",
      turn: 0,
      detail: "speaker B opens the dialogue; speaker A writes the first message",
    });
  if (failures.length === 0) return { turnFeedback: null, turnRetries: 0 };
  if (state.turnRetries < config.maxTurnRetries) {
    const feedback = describeFailures(
      failures.map((f) => ({ check: f.check, detail: `message ${f.turn + 1}: ${f.detail}` })),
    );
    return { turnFeedback: feedback, turnRetries: state.turnRetries + 1 };
  }
  const reasons = failures.map((failure) => ({
    check: failure.check,
    detail: `${failure.detail} (after ${state.turnRetries + 1} drafts)`,
    turn: failure.turn,
  }));
  return { turnFeedback: null, rejectionReasons: reasons };
}
