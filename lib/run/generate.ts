import type { DialogueContext } from "../../graphs/dialogue/configuration.js";
import { runDialogue } from "../../graphs/dialogue/graph.js";
import { dialogueIdFor } from "../../nodes/rewrite-personas/index.js";
import { createRng, hashSeed } from "../random.js";
import { type PersonaPool, pickPersonaPair } from "../records/personas.js";
import type { DialogueRecord } from "../records/schema.js";
import type { RecordFile } from "./record-file.js";

/** One dialogue to write: everything that makes it reproducible. */
export interface DialogueJob {
  id: string;
  language: string;
  index: number;
  seed: number;
  sourcePersonas?: [string[], string[]];
  speechEventId?: string;
}

export function planJobs(options: {
  languages: readonly string[];
  n: number;
  seed: number;
  personas?: PersonaPool | null;
  speechEventId?: string | undefined;
}): DialogueJob[] {
  const jobs: DialogueJob[] = [];
  for (const language of options.languages) {
    for (let index = 0; index < options.n; index++) {
      const job: DialogueJob = { id: dialogueIdFor(language, options.seed, index), language, index, seed: options.seed };
      if (options.personas) job.sourcePersonas = pickPersonaPair(options.personas, createRng(hashSeed(options.seed, language, index, "personas")));
      if (options.speechEventId) job.speechEventId = options.speechEventId;
      jobs.push(job);
    }
  }
  return jobs;
}

export interface GenerateOptions {
  jobs: readonly DialogueJob[];
  context: DialogueContext;
  /** dialogues in flight at once */
  concurrency?: number;
  /** where finished records go (ids already there are skipped) */
  file?: RecordFile;
  /** called with each finished record, after it is on disk */
  onRecord?: (record: DialogueRecord, job: DialogueJob) => void;
  /** stop taking new dialogues (the ones in flight finish) */
  signal?: AbortSignal;
  /** per-dialogue invoke options: tracing callbacks, tags, metadata */
  invokeOptions?: (job: DialogueJob) => Parameters<typeof runDialogue>[2];
}

/**
 * Writes the jobs' dialogues with a pool of `concurrency` workers. Each finished record is appended to the
 * file before it counts; jobs whose id is already in the file are skipped, so a rerun resumes.
 */
export async function generateDialogues(options: GenerateOptions): Promise<{ written: DialogueRecord[]; skipped: number }> {
  const pending = options.jobs.filter((job) => !options.file?.done.has(job.id));
  const written: DialogueRecord[] = [];
  let next = 0;
  const worker = async () => {
    while (next < pending.length && !options.signal?.aborted) {
      const job = pending[next++]!;
      const input = {
        language: job.language,
        seed: job.seed,
        index: job.index,
        ...(job.sourcePersonas ? { sourcePersonas: job.sourcePersonas } : {}),
        ...(job.speechEventId ? { speechEventId: job.speechEventId } : {}),
      };
      const state = await runDialogue(input, options.context, options.invokeOptions?.(job) ?? {});
      const record = state.record;
      if (!record) throw new Error(`dialogue ${job.id} ended without a record`);
      options.file?.append(record);
      written.push(record);
      options.onRecord?.(record, job);
    }
  };
  const workers = Array.from({ length: Math.max(1, Math.min(options.concurrency ?? 1, pending.length)) }, worker);
  await Promise.all(workers);
  return { written, skipped: options.jobs.length - pending.length };
}
