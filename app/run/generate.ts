import type { DialogueContext } from "../../nodes/configuration.js";
import type { DialogueEvent } from "../../nodes/events.js";
import type { runDialogue } from "../../graphs/dialogue/graph.js";
import { runJob } from "./run-job.js";
import { loadBuiltinPersonas, type PersonaPool } from "../../lib/records/personas.js";
import { type DialogueRecord, parseDialogueRecord } from "../../lib/records/schema.js";
import { loadSpeechEvents } from "../../lib/speech-events.js";
import { type DialogueJob, planRun } from "../../lib/plan.js";
import type { RecordFile } from "./record-file.js";
import type { RateLimiter } from "./rate-limit.js";
import type { NodeSqliteSaver } from "./checkpoints.js";

export type { DialogueJob } from "../../lib/plan.js";

/**
 * The run's jobs: per language, speech events spread by quota and persona pairs without repeats (lib/plan.ts),
 * interleaved across languages. `personas` defaults to the built-in set.
 */
export function planJobs(options: {
  languages: readonly string[];
  n: number;
  seed: number;
  personas?: PersonaPool | null;
  speechEventId?: string | undefined;
  sessions?: number | undefined;
}): DialogueJob[] {
  return planRun({
    languages: options.languages,
    n: options.n,
    seed: options.seed,
    personas: options.personas ?? loadBuiltinPersonas(),
    events: loadSpeechEvents(),
    speechEventId: options.speechEventId,
    sessions: options.sessions,
  });
}

export interface GenerateOptions {
  jobs: readonly DialogueJob[];
  context: DialogueContext;
  /** dialogues in flight at once */
  concurrency?: number;
  /** where finished records go (ids already there are skipped) */
  file?: RecordFile;
  /**
   * where series keep their progress (one thread per job id): a series that stopped part-way resumes at the step it
   * reached; its thread is deleted once its record is in `file`
   */
  checkpointer?: NodeSqliteSaver;
  /** called with each finished record, after it is on disk */
  onRecord?: (record: DialogueRecord, job: DialogueJob) => void;
  /** stop taking new dialogues (the ones in flight finish) */
  signal?: AbortSignal;
  /** abandon the dialogues in flight: nothing of theirs is written */
  abortSignal?: AbortSignal;
  /** the run's last word on a finished record before it is written (near-duplicate rejection) */
  review?: (record: DialogueRecord, job: DialogueJob) => DialogueRecord;
  /** a worker took the job */
  onStart?: (job: DialogueJob) => void;
  /** a job in flight was abandoned (abortSignal) or failed */
  onAbandon?: (job: DialogueJob, error: unknown) => void;
  /** a dialogue to watch as it is written: its events go to the function returned (nodes/events.ts) */
  watch?: (job: DialogueJob) => ((event: DialogueEvent) => void) | undefined;
  /** the run's rate limiter (the in-process models are already wrapped in it; a pool of threads asks it per call) */
  limiter?: RateLimiter;
  /** per-dialogue invoke options: tracing callbacks, tags, metadata; a runId is the trace id the record keeps */
  invokeOptions?: (job: DialogueJob) => Parameters<typeof runDialogue>[2];
}

/** A dialogue failed for a reason that is not the model's answer (server down, bug): the run stopped. */
export class DialogueFailedError extends Error {
  override name = "DialogueFailedError";
  constructor(
    readonly job: DialogueJob,
    override readonly cause: unknown,
    readonly written: number,
  ) {
    super(`dialogue ${job.id} failed: ${cause instanceof Error ? cause.message.split("\n")[0] : String(cause)}`);
  }
}

const isAbort = (error: unknown) =>
  error instanceof Error && (error.name === "AbortError" || /abort/i.test(error.message));

