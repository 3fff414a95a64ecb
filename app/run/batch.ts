/**
 * A large run, start to end: the output file and its run log (resume, or refuse a different configuration),
 * the near-duplicate index rebuilt from disk, rate limits around the model, progress, Ctrl-C, and at the end
 * the summary, the exports and the dataset card — all computed from the records on disk.
 *
 *   Ctrl-C (SIGINT) or SIGTERM once: no new dialogues; the ones in flight finish and are written.
 *   Twice: the ones in flight are abandoned (nothing partial is written). A repeat within SIGNAL_REPEAT_MS is the
 *   same signal (npm forwards the terminal's Ctrl-C to a script that already received it: two SIGINTs).
 *   Either way the summary and exports are written, and the command to resume (the same one) is printed.
 *   SIGKILL at any moment: records on disk are whole lines; rerunning the same command continues.
 */
import { rmSync } from "node:fs";
import { inspect } from "node:util";
import { writeFileSafely } from "../../lib/security/safe-write.js";
import type { DialogueContext } from "../../nodes/configuration.js";
import { RetryNotices } from "../../lib/models/retry.js";
import type { DialogueRecord } from "../../lib/records/schema.js";
import { type ExportFormat, writeDataset } from "./export.js";
import { DialogueFailedError, type DialogueJob, type GenerateOptions, generateDialogues } from "./generate.js";
import { DEFAULT_JACCARD_THRESHOLD, NearDuplicateIndex } from "./near-duplicate.js";
import type { DialogueEvent } from "../../nodes/events.js";
import { LiveView } from "./live-view.js";
import { Progress } from "./progress.js";
import { limitChatModel, RateLimiter, type RateLimits } from "./rate-limit.js";
import { type JournalLock, lockJournal } from "./journal-lock.js";
import { NodeSqliteSaver, seriesCheckpointPath } from "./checkpoints.js";
import { RecordFile, RecordFileError, readRecords } from "./record-file.js";
import { configHash, type RunConfig, RunLog, siblingPath } from "./run-config.js";
import { formatDuration, formatSummaryTable, type Price, type RunSummary, SummaryBuilder } from "./summary.js";

export interface BatchOptions {
  jobs: readonly DialogueJob[];
  languages: readonly string[];
  /** the graph's context, with the chat model (and judge) injected */
  context: DialogueContext;
  concurrency: number;
  /** the JSONL journal; without it nothing is written and nothing resumes */
  out?: string | undefined;
  /** another run holds the journal: wait for it (default: refuse) */
  wait?: boolean;
  runConfig: RunConfig;
  limits?: RateLimits;
  price?: Price | null;
  /** the exports written next to the journal at the end (app/run/export.ts) */
  formats?: readonly ExportFormat[];
  acceptedOnly?: boolean;
  /** messages / personachat: rejected dialogues too */
  includeRejected?: boolean;
  /** messages: the common ground in the system message */
  commonGround?: boolean;
  /** train, [validation,] test shares of persona-disjoint splits */
  splits?: readonly number[] | null;
  nearDuplicateThreshold?: number;
  invokeOptions?: GenerateOptions["invokeOptions"];
  /** the models' retry notices (their onRetry): shown through the progress display while the run lasts */
  retries?: RetryNotices;
  /** what to print on stdout for a finished dialogue (null: nothing) */
  print?: (record: DialogueRecord) => string | null;
  /**
   * Show the dialogue as it is written (app/run/live-view.ts) in place of `print`, when one dialogue is in flight at
   * a time (concurrency 1, or one dialogue left to write). The caller decides whether its output is a terminal.
   */
  live?: boolean;
  /** the command line that resumes this run (printed on interruption, kept in the dataset card) */
  command: string;
  /** install SIGINT / SIGTERM handlers (default true) */
  handleSignals?: boolean;
  progress?: { tty?: boolean; stream?: NodeJS.WriteStream; out?: NodeJS.WriteStream };
  // fleet mode: the dialogues come from workers on a queue (app/fleet/coordinator.ts)
  /** writes the dialogues in place of generateDialogues (same options and contract) */
  generate?: (options: GenerateOptions, progress: Progress) => Promise<unknown>;
}

export interface BatchResult {
  status: "completed" | "interrupted";
  /** records written by this session */
  written: number;
  summary: RunSummary;
  /** files written at the end (summary, exports, card) */
  files: string[];
}

export { shellCommand } from "../../lib/records/format.js";

/** Two signals closer than this are one (see the top of this file). */
const SIGNAL_REPEAT_MS = 500;

