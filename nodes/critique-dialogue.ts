import type { Runtime } from "@langchain/langgraph";
import { type DialogueContext, resolveRuntime } from "./configuration.js";
import type { DialogueState, DialogueUpdate } from "./state.js";
import { emitDialogueEvent } from "./events.js";
import { attemptStructured } from "../lib/models/attempts.js";
import { loadPromptSet } from "../lib/prompts/loader.js";
import { type Critique, CritiqueSchema, type SeriesCritique, SeriesCritiqueSchema } from "../lib/records/schema.js";
import { critiqueHistory } from "./series-render.js";
import { bothSpeakersSlots, promptMessages } from "./shared.js";

/** Lowest score on any axis that still lets a dialogue pass, whatever the verdict says. */
export const MIN_PASSING_SCORE = 3;

export function critiquePasses(critique: Critique | SeriesCritique): boolean {
  return (
    critique.verdict === "accept" &&
    Math.min(...critiqueScores(critique)) >= MIN_PASSING_SCORE &&
    !forgetsHistory(critique)
  );
}

function critiqueScores(critique: Critique | SeriesCritique): number[] {
  return [critique.persona_faithfulness, critique.speech_event_fit, critique.naturalness];
}

/** A later session of a series contradicts or forgets what was said before (the judge's memory_consistency score). */
export function forgetsHistory(critique: Critique | SeriesCritique): boolean {
  return "memory_consistency" in critique && critique.memory_consistency < MIN_PASSING_SCORE;
}

/** Why a critique does not pass, when the reviewer gave no feedback: the verdict, and each score below the bar. */
export function critiqueShortfall(critique: Critique): string {
  const low = (["persona_faithfulness", "speech_event_fit", "naturalness"] as const)
    .filter((axis) => critique[axis] < MIN_PASSING_SCORE)
    .map((axis) => `${axis} ${critique[axis]}`);
  return [
    ...(critique.verdict === "accept" ? [] : [`verdict "${critique.verdict}"`]),
    ...(low.length ? [`below ${MIN_PASSING_SCORE}: ${low.join(", ")}`] : []),
  ].join("; ");
}

/** Where a repair starts: the earliest offending turn that exists, or the whole dialogue when none is named. */
export function repairStart(critique: Critique, turnCount: number): number {
  const named = critique.offending_turns.filter((turn) => turn < turnCount);
  return named.length ? Math.min(...named) : 0;
}

/**
 * The judge model reviews the whole dialogue (zod-typed verdict). A failed review, while the critique budget
 * lasts, cuts the dialogue back to its earliest offending turn and hands the feedback to the speakers, who
 * write the rest again; when the budget is spent the dialogue is rejected with the reviewer's feedback.
 */
export async function critiqueDialogue(
  state: DialogueState,
  runtime: Runtime<DialogueContext>,
): Promise<DialogueUpdate> {
  const { config, judgeModel } = resolveRuntime(runtime);
  const prompts = loadPromptSet(config.promptVariant);
  const prompt = prompts.get("critique");
  const speakers = bothSpeakersSlots(state, prompts.manifest, "critiqueDialogue");
  const nameOf = { A: speakers.name_a!, B: speakers.name_b! };
  const slots = {
    ...speakers,
    transcript: state.turns.map((turn, i) => `[${i}] ${nameOf[turn.speaker]}: ${turn.text}`).join("\n"),
  };
  // a later session of a series is also judged against the speakers' memory of the earlier ones
  const schema = state.history ? SeriesCritiqueSchema : CritiqueSchema;
  const result = await attemptStructured<typeof schema>({
    model: judgeModel,
    schema,
    name: "critique",
    maxRetries: config.maxStructuredRetries,
    onRetry: (reason, attempt) => emitDialogueEvent(runtime, { event: "retry", stage: "critique", attempt, reason }),
    messages: promptMessages(prompt, slots, critiqueHistory(state.history)),
  });
  // what these calls spent: the graph adds it to the dialogue's totals (state.ts)
  const spent = { usage: result.usage, attempts: result.attempts };
  if (!result.ok) {
    return {
      ...spent,
      rejectionReasons: [{ check: result.check, detail: `critique: ${result.reason}` }],
      failedAttempt: { stage: "critique", text: result.raw },
    };
  }
  const verdict = result.value;
  if (critiquePasses(verdict)) return { ...spent, critique: verdict, repairFeedback: null };
  if (state.critiqueRounds < config.maxCritiqueRounds) {
    return {
      ...spent,
      critique: verdict,
      critiqueRounds: 1, // one more round (the graph adds it up)
      repairFeedback: verdict.feedback,
      turns: state.turns.slice(0, repairStart(verdict, state.turns.length)),
      closed: false,
    };
  }
  const start = repairStart(verdict, state.turns.length);
  return {
    ...spent,
    critique: verdict,
    rejectionReasons: [
      {
        check: forgetsHistory(verdict) ? "memory" : "critique",
        detail: verdict.feedback || critiqueShortfall(verdict),
        turn: start,
      },
    ],
  };
}
