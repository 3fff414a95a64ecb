/**
 * The coordinator's side of a fleet run: instead of writing the dialogues itself, it enqueues one BullMQ job per
 * dialogue not yet in the journal (jobId = dialogue id: enqueueing twice does nothing) and collects the records
 * the workers return, handing each to the same review / journal / progress as a local run (app/run/batch.ts
 * calls this in place of generateDialogues). Completed jobs stay in Redis (KEEP_COMPLETED_SECONDS), so a
 * coordinator killed meanwhile collects them on the rerun, which enqueues only what is missing.
 *
 * Collection polls the outstanding jobs (getJob in chunks) every `pollMs`: simple, survives a coordinator
 * restart without any event replay, and costs one round trip per chunk of 200 outstanding jobs.
 * Redis lost mid-collection: the coordinator reopens the queue for up to `redisGraceMs`, then stops with one line.
 */
import { type Job, Queue } from "bullmq";
import type { DialogueConfig } from "../../nodes/configuration.js";
import { type DialogueRecord, parseDialogueRecord } from "../../lib/records/schema.js";
import { DialogueFailedError, type GenerateOptions } from "../run/generate.js";
import type { DialogueJob } from "../../lib/plan.js";
import type { Progress } from "../run/progress.js";
import { contentHash, type RunConfig } from "../run/run-config.js";
import {
  FleetConfigError,
  FleetError,
  type FleetJobData,
  type FleetJobResult,
  type GenerationSettings,
  generationSettings,
  KEEP_COMPLETED_SECONDS,
  lostRedis,
  parseQueueUrl,
  type QueueTarget,
  withRedisTimeout,
} from "./fleet.js";

export interface CoordinatorOptions {
  target: QueueTarget;
  settings: GenerationSettings;
  configHash: string;
  promptHash: string;
  limits: FleetJobData["limits"];
  /** attempts per job (a worker's model failure is retried on any worker with backoff) */
  attempts?: number;
  pollMs?: number;
  /** how long collection waits for a lost Redis to come back before it stops (default 20 s, as a worker) */
  redisGraceMs?: number;
}

const CHUNK = 200;

/**
 * What a job returned: BullMQ types it as the worker's result, but it is null until the job completes, and it is
 * whatever the worker that took it wrote into Redis (another version, another program).
 */
function returned(job: Job<FleetJobData, FleetJobResult>): Partial<FleetJobResult> | null {
  const value = job.returnvalue as Partial<FleetJobResult> | null | undefined;
  return value === undefined ? null : value;
}

/** Per-worker throughput over this session, for the progress line and the final note. */
export class WorkerStats {
  private readonly workers = new Map<string, { count: number; first: number; last: number }>();
  constructor(private readonly startedAt = Date.now()) {}
  add(name: string, at = Date.now()): void {
    const entry = this.workers.get(name) ?? { count: 0, first: at, last: at };
    entry.count++;
    entry.last = at;
    this.workers.set(name, entry);
  }
  /** `name 3.2/min (n)` per worker, busiest first */
  line(now = Date.now()): string {
    const minutes = Math.max(1e-9, (now - this.startedAt) / 60_000);
    return [...this.workers]
      .sort((a, b) => b[1].count - a[1].count)
      .map(([name, w]) => `${name} ${(w.count / minutes).toFixed(1)}/min (${w.count})`)
      .join(", ");
  }
  get size(): number {
    return this.workers.size;
  }
}

/** Resolves after `ms`, or at once when `signal` aborts. */
const pause = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (signal?.aborted) {
      resolve();
      return;
    }
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });

