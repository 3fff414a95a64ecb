import type { Runtime } from "@langchain/langgraph";
import { type DialogueContext, resolveConfig } from "./configuration.js";
import type { DialogueState, DialogueUpdate } from "./state.js";
import { checkTurn as runGates } from "../lib/gates/index.js";
import { describeFailures } from "./shared.js";

/**
 * The deterministic gates on the turn just written (the same gates `npm run audit` runs). A passing turn joins
 * the dialogue; a failing one is sent back with the gates' feedback until the per-turn retry budget is spent,
 * and then the dialogue is rejected with the gates' reasons.
 */
export async function checkTurn(state: DialogueState, runtime: Runtime<DialogueContext>): Promise<DialogueUpdate> {
  const config = resolveConfig(runtime?.context);
  const candidate = state.candidate;
  if (!candidate) throw new Error("checkTurn runs after speakerTurn wrote a candidate");
  const index = state.turns.length;
  const turn = { speaker: candidate.speaker, text: candidate.text };

  const failures: { check: string; turn: number; detail: string }[] = candidate.outputError
    ? [{ check: "structured_output", turn: index, detail: candidate.outputError }]
    : runGates([...state.turns, turn], index, { lang: state.language, maxTurnChars: config.maxTurnChars });

  if (failures.length === 0) {
    const turns = [...state.turns, turn];
    return {
      turns,
      candidate: null,
      turnFeedback: null,
      turnRetries: 0,
      closed: candidate.endsConversation && turns.length >= config.turnsMin,
    };
  }
  if (state.turnRetries < config.maxTurnRetries) {
    return { candidate: null, turnFeedback: describeFailures(failures), turnRetries: state.turnRetries + 1 };
  }
  const reasons = failures.map((failure) => ({
    check: failure.check,
    detail: `${failure.detail} (after ${state.turnRetries + 1} attempts)`,
    turn: index,
  }));
  return {
    candidate: null,
    turnFeedback: null,
    rejectionReasons: [...state.rejectionReasons, ...reasons],
    failedAttempt: { stage: "turn", speaker: candidate.speaker, turn: index, text: candidate.raw ?? candidate.text },
  };
}

/** Where the dialogue goes after a checked turn. */
export function routeAfterCheck(state: DialogueState): "retry" | "nextSpeaker" | "critique" | "reject" {
  if (state.rejectionReasons.length > 0) return "reject";
  if (state.turnFeedback !== null) return "retry";
  if (state.closed || state.turns.length >= state.targetTurns) return "critique";
  return "nextSpeaker";
}
