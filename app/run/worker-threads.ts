/**
 * `--worker-threads N`: the run's dialogues spread over N node:worker_threads, for a run whose one event loop is
 * CPU-bound on LangGraph's per-step work (docs/benchmarks.md). Each thread (app/run/worker-thread.ts) builds its own
 * model from the run's settings (lib/models/factory.ts; a model is never passed across threads) and runs jobs with
 * the same graph a local run does (runJob); the dialogue graph itself is compiled once per thread, at import.
 *
 * This thread keeps everything stateful: the plan, the pool of `concurrency` slots (slot i sends its jobs to
 * thread i mod N), the near-duplicate review, the journal, progress, the signals, and the rate limiter — a thread
 * asks it before each model call and tells it the call's usage after (a CallLimiter over messages), so --rpm and
 * --tpm hold across threads. A dialogue that throws in a thread comes back as the same error (name and message) and
 * stops the run as in-process; abandoning (a second Ctrl-C) aborts the dialogues in flight in their threads.
 *
 * Only remote providers (and test models given by module): the embedded engine would load its weights once per
 * thread, so graph-command refuses it. Tracing callbacks live in one thread and are not passed (graph-command turns
 * tracing off with a notice); the live view needs one dialogue in flight, which a pool of threads is not for.
 */
import { Worker } from "node:worker_threads";
import { z } from "zod";
import type { DialogueContext } from "../../nodes/configuration.js";
import type { ModelSettings } from "../../lib/models/factory.js";
import type { RetryEvent } from "../../lib/models/retry.js";
import { type DialogueRecord, parseDialogueRecord } from "../../lib/records/schema.js";
import type { DialogueJob } from "../../lib/plan.js";
import { type GenerateOptions, type GenerateResult, runPool } from "./generate.js";
import type { RateLimiter } from "./rate-limit.js";
import { withoutTracing } from "../tracing/settings.js";

/**
 * A module that builds a thread's models in place of the factory (tests and benchmarks: a scripted model). Its
 * export is called as `(settings: ModelSettings, options: unknown) => BaseChatModel`, once per model per thread.
 */
export interface ModelFactoryModule {
  /** a file URL or absolute path */
  module: string;
  export: string;
  /** structured-cloneable options passed as the second argument */
  options?: unknown;
}

/** Model settings without the callbacks (which cannot cross threads; the thread adds its own). */
export type ThreadModelSettings = Omit<ModelSettings, "onRetry" | "onNotice">;

export interface WorkerThreadsOptions {
  threads: number;
  /** the chat model's settings (seed and sequences included) */
  chat: ThreadModelSettings;
  /** the judge's, when it is another model */
  judge?: ThreadModelSettings | null;
  /** the graph's settings (turns, prompt variant, …): the context without its models */
  settings: Omit<DialogueContext, "chatModel" | "judgeModel">;
  factory?: ModelFactoryModule;
  /** the threads' models' retry notices */
  onRetry?: (event: RetryEvent) => void;
  /** the threads' models' notices about the whole run (a server refusing json_schema), each line once for all
   * threads (default: stderr) */
  onNotice?: (line: string) => void;
}

/** What this thread hands a worker thread at start. */
export const ThreadInitSchema = z.object({
  chat: z.record(z.unknown()),
  judge: z.record(z.unknown()).nullable(),
  settings: z.record(z.unknown()),
  factory: z.object({ module: z.string(), export: z.string(), options: z.unknown() }).nullable(),
  limited: z.boolean(),
});
export type ThreadInit = z.infer<typeof ThreadInitSchema>;

/** Messages to a worker thread. */
export type ToThread =
  | { type: "run"; id: number; job: DialogueJob }
  | { type: "abort"; id: number }
  | { type: "granted"; call: number }
  | { type: "refused"; call: number; message: string };

