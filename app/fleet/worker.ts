/**
 * A fleet worker: takes dialogue jobs from the queue and runs the same graph a local run does, with its own
 * model (the job brings the generation settings the coordinator validated; the record's provenance names the
 * worker's provider and model). The result is the record plus the worker's name, host and pid.
 *
 * Faults: a worker killed mid-dialogue stops renewing its job's lock; after `lockDurationMs` BullMQ's stalled-job
 * check (every `stalledIntervalMs`, on any live worker) moves the job back to waiting and another worker takes it.
 * A job refused because this checkout's prompts differ from the coordinator's fails at once (UnrecoverableError).
 * Redis gone: ioredis reconnects (the worker's script allows 20 attempts, about 20 s), then the worker stops with
 * one line (a FleetError, exit 1) instead of waiting forever.
 *
 * Models: one chat model (and judge) per worker, built at start and freed when it stops, whatever runs it serves.
 * A job reaches it through a view (jobView) carrying the job's run seed with each call — the request equals a
 * local run's of that seed — and the job's own rate limits, so nothing of one run stays on the model for the next.
 *
 * Rate limits: the coordinator's --rpm / --tpm travel with each job and are enforced per request across the
 * fleet by a shared fixed-window counter in Redis keyed by the provider + base URL this worker calls
 * (SharedLimiter), not by BullMQ's limiter, which counts jobs (dialogues), not model requests. A job without
 * limits is not counted.
 */
import type { BaseChatModel } from "@langchain/core/language_models/chat_models";
import { type Job, UnrecoverableError, Worker } from "bullmq";
import { seriesPromptHash } from "../../graphs/series/graph.js";
import { runJob } from "../run/run-job.js";
import { createChatModel, disposeChatModel, loadProviders, type ModelSettings } from "../../lib/models/factory.js";
import { RetryNotices } from "../../lib/models/retry.js";
import { loadPromptSet } from "../../lib/prompts/loader.js";
import { jobView } from "../run/rate-limit.js";
import { contentHash } from "../run/run-config.js";
import {
  FleetError,
  type FleetJobData,
  parseFleetJobData,
  type FleetJobResult,
  type QueueTarget,
  type WorkerIdentity,
  withRedisTimeout,
} from "./fleet.js";
import { type RedisLike, SharedLimiter } from "./shared-limiter.js";

export interface WorkerOptions {
  target: QueueTarget;
  concurrency: number;
  chat: ModelSettings;
  judge: ModelSettings | null;
  identity: WorkerIdentity;
  lockDurationMs: number;
  stalledIntervalMs: number;
  /** builds the worker's models (default: the factory's createChatModel); once each, at start. Tests and benchmarks
   * pass scripted ones (testing/scripted-worker.ts). */
  createModel?: WorkerModelFactory | undefined;
  log: (line: string) => void;
}

/** Builds a worker's chat model (and judge) from its settings. */
export type WorkerModelFactory = (settings: ModelSettings) => BaseChatModel;

const noop = () => undefined;