/**
 * Writes the jobs' dialogues with a pool of `concurrency` workers. Each finished record is appended to the
 * file before it counts; jobs whose id is already in the file are skipped, so a rerun resumes.
 *
 * When one dialogue throws, the pool stops taking jobs, lets the others in flight finish (their records are
 * written), then throws a DialogueFailedError for the first failure. `signal` stops taking jobs too;
 * `abortSignal` also abandons the dialogues in flight, writing nothing of theirs.
 */
export async function generateDialogues(options: GenerateOptions): Promise<GenerateResult> {
  return runPool(options, (job, invoke, watch) => runJob(job, options.context, invoke, watch));
}

export interface GenerateResult {
  written: DialogueRecord[];
  skipped: number;
  abandoned: number;
}

/**
 * Runs one job for the pool: in this thread (runJob), or in a worker thread (app/run/worker-threads.ts). `slot` is
 * the pool worker's number, 0 … concurrency-1.
 */
export type JobRunner = (
  job: DialogueJob,
  invoke: Parameters<typeof runJob>[2],
  watch: ((event: DialogueEvent) => void) | undefined,
  slot: number,
) => Promise<{ record: DialogueRecord | null }>;

/** generateDialogues' pool, whoever runs each job (see generateDialogues for the contract). */
export async function runPool(options: GenerateOptions, runOne: JobRunner): Promise<GenerateResult> {
  const pending = options.jobs.filter((job) => !options.file?.done.has(job.id));
  const written: DialogueRecord[] = [];
  let next = 0;
  let abandoned = 0;
  let failure: DialogueFailedError | undefined;
  const stopped = () => failure !== undefined || options.signal?.aborted || options.abortSignal?.aborted;
  const worker = async (slot: number) => {
    while (next < pending.length && !stopped()) {
      const job = pending[next++]!;
      const invoke = options.invokeOptions?.(job) ?? {};
      const signal =
        options.abortSignal && invoke.signal
          ? AbortSignal.any([options.abortSignal, invoke.signal])
          : (options.abortSignal ?? invoke.signal);
      options.onStart?.(job);
      let record: DialogueRecord;
      try {
        const state = await runOne(
          job,
          {
            ...invoke,
            ...(signal ? { signal } : {}),
            ...(options.checkpointer ? { checkpointer: options.checkpointer } : {}),
          },
          options.watch?.(job),
          slot,
        );
        if (!state.record) throw new Error(`dialogue ${job.id} ended without a record`);
        // tracing: the runId is the root run's id, i.e. the trace id
        record = invoke.runId
          ? parseDialogueRecord({
              ...state.record,
              provenance: { ...state.record.provenance, trace_id: invoke.runId },
            })
          : state.record;
        if (options.review) record = options.review(record, job);
      } catch (error) {
        abandoned++;
        options.onAbandon?.(job, error);
        if (options.abortSignal?.aborted && isAbort(error)) continue;
        failure ??= new DialogueFailedError(job, error, 0);
        continue;
      }
      // the worker takes its next job while the record goes to disk (the appends are serialised by the file); the
      // record counts, and onRecord sees it, only once it is there
      const appended = (async () => {
        try {
          await options.file?.appendAsync(record);
          // the series is in the journal: its checkpoints are no longer needed
          if (options.checkpointer && job.sessions && job.sessions > 1) await options.checkpointer.deleteThread(job.id);
          written.push(record);
          options.onRecord?.(record, job);
        } catch (error) {
          failure ??= new DialogueFailedError(job, error, 0);
        }
      })();
      appending.add(appended);
      void appended.then(() => appending.delete(appended));
    }
  };
  const appending = new Set<Promise<void>>();
  const workers = Array.from({ length: Math.max(1, Math.min(options.concurrency ?? 1, pending.length)) }, (_, slot) =>
    worker(slot),
  );
  await Promise.all(workers);
  await Promise.all([...appending]);
  if (failure) throw new DialogueFailedError(failure.job, failure.cause, written.length);
  return { written, skipped: options.jobs.length - pending.length, abandoned };
}