/** Messages from a worker thread. */
export const FromThreadSchema = z.discriminatedUnion("type", [
  z.object({ type: z.literal("ready") }),
  z.object({ type: z.literal("init-failed"), message: z.string() }),
  z.object({ type: z.literal("done"), id: z.number(), record: z.unknown() }),
  z.object({ type: z.literal("failed"), id: z.number(), name: z.string(), message: z.string() }),
  z.object({ type: z.literal("acquire"), call: z.number(), tokens: z.number() }),
  z.object({ type: z.literal("settle"), estimated: z.number(), actual: z.number() }),
  z.object({ type: z.literal("notice"), line: z.string() }),
  z.object({
    type: z.literal("retry"),
    event: z.object({ attempt: z.number(), failure: z.unknown(), delayMs: z.number(), message: z.string() }),
  }),
]);

const THREAD_ENTRY = new URL("./worker-thread.ts", import.meta.url);

interface Pending {
  resolve: (value: { record: DialogueRecord }) => void;
  reject: (error: Error) => void;
}

/** An error that came back from a thread: the same name and message as in the thread. */
function threadError(name: string, message: string): Error {
  const error = new Error(message);
  error.name = name;
  return error;
}

class DialogueThread {
  private readonly worker: Worker;
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;
  private dead: Error | undefined;
  readonly ready: Promise<void>;

  constructor(
    readonly index: number,
    init: ThreadInit,
    private readonly limiter: RateLimiter | undefined,
    private readonly onRetry: ((event: RetryEvent) => void) | undefined,
    private readonly onNotice: (line: string) => void,
  ) {
    this.worker = new Worker(THREAD_ENTRY, {
      workerData: init,
      // LangChain traces by itself where the environment asks it to: never from a thread (see the top of this file)
      env: withoutTracing(process.env),
      // the project runs TypeScript through tsx (package.json's scripts): the thread loads it the same way
      // (`node --import tsx …`, or tsx's own CLI, which passes its loader's path), or, where it is not loaded (a test
      // runner that transforms the files itself), with tsx added
      execArgv: process.execArgv.some((arg) => /\btsx\b/.test(arg))
        ? process.execArgv
        : [...process.execArgv, "--import", "tsx"],
    });
    let started!: () => void;
    let notStarted!: (error: Error) => void;
    this.ready = new Promise<void>((resolve, reject) => {
      started = resolve;
      notStarted = reject;
    });
    this.worker.on("message", (raw: unknown) => {
      const parsed = FromThreadSchema.safeParse(raw);
      if (!parsed.success) {
        this.fail(new Error(`worker thread ${index} sent a message this version does not know (bug)`));
        return;
      }
      const message = parsed.data;
      switch (message.type) {
        case "ready":
          started();
          break;
        case "init-failed":
          notStarted(new Error(message.message));
          break;
        case "done": {
          const entry = this.pending.get(message.id);
          this.pending.delete(message.id);
          entry?.resolve({ record: parseDialogueRecord(message.record) });
          break;
        }
        case "failed": {
          const entry = this.pending.get(message.id);
          this.pending.delete(message.id);
          entry?.reject(threadError(message.name, message.message));
          break;
        }
        case "acquire":
          if (!this.limiter) this.post({ type: "granted", call: message.call });
          else
            this.limiter.acquire(message.tokens).then(
              () => this.post({ type: "granted", call: message.call }),
              (error: unknown) => this.post({ type: "refused", call: message.call, message: (error as Error).message }),
            );
          break;
        case "settle":
          this.limiter?.settle(message.estimated, message.actual);
          break;
        case "notice":
          this.onNotice(message.line);
          break;
        case "retry":
          this.onRetry?.(message.event as RetryEvent);
          break;
      }
    });
    this.worker.on("error", (error) => {
      notStarted(error);
      this.fail(error);
    });
    this.worker.on("exit", (code) => {
      const error = new Error(`worker thread ${index} stopped (exit code ${code})`);
      notStarted(error);
      this.fail(error);
    });
  }

  private post(message: ToThread): void {
    if (!this.dead) this.worker.postMessage(message);
  }

  /** The thread is gone: every dialogue it had fails with why, and so does every later one. */
  private fail(error: Error): void {
    this.dead ??= error;
    for (const entry of this.pending.values()) entry.reject(this.dead);
    this.pending.clear();
  }