/** Opens the queue and checks Redis answers (bounded: a FleetError within seconds otherwise). */
export async function openQueue(target: QueueTarget, attempts = 3): Promise<Queue<FleetJobData, FleetJobResult>> {
  const queue = new Queue<FleetJobData, FleetJobResult>(target.queueName, {
    connection: target.connection,
    defaultJobOptions: {
      attempts,
      backoff: { type: "exponential", delay: 5000 },
      removeOnComplete: { age: KEEP_COMPLETED_SECONDS },
      removeOnFail: { age: KEEP_COMPLETED_SECONDS },
    },
  });
  queue.on("error", () => undefined); // connection errors surface through the commands (bounded retries)
  try {
    await withRedisTimeout(
      queue.waitUntilReady().then(async (client) => client.ping()),
      target,
    );
  } catch (error) {
    await queue.close().catch(() => undefined);
    throw error;
  }
  return queue;
}

/** The generate step of a fleet run (BatchOptions.generate). */
export function fleetGenerator(options: CoordinatorOptions) {
  return async (
    run: GenerateOptions,
    progress?: Progress,
  ): Promise<{ written: DialogueRecord[]; skipped: number; abandoned: number }> => {
    const { target } = options;
    const attempts = options.attempts ?? 3;
    const pollMs = options.pollMs ?? 500;
    const redisGraceMs = options.redisGraceMs ?? 20_000;
    let queue = await openQueue(target, attempts);
    const stats = new WorkerStats();
    const sessionStart = Date.now();
    const written: DialogueRecord[] = [];
    try {
      const pending = run.jobs.filter((job) => !run.file?.done.has(job.id));
      const outstanding = new Map<string, DialogueJob>(pending.map((job) => [job.id, job]));
      const data = (job: DialogueJob): FleetJobData => ({
        job,
        settings: options.settings,
        configHash: options.configHash,
        promptHash: options.promptHash,
        limits: options.limits,
      });

      // enqueue what Redis does not hold yet; retry jobs that failed in an earlier session
      let existing = 0;
      let retried = 0;
      const missing: DialogueJob[] = [];
      for (let i = 0; i < pending.length; i += CHUNK) {
        const chunk = pending.slice(i, i + CHUNK);
        const found = await Promise.all(chunk.map((job) => queue.getJob(job.id)));
        for (const [k, job] of chunk.entries()) {
          const held = found[k];
          if (!held) {
            missing.push(job);
            continue;
          }
          if ((held.data as Partial<FleetJobData> | undefined)?.configHash !== options.configHash) {
            throw new FleetConfigError(
              `queue "${target.queueName}" at ${target.where} holds dialogue ${job.id} of another run configuration: use another queue (--queue ${target.url.split("?")[0]}?queue=NAME) or empty this one`,
            );
          }
          existing++;
          if (held.finishedOn && returned(held) === null) {
            await held.retry("failed");
            retried++;
          }
        }
      }
      for (let i = 0; i < missing.length; i += CHUNK) {
        await queue.addBulk(
          missing.slice(i, i + CHUNK).map((job) => ({ name: "dialogue", data: data(job), opts: { jobId: job.id } })),
        );
      }
      progress?.message(
        `queue "${target.queueName}" at ${target.where}: ${missing.length} dialogues enqueued, ${existing} already queued or finished${retried ? ` (${retried} failed ones retried)` : ""}${outstanding.size ? `; waiting for workers to write ${outstanding.size}` : ""}`,
      );

      const stopped = () => run.signal?.aborted || run.abortSignal?.aborted;
      let failure: DialogueFailedError | undefined;
      const collectOnce = async () => {
        const ids = [...outstanding.keys()];
        for (let i = 0; i < ids.length && !stopped() && !failure; i += CHUNK) {
          const chunk = ids.slice(i, i + CHUNK);
          const jobs = await Promise.all(chunk.map((id) => queue.getJob(id)));
          for (const [k, held] of jobs.entries()) {
            const id = chunk[k]!;
            const planned = outstanding.get(id)!;
            if (!held) {
              // removed from Redis meanwhile (by hand, or aged out): enqueue it again
              await queue.add("dialogue", data(planned), { jobId: id });
              continue;
            }
            if (!held.finishedOn) continue;
            if (returned(held) === null) {
              failure ??= new DialogueFailedError(
                planned,
                new Error(`${held.failedReason || "failed on a worker"} (after ${held.attemptsMade} attempts)`),
                written.length,
              );
              continue;
            }
            const record = await collect(held, planned, run, stats, sessionStart);
            outstanding.delete(id);
            if (record) written.push(record);
          }
        }
        if (progress) {
          const counts = await queue.getJobCounts("active");
          progress.inFlight = counts.active ?? 0;
          if (stats.size) progress.note = `workers: ${stats.line()}`;
        }
      };
      // Redis lost mid-run: reconnect for up to redisGraceMs (a restart, a network blip), then stop with one line.
      // Back empty, it is refilled: an outstanding job Redis no longer holds is enqueued again (collectOnce).
      let lostSince: number | undefined;
      while (outstanding.size > 0 && !stopped() && !failure) {
        try {
          await collectOnce();
          if (lostSince !== undefined)
            progress?.message(
              `Redis at ${target.where} is back after ${((Date.now() - lostSince) / 1000).toFixed(0)} s`,
            );
          lostSince = undefined;
        } catch (error) {
          const lost = lostRedis(error, target) ?? (error instanceof FleetError ? error : undefined);
          if (!lost) throw error;
          if (lostSince === undefined)
            progress?.message(`${lost.message}; trying again for up to ${redisGraceMs / 1000} s`);
          lostSince ??= Date.now();
          if (Date.now() - lostSince >= redisGraceMs) throw lost;
          await queue.close().catch(() => undefined);
          await pause(1000, run.signal);
          queue = await openQueue(target, attempts).catch(() => queue); // still down: the next round says so
          continue;
        }
        // collectOnce() may have set `failure` (the narrowing above cannot see into the closure)
        // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition
        if (outstanding.size > 0 && !failure) await pause(pollMs, run.signal);
      }
      if (stats.size) progress?.message(`per worker (this session): ${stats.line()}`);
      if (failure) throw new DialogueFailedError(failure.job, failure.cause, written.length);
      return { written, skipped: run.jobs.length - pending.length, abandoned: 0 };
    } catch (error) {
      // the records collected so far are in the journal: the run's error says how many, and how to resume
      throw lostRedis(error, target) ?? error;
    } finally {
      await queue.close().catch(() => undefined);
    }
  };
}

