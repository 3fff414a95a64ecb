import type { DialogueContext } from "../../nodes/configuration.js";
import type { DialogueEvent } from "../../nodes/events.js";
import { type DialogueRunOptions, runDialogue } from "../../graphs/dialogue/graph.js";
import { runSeries, type SeriesRunOptions } from "../../graphs/series/graph.js";
import type { DialogueRecord } from "../../lib/records/schema.js";
import type { DialogueJob } from "../../lib/plan.js";

/**
 * One planned job, whoever runs it (the local batch, a fleet worker): a single dialogue, or a multi-session series
 * when the job has `sessions`. Either way one record comes out. `watch` sees a single dialogue as it is written
 * (nodes/events.ts), a series session after session. With a checkpointer a
 * series keeps its progress under the job's id as thread, so a run that stopped in the middle resumes it there.
 */
export async function runJob(
  job: DialogueJob,
  context: DialogueContext,
  options: DialogueRunOptions & Pick<SeriesRunOptions, "checkpointer"> = {},
  watch?: (event: DialogueEvent) => void,
): Promise<{ record: DialogueRecord | null }> {
  const { checkpointer, ...rest } = options;
  const input = {
    language: job.language,
    seed: job.seed,
    index: job.index,
    ...(job.sourcePersonas ? { sourcePersonas: job.sourcePersonas } : {}),
    ...(job.speechEventId ? { speechEventId: job.speechEventId } : {}),
  };
  if (job.sessions && job.sessions > 1)
    return runSeries(
      { ...input, sessions: job.sessions },
      context,
      {
        ...rest,
        ...(checkpointer ? { checkpointer, threadId: job.id } : {}),
      },
      watch,
    );
  return runDialogue(input, context, rest, watch);
}