  run(job: DialogueJob, signal: AbortSignal | undefined): Promise<{ record: DialogueRecord }> {
    if (this.dead) return Promise.reject(this.dead);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      if (signal?.aborted) {
        reject(threadError("AbortError", "the dialogue was abandoned"));
        return;
      }
      const onAbort = () => this.post({ type: "abort", id });
      signal?.addEventListener("abort", onAbort, { once: true });
      const done = () => signal?.removeEventListener("abort", onAbort);
      this.pending.set(id, {
        resolve: (value) => {
          done();
          resolve(value);
        },
        reject: (error) => {
          done();
          reject(error);
        },
      });
      this.post({ type: "run", id, job });
    });
  }

  async close(): Promise<void> {
    this.dead ??= new Error(`worker thread ${this.index} was closed`);
    await this.worker.terminate();
  }
}

/**
 * A `generate` for runBatch (the same options and contract as generateDialogues) that runs the dialogues in
 * `threads` worker threads: min(threads, concurrency, jobs left) of them are started, each ready (its models built)
 * before the first job goes out, and closed when the dialogues are done.
 */
export function generateInThreads(pool: WorkerThreadsOptions): (options: GenerateOptions) => Promise<GenerateResult> {
  return async (options) => {
    const left = options.jobs.filter((job) => !options.file?.done.has(job.id)).length;
    const count = Math.max(1, Math.min(pool.threads, options.concurrency ?? 1, left));
    const threads = await WorkerThreadPool.start(pool, count, options.limiter);
    try {
      return await threads.generate(options);
    } finally {
      await threads.close();
    }
  };
}

/** Started worker threads, ready for one or more runs of dialogues (a benchmark warms them up first). */
export class WorkerThreadPool {
  private constructor(
    private readonly threads: DialogueThread[],
    private readonly limiter: RateLimiter | undefined,
  ) {}

  /** `count` threads, each with its models built; `limiter` (if active) is asked before each of their calls. */
  static async start(pool: WorkerThreadsOptions, count: number, limiter?: RateLimiter): Promise<WorkerThreadPool> {
    const active = limiter?.active ? limiter : undefined;
    const init: ThreadInit = {
      chat: { ...pool.chat },
      judge: pool.judge ? { ...pool.judge } : null,
      settings: { ...pool.settings },
      factory: pool.factory ? { options: undefined, ...pool.factory } : null,
      limited: active !== undefined,
    };
    // each thread's model says it once: the run says it once
    const said = new Set<string>();
    const notice = pool.onNotice ?? ((line: string) => void process.stderr.write(`${line}\n`));
    const onNotice = (line: string) => {
      if (!said.has(line)) notice(line);
      said.add(line);
    };
    const threads = Array.from(
      { length: count },
      (_, i) => new DialogueThread(i, init, active, pool.onRetry, onNotice),
    );
    try {
      await Promise.all(threads.map((thread) => thread.ready));
    } catch (error) {
      await Promise.all(threads.map((thread) => thread.close()));
      throw error;
    }
    return new WorkerThreadPool(threads, active);
  }

  /** generateDialogues' contract, the jobs run in the threads (slot i sends its jobs to thread i mod N). */
  generate(options: GenerateOptions): Promise<GenerateResult> {
    // a series' checkpoints (app/run/checkpoints.ts) are one SQLite connection in this thread (graph-command refuses)
    if (options.checkpointer) throw new Error("--worker-threads cannot run multi-session series (--sessions > 1)");
    if ((options.limiter?.active ? options.limiter : undefined) !== this.limiter)
      throw new Error("WorkerThreadPool: the run's rate limiter is not the one the threads were started with (bug)");
    return runPool(options, (job, invoke, _watch, slot) =>
      this.threads[slot % this.threads.length]!.run(job, invoke?.signal ?? undefined),
    );
  }

  async close(): Promise<void> {
    await Promise.all(this.threads.map((thread) => thread.close()));
  }
}