async function collect(
  held: Job<FleetJobData, FleetJobResult>,
  planned: DialogueJob,
  run: GenerateOptions,
  stats: WorkerStats,
  sessionStart: number,
): Promise<DialogueRecord | null> {
  const result = returned(held) ?? {};
  let record = parseDialogueRecord(result.record);
  if (record.id !== planned.id) throw new Error(`job ${planned.id} returned the record of ${record.id} (bug)`);
  if (run.file?.done.has(record.id)) return null;
  if (run.review) record = run.review(record, planned);
  run.onStart?.(planned);
  await run.file?.appendAsync(record);
  if ((held.finishedOn ?? 0) >= sessionStart) stats.add(result.worker?.name ?? "unknown");
  run.onRecord?.(record, planned);
  return record;
}

/**
 * `npm run graph -- … --queue URL`: checks the flags and that Redis answers (before any record is touched), and
 * returns the generate step for runBatch.
 */
export async function prepareFleet(options: {
  url: string;
  out: string | undefined;
  config: DialogueConfig;
  runConfig: RunConfig;
  limits: FleetJobData["limits"];
  pollMs?: number;
}) {
  if (!options.out)
    throw new FleetConfigError("--queue needs --out FILE.jsonl (the journal the workers' records are collected into)");
  const target = parseQueueUrl(options.url);
  await (await openQueue(target)).close();
  return fleetGenerator({
    target,
    settings: generationSettings(options.config),
    configHash: contentHash(options.runConfig),
    promptHash: options.runConfig.prompt_hash,
    limits: options.limits,
    ...(options.pollMs ? { pollMs: options.pollMs } : {}),
  });
}