export async function runWorker(options: WorkerOptions, signal: AbortSignal): Promise<number> {
  const sequences = Math.min(16, Math.max(4, 3 * options.concurrency));
  await loadProviders(options.chat.provider, options.judge?.provider);
  // remote providers: retried calls go to the worker's log (throttled)
  const retries = new RetryNotices();
  retries.showWith(options.log);
  const onRetry = retries.record;
  // a bad model path / key fails here, before the worker takes any job; an embedded model loads once
  const create = options.createModel ?? createChatModel;
  const chat: BaseChatModel = create({ ...options.chat, sequences, onRetry });
  const judge = options.judge ? create({ ...options.judge, sequences, onRetry }) : undefined;

  const limiterKey = `personachat-rate:${contentHash([options.chat.provider, options.chat.baseUrl ?? ""])}`;
  let redis: RedisLike | undefined;

  const processor = async (job: Job<FleetJobData, FleetJobResult>): Promise<FleetJobResult> => {
    const started = Date.now();
    // Redis is not trusted: a job that is not exactly a job of ours (an extra key such as a judge, a model or a
    // URL; a setting out of bounds) is refused for good, and nothing of it reaches the graph
    const checked = parseFleetJobData(job.data);
    if (!checked.ok)
      throw new UnrecoverableError(
        `worker ${options.identity.name}: refused job ${job.id}: ${checked.reason} (a worker uses only the model it was started with)`,
      );
    const data = checked.data;
    const prompts = loadPromptSet(data.settings.promptVariant);
    // a series is written with the series' prompts too (prompts/series/)
    const promptHash = data.job.sessions ? seriesPromptHash(prompts.hash) : prompts.hash;
    if (promptHash !== data.promptHash) {
      throw new UnrecoverableError(
        `worker ${options.identity.name}: prompt set "${data.settings.promptVariant}" differs from the coordinator's (hash ${promptHash} ≠ ${data.promptHash}): run the same checkout`,
      );
    }
    const limiter =
      (data.limits.rpm || data.limits.tpm) && redis ? new SharedLimiter(redis, limiterKey, data.limits) : undefined;
    const perCall = { seed: data.job.seed };
    const state = await runJob(data.job, {
      ...data.settings,
      chatModel: jobView(chat, perCall, limiter),
      ...(judge ? { judgeModel: jobView(judge, perCall, limiter) } : {}),
    });
    if (!state.record) throw new Error(`dialogue ${data.job.id} ended without a record`);
    return { record: state.record, worker: options.identity, duration_ms: Date.now() - started };
  };

  const worker = new Worker<FleetJobData, FleetJobResult>(options.target.queueName, processor, {
    connection: options.target.connection,
    concurrency: options.concurrency,
    lockDuration: options.lockDurationMs,
    stalledInterval: options.stalledIntervalMs,
    maxStalledCount: 3,
    name: options.identity.name,
    autorun: false,
  });
  let lastError = "";
  worker.on("error", (error) => {
    const line = error.message.split("\n")[0] ?? "";
    if (line !== lastError) options.log(`worker ${options.identity.name}: ${line}`);
    lastError = line;
  });
  worker.on("completed", (job) =>
    options.log(`${job.id} done by ${options.identity.name} (${job.returnvalue.record.status})`),
  );
  worker.on("failed", (job, error) =>
    options.log(`${job?.id ?? "?"} failed on ${options.identity.name}: ${error.message.split("\n")[0]}`),
  );
  const disposeModels = async () => {
    await disposeChatModel(chat);
    await disposeChatModel(judge);
  };
  let client: Awaited<ReturnType<typeof worker.waitUntilReady>>;
  try {
    client = await withRedisTimeout(worker.waitUntilReady(), options.target);
    redis = client;
  } catch (error) {
    await worker.close(true).catch(() => undefined);
    await disposeModels();
    throw error;
  }
  // Redis gone for good (ioredis ends the connection once its reconnection attempts are spent): stop with one
  // line rather than wait for a queue that is not coming back. Jobs in flight go back to the queue with Redis.
  let lost: FleetError | undefined;
  const redisGone = new Promise<void>((resolve) =>
    client.once("end", () => {
      lost = new FleetError(
        `lost the connection to Redis at ${options.target.where} and could not reconnect; stopping — start the worker again once Redis is back`,
      );
      resolve();
    }),
  );
  options.log(
    `worker ${options.identity.name}: taking jobs from queue "${options.target.queueName}" at ${options.target.where} (concurrency ${options.concurrency}, lock ${options.lockDurationMs / 1000} s)`,
  );
  const running = worker.run();
  const aborted = new Promise<void>((resolve) => {
    if (signal.aborted) {
      resolve();
      return;
    }
    signal.addEventListener("abort", () => resolve(), { once: true });
  });
  await Promise.race([aborted, redisGone, running.then(noop, noop)]);
  if (lost) {
    // nothing to hand back without Redis: close without waiting for jobs in flight (bounded, as it cannot reach it)
    await Promise.race([worker.close(true).catch(noop), new Promise((resolve) => setTimeout(resolve, 5000).unref())]);
    await disposeModels();
    throw lost;
  }
  options.log(`worker ${options.identity.name}: stopping (jobs in flight finish; signal again to abandon them)`);
  await worker.close();
  await running.catch(noop);
  await disposeModels();
  return 0;
}
