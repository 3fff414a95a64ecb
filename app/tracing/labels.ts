import type { DialogueConfig } from "../../nodes/configuration.js";
import { planDialogue } from "../../lib/plan.js";
import type { DialogueJob } from "../../lib/plan.js";

/** What a dialogue's trace is labelled with: metadata (every field) and tags (the ones worth filtering by). */
export interface TraceLabels {
  metadata: Record<string, string | number>;
  tags: string[];
}

/**
 * The labels of one dialogue's trace. The speech event is chosen inside the graph, by selectSpeechEvent's pure,
 * seeded plan; the same plan computed here names it upfront, so the trace carries it from its first run on
 * (and the test checks that it is the event the record names).
 */
export function dialogueTraceLabels(
  job: DialogueJob,
  run: { config: DialogueConfig; provider: string; model: string },
): TraceLabels {
  const speechEventId = planDialogue(job, run.config).speechEvent.id;
  const metadata = {
    dialogue_id: job.id,
    language: job.language,
    seed: job.seed,
    index: job.index,
    speech_event_id: speechEventId,
    prompt_variant: run.config.promptVariant,
    provider: run.provider,
    model: run.model,
  };
  const tags = [
    "polyglot-personachat",
    `lang:${job.language}`,
    `speech_event:${speechEventId}`,
    `variant:${run.config.promptVariant}`,
    `seed:${job.seed}`,
    `provider:${run.provider}`,
    `model:${run.model}`,
  ];
  return { metadata, tags };
}
