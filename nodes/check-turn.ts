import { type RunnableConfig, RunnableLambda } from "@langchain/core/runnables";
import type { DialogueConfig } from "./configuration.js";
import type { CandidateTurn, DialogueState, DialogueUpdate } from "./state.js";
import { turnGateFailures } from "../lib/gates/index.js";
import { describeFailures } from "./shared.js";

/** What the turn check looks at: the utterance just written, the dialogue before it, and the settings it applies. */
export interface TurnCheckInput {
  candidate: CandidateTurn;
  language: string;
  turns: DialogueState["turns"];
  turnRetries: number;
  /** sessions the speakers had before this one (a later session of a series); 0 for a single dialogue */
  sessionsBefore?: number;
  settings: Pick<DialogueConfig, "turnsMin" | "maxTurnRetries" | "maxTurnChars">;
}

/**
 * The deterministic gates on the turn just written (the same gates `npm run audit` runs). A passing turn joins
 * the dialogue; a failing one is sent back with the gates' feedback until the per-turn retry budget is spent,
 * and then the dialogue is rejected with the gates' reasons. The candidate stays in the update, as the attempt
 * the verdict is about (the live view and Studio show what the speaker wrote, passed or not).
 */
export function checkTurn(input: TurnCheckInput): DialogueUpdate {
  const { candidate, settings } = input;
  const index = input.turns.length;
  const turn = { speaker: candidate.speaker, text: candidate.text };

  const failures: { check: string; turn: number; detail: string }[] = candidate.outputError
    ? [{ check: "structured_output", turn: index, detail: candidate.outputError }]
    : turnGateFailures([...input.turns, turn], index, {
        lang: input.language,
        maxTurnChars: settings.maxTurnChars,
        sessionsBefore: input.sessionsBefore ?? 0,
      });

  if (failures.length === 0) {
    const turns = [...input.turns, turn];
    return {
      turns,
      candidate,
      turnFeedback: null,
      turnRetries: 0,
      closed: candidate.endsConversation && turns.length >= settings.turnsMin,
    };
  }
  if (input.turnRetries < settings.maxTurnRetries) {
    return { candidate, turnFeedback: describeFailures(failures), turnRetries: input.turnRetries + 1 };
  }
  const reasons = failures.map((failure) => ({
    check: failure.check,
    detail: `${failure.detail} (after ${input.turnRetries + 1} attempts)`,
    turn: index,
  }));
  return {
    candidate,
    turnFeedback: null,
    rejectionReasons: reasons,
    failedAttempt: { stage: "turn", speaker: candidate.speaker, turn: index, text: candidate.raw ?? candidate.text },
  };
}

/**
 * The turn check as its own traced step of the speakerTurn node: a run named "checkTurn" under the node's run in
 * LangSmith and Studio, with the candidate and its context as inputs and the verdict as outputs. It is not a graph
 * node of its own, because a LangGraph step (task preparation, a checkpoint, config merging, a routing read of the
 * whole state) costs more than the gates themselves: one step per turn instead of two (`npm run bench -- batch`).
 */
export const checkTurnStep = RunnableLambda.from((input: TurnCheckInput) => checkTurn(input));
checkTurnStep.name = "checkTurn";

/**
 * Whether anything receives this run's callbacks: a LangSmith tracer (given, or added from the environment when the
 * graph's run began), LangGraph's stream handlers (Studio's and the live view's token stream), a test's handler.
 */
function observed(config: RunnableConfig): boolean {
  const callbacks = config.callbacks;
  if (!callbacks) return false;
  if (Array.isArray(callbacks)) return callbacks.length > 0;
  return callbacks.handlers.length > 0 || callbacks.inheritableHandlers.length > 0;
}

/**
 * The turn check of the speakerTurn node `config` belongs to: as the traced step checkTurnStep when anything
 * receives the run's callbacks, else as a plain call (a runnable's config and callback set-up per turn, for nobody
 * to see, is a tenth of a batch's orchestration cost: `npm run bench -- batch`). Same verdict either way.
 */
export async function checkTurnIn(config: RunnableConfig, input: TurnCheckInput): Promise<DialogueUpdate> {
  return observed(config) ? checkTurnStep.invoke(input, config) : checkTurn(input);
}