export async function runBatch(options: BatchOptions): Promise<BatchResult> {
  const startedAt = Date.now();
  const threshold = options.nearDuplicateThreshold ?? DEFAULT_JACCARD_THRESHOLD;
  const summary = new SummaryBuilder();
  let file: RecordFile | undefined;
  let checkpointer: NodeSqliteSaver | undefined;
  let runLog: RunLog | undefined;
  let dedup = new NearDuplicateIndex(threshold);
  const notes: string[] = [];
  let existing: DialogueRecord[] = [];

  let lock: JournalLock | undefined;
  // the lock was lost while held (its directory removed, or not touched in time): stop writing at once
  const lost = new AbortController();
  if (options.out) {
    // one writer per journal: taken before the file is read or repaired, held until the exports are written
    const err = options.progress?.stream ?? process.stderr;
    lock = await lockJournal(options.out, {
      wait: options.wait ?? false,
      onWait: (message) => err.write(`${message}\n`),
      onCompromised: (error) => {
        err.write(`lost the lock on ${options.out} (${error.message}): stopping\n`);
        lost.abort();
      },
    });
    let opened: ReturnType<typeof RecordFile.open>;
    try {
      opened = RecordFile.open(options.out);
    } catch (error) {
      await lock.release();
      throw error;
    }
    file = opened.file;
    try {
      runLog = RunLog.open(options.out, options.runConfig, opened.records);
    } catch (error) {
      file.close();
      await lock.release();
      throw error;
    }
    if (lock.tookOver) notes.push(`${options.out}: took over the lock of a run that was killed`);
    notes.push(...opened.notes);
    existing = opened.records;
    summary.addAll(opened.records);
    dedup = NearDuplicateIndex.fromRecords(opened.records, threshold);
    const already = options.jobs.filter((job) => file!.done.has(job.id)).length;
    if (already > 0)
      notes.push(`${options.out}: ${already} of ${options.jobs.length} dialogues already written; resuming`);
    // series keep their progress beside the journal (LangGraph checkpoints, one thread per series), so a run killed
    // in the middle of one resumes it at the step it reached instead of writing its sessions again
    if (options.jobs.some((job) => (job.sessions ?? 1) > 1)) {
      const path = seriesCheckpointPath(options.out);
      try {
        checkpointer = new NodeSqliteSaver(path);
        // a series whose record made it to the journal before its checkpoints were deleted (killed in between)
        for (const id of checkpointer.threads()) if (file.done.has(id)) await checkpointer.deleteThread(id);
      } catch (error) {
        checkpointer?.close();
        file.close();
        await lock.release();
        throw new Error(`cannot open ${path}: ${(error as Error).message.split("\n")[0]}`, { cause: error });
      }
      const midway = checkpointer.threads().length;
      if (midway > 0) notes.push(`${path}: ${midway} series stopped part-way; each resumes where it stopped`);
    }
  }

  // progress starts from what the file holds for the planned jobs
  const planned: Record<string, number> = {};
  const initial: Record<string, { done: number; accepted: number; tokens: number }> = {};
  const plannedIds = new Set(options.jobs.map((job) => job.id));
  for (const job of options.jobs) planned[job.language] = (planned[job.language] ?? 0) + 1;
  {
    for (const record of existing) {
      if (!plannedIds.has(record.id)) continue;
      const entry = (initial[record.language] ??= { done: 0, accepted: 0, tokens: 0 });
      entry.done++;
      if (record.status === "accepted") entry.accepted++;
      entry.tokens += record.provenance.usage.input_tokens + record.provenance.usage.output_tokens;
    }
  }
  const progress = new Progress({ languages: options.languages, planned, initial, ...options.progress });
  for (const note of notes) progress.message(note);
  options.retries?.showWith((line) => progress.message(line));

  // rate limits around the injected models (one limiter: one provider per run)
  const limiter = new RateLimiter(options.limits ?? {});
  const context: DialogueContext = { ...options.context };
  if (limiter.active) {
    if (context.chatModel) limitChatModel(context.chatModel, limiter);
    if (context.judgeModel) limitChatModel(context.judgeModel, limiter);
  }

  // Ctrl-C: first stop taking jobs, then abandon the ones in flight
  const stop = new AbortController();
  const abandon = new AbortController();
  let lastSignal = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    if (Date.now() - lastSignal < SIGNAL_REPEAT_MS) return;
    lastSignal = Date.now();
    if (!stop.signal.aborted) {
      stop.abort();
      progress.message(
        `${signal}: no new dialogues; finishing the ${progress.inFlight} in flight (${signal === "SIGINT" ? "Ctrl-C" : signal} again to abandon them)`,
      );
    } else if (!abandon.signal.aborted) {
      abandon.abort();
      progress.message(`${signal}: abandoning the dialogues in flight (nothing partial is written)`);
    }
  };
  const handleSignals = options.handleSignals ?? true;
  if (handleSignals) {
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
  }

  // one dialogue in flight at a time: it may be shown as it is written
  const pending = options.jobs.filter((job) => !file?.done.has(job.id)).length;
  const live = options.live === true && !options.generate && Math.min(options.concurrency, pending) <= 1;
  const views = new Map<string, LiveView>();
  /** dialogues whose end was shown live (nothing more to print when their record is on disk) */
  const shown = new Set<string>();
  const watch = (job: DialogueJob) => {
    const view = new LiveView({ id: job.id, language: job.language });
    views.set(job.id, view);
    progress.write(view.start());
    return (event: DialogueEvent) => progress.write(view.render(event));
  };

  const stamp = configHash(options.runConfig);
  let written = 0;
  const saveLog = () => runLog?.update(written);
  const logTimer = setInterval(() => {
    saveLog();
    options.retries?.flush();
    if (limiter.active && limiter.waitedMs > 0)
      progress.note = `paced by --rpm/--tpm: ${formatDuration(limiter.waitedMs / 1000)} waited`;
  }, 5000);
  logTimer.unref();

  let failure: unknown;
  try {
    const generate = options.generate ?? generateDialogues;
    await generate(
      {
        jobs: options.jobs,
        context,
        concurrency: options.concurrency,
        ...(file ? { file } : {}),
        ...(limiter.active ? { limiter } : {}),
        ...(checkpointer ? { checkpointer } : {}),
        signal: AbortSignal.any([stop.signal, lost.signal]),
        abortSignal: AbortSignal.any([abandon.signal, lost.signal]),
        ...(options.invokeOptions ? { invokeOptions: options.invokeOptions } : {}),
        ...(live ? { watch } : {}),
        // every record says which configuration made it (a journal without its run log is checked against it)
        review: (record, job) => {
          const reviewed = dedup.review(record);
          // a dialogue shown as it was written ends with its status now, before the next one starts (its record goes
          // to disk while the next is written; a failed write stops the run and says so)
          const view = views.get(job.id);
          views.delete(job.id);
          if (view) {
            progress.write(view.end(reviewed));
            shown.add(job.id);
          }
          return { ...reviewed, provenance: { ...reviewed.provenance, run_config: stamp } };
        },
        onStart: () => progress.started(),
        onAbandon: (job) => {
          views.delete(job.id);
          progress.finished(null);
        },
        onRecord: (record, job) => {
          written++;
          summary.add(record);
          progress.finished(record);
          if (!shown.delete(job.id)) {
            const text = options.print?.(record);
            if (text) progress.log(text);
          }
        },
      },
      progress,
    );
  } catch (error) {
    failure = error;
  } finally {
    clearInterval(logTimer);
    options.retries?.flush(true);
    options.retries?.showWith(RetryNotices.toStderr);
    if (handleSignals) {
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
    }
    progress.stop();
    file?.close();
    closeCheckpoints(checkpointer);
  }

  const interrupted = stop.signal.aborted;
  if (lost.signal.aborted)
    failure ??= new Error(`lost the lock on ${options.out}: another process may be writing to it`);
  const status = failure ? "failed" : interrupted ? "interrupted" : "completed";
  let result: RunSummary;
  let files: string[];
  try {
    runLog?.update(written, status);
    result = summary.build({ price: options.price ?? null, wallMs: runLog?.wallMs ?? Date.now() - startedAt });
    files = options.out && !lost.signal.aborted ? writeOutputs(options, result) : [];
  } finally {
    await lock?.release();
  }
  const resume = `resume with the same command: ${options.command}`;

  if (failure) {
    // a file or queue that is not this run's (RecordFileError) fails the same way again: the user fixes it first
    const hint = failure instanceof RecordFileError ? "" : `, ${resume}`;
    const where = options.out ? `; ${result.total.dialogues} dialogues are in ${options.out}${hint}` : "";
    const message =
      failure instanceof DialogueFailedError
        ? failure.message
        : (failure instanceof Error ? failure.message : inspect(failure)).split("\n")[0];
    const error = new Error(`${message}${where}`);
    (error as Error & { cause?: unknown }).cause = failure;
    throw error;
  }
  const err = options.progress?.stream ?? process.stderr;
  err.write(`\n${formatSummaryTable(result)}\n`);
  if (files.length) err.write(`wrote ${files.join(", ")}\n`);
  if (interrupted)
    err.write(options.out ? `interrupted: ${written} dialogues written in this session; ${resume}\n` : "interrupted\n");
  return { status: interrupted ? "interrupted" : "completed", written, summary: result, files };
}

/** Closes the series' checkpoints; the file goes when no series is left part-way in it. */
function closeCheckpoints(checkpointer: NodeSqliteSaver | undefined): void {
  if (!checkpointer) return;
  const left = checkpointer.threads().length;
  checkpointer.close();
  if (left === 0) for (const suffix of ["", "-wal", "-shm"]) rmSync(`${checkpointer.path}${suffix}`, { force: true });
}

/** The summary, the export and the dataset card, from the records on disk. */
function writeOutputs(options: BatchOptions, summary: RunSummary): string[] {
  const out = options.out!;
  const files: string[] = [];
  const summaryPath = siblingPath(out, "summary.json");
  writeFileSafely(summaryPath, `${JSON.stringify({ ...summary, config: options.runConfig }, null, 2)}\n`);
  files.push(summaryPath);
  files.push(
    ...writeDataset({
      out,
      records: readRecords(out).records,
      formats: options.formats ?? ["jsonl"],
      acceptedOnly: options.acceptedOnly ?? false,
      includeRejected: options.includeRejected ?? false,
      commonGround: options.commonGround ?? false,
      splits: options.splits ?? null,
      seed: options.runConfig.seed,
      summary,
      config: options.runConfig,
      command: options.command,
    }),
  );
  return files;
}
