import type { DialogueContext } from "../../graphs/dialogue/configuration.js";
import { type DialogueRunOptions, runDialogue } from "../../graphs/dialogue/graph.js";
import { runSeries } from "../../graphs/series/graph.js";
import type { DialogueRecord } from "../records/schema.js";
import type { DialogueJob } from "./plan.js";

/**
 * One planned job, whoever runs it (the local batch, a fleet worker): a single dialogue, or a multi-session series
 * when the job has `sessions`. Either way one record comes out.
 */
export async function runJob(job: DialogueJob, context: DialogueContext, options: DialogueRunOptions = {}): Promise<{ record: DialogueRecord | null }> {
  const input = {
    language: job.language,
    seed: job.seed,
    index: job.index,
    ...(job.sourcePersonas ? { sourcePersonas: job.sourcePersonas } : {}),
    ...(job.speechEventId ? { speechEventId: job.speechEventId } : {}),
  };
  if (job.sessions && job.sessions > 1) return runSeries({ ...input, sessions: job.sessions }, context, options);
  return runDialogue(input, context, options);
}
