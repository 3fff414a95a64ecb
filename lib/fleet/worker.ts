/**
 * A fleet worker: takes dialogue jobs from the queue and runs the same graph a local run does, with its own
 * model (the job brings the generation settings the coordinator validated; the record's provenance names the
 * worker's provider and model). The result is the record plus the worker's name, host and pid.
 *
 * Faults: a worker killed mid-dialogue stops renewing its job's lock; after `lockDurationMs` BullMQ's stalled-job
 * check (every `stalledIntervalMs`, on any live worker) moves the job back to waiting and another worker takes it.
 * A job refused because this checkout's prompts differ from the coordinator's fails at once (UnrecoverableError).
 *
 * Rate limits: the coordinator's --rpm / --tpm travel with each job and are enforced per request across the
 * fleet by a shared fixed-window counter in Redis keyed by the provider + base URL this worker calls
 * (sharedLimiter below), not by BullMQ's limiter, which counts jobs (dialogues), not model requests.
 */
import type { BaseChatModel } from "@langchain/core/language_models/chat_models";
import { type Job, UnrecoverableError, Worker } from "bullmq";
import { runDialogue } from "../../graphs/dialogue/graph.js";
import { createChatModel, disposeChatModel, type ModelSettings } from "../models/factory.js";
import { RetryNotices } from "../models/retry.js";
import { loadPromptSet } from "../prompts/loader.js";
import { limitChatModel, RateLimiter } from "../run/rate-limit.js";
import { contentHash } from "../run/run-config.js";
import { spanishScriptedModel } from "../run/spanish-script.js";
import { type FleetJobData, type FleetJobResult, type QueueTarget, type WorkerIdentity, withRedisTimeout } from "./fleet.js";

export interface WorkerOptions {
  target: QueueTarget;
  concurrency: number;
  chat: ModelSettings;
  judge: ModelSettings | null;
  identity: WorkerIdentity;
  lockDurationMs: number;
  stalledIntervalMs: number;
  /** TEST / BENCHMARK ONLY: an in-process scripted model answering valid Spanish after this many ms */
  scriptedLatencyMs?: number | undefined;
  log: (line: string) => void;
}

type RedisLike = { eval(script: string, keys: number, ...args: (string | number)[]): Promise<unknown> };

/** INCR the window's counter (expiring with the window); returns ms to wait when over `max`, else 0. */
const WINDOW_SCRIPT = `
local n = redis.call('INCRBY', KEYS[1], ARGV[1])
if n == tonumber(ARGV[1]) then redis.call('PEXPIRE', KEYS[1], ARGV[3]) end
if n > tonumber(ARGV[2]) and tonumber(ARGV[1]) <= tonumber(ARGV[2]) then
  redis.call('DECRBY', KEYS[1], ARGV[1])
  local ttl = redis.call('PTTL', KEYS[1])
  if ttl < 0 then ttl = tonumber(ARGV[3]) end
  return ttl
end
return 0`;

/**
 * A RateLimiter whose budget is shared through Redis by every worker calling the same provider + base URL:
 * fixed one-minute windows (a burst of up to 2× the limit can straddle a window boundary; steady state holds
 * the limit). Local pacing still spreads this worker's calls.
 */
class SharedLimiter extends RateLimiter {
  constructor(
    private readonly redis: RedisLike,
    private readonly key: string,
    private readonly shared: { rpm?: number | undefined; tpm?: number | undefined },
  ) {
    super({});
  }
  override get active(): boolean {
    return Boolean(this.shared.rpm || this.shared.tpm);
  }
  override async acquire(estimatedTokens: number, signal?: AbortSignal): Promise<void> {
    for (const [kind, limit, amount] of [
      ["rpm", this.shared.rpm, 1],
      ["tpm", this.shared.tpm, estimatedTokens],
    ] as const) {
      if (!limit) continue;
      for (;;) {
        signal?.throwIfAborted();
        const windowKey = `${this.key}:${kind}:${Math.floor(Date.now() / 60_000)}`;
        const wait = Number(await this.redis.eval(WINDOW_SCRIPT, 1, windowKey, Math.min(amount, limit), limit, 61_000));
        if (wait <= 0) break;
        this.waitedMs += wait;
        await new Promise((resolve) => setTimeout(resolve, Math.min(wait + 5, 60_000)));
      }
    }
  }
  override settle(): void {}
}

export async function runWorker(options: WorkerOptions, signal: AbortSignal): Promise<number> {
  const sequences = Math.min(16, Math.max(4, 3 * options.concurrency));
  // remote providers: retried calls go to the worker's log (throttled)
  const retries = new RetryNotices();
  retries.showWith(options.log);
  const onRetry = retries.record;
  const models = new Map<number, { chat: BaseChatModel; judge?: BaseChatModel | undefined }>();
  const modelsFor = (seed: number) => {
    let entry = models.get(seed);
    if (!entry) {
      const chat = options.scriptedLatencyMs !== undefined ? spanishScriptedModel(options.scriptedLatencyMs, { keepCalls: false }) : createChatModel({ ...options.chat, seed, sequences, onRetry });
      const judge = options.judge && options.scriptedLatencyMs === undefined ? createChatModel({ ...options.judge, seed, sequences, onRetry }) : undefined;
      entry = { chat, judge };
      models.set(seed, entry);
    }
    return entry;
  };
  // a bad model path / key fails here, before the worker takes any job
  modelsFor(1);

  const limiterKey = `personachat-rate:${contentHash([options.chat.provider, options.chat.baseUrl ?? ""])}`;
  let redis: RedisLike | undefined;
  const limited = new WeakSet<BaseChatModel>();

  const processor = async (job: Job<FleetJobData, FleetJobResult>): Promise<FleetJobResult> => {
    const started = Date.now();
    const data = job.data;
    const prompts = loadPromptSet(data.settings.promptVariant);
    if (prompts.hash !== data.promptHash) {
      throw new UnrecoverableError(`worker ${options.identity.name}: prompt set "${data.settings.promptVariant}" differs from the coordinator's (hash ${prompts.hash} ≠ ${data.promptHash}): run the same checkout`);
    }
    const { chat, judge } = modelsFor(data.job.seed);
    if ((data.limits.rpm || data.limits.tpm) && redis) {
      const limiter = new SharedLimiter(redis, limiterKey, data.limits);
      for (const model of [chat, judge]) {
        if (model && !limited.has(model)) {
          limitChatModel(model, limiter);
          limited.add(model);
        }
      }
    }
    const input = {
      language: data.job.language,
      seed: data.job.seed,
      index: data.job.index,
      ...(data.job.sourcePersonas ? { sourcePersonas: data.job.sourcePersonas } : {}),
      ...(data.job.speechEventId ? { speechEventId: data.job.speechEventId } : {}),
    };
    const state = await runDialogue(input, { ...data.settings, chatModel: chat, ...(judge ? { judgeModel: judge } : {}) });
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
  worker.on("completed", (job) => options.log(`${job.id} done by ${options.identity.name} (${job.returnvalue.record.status})`));
  worker.on("failed", (job, error) => options.log(`${job?.id ?? "?"} failed on ${options.identity.name}: ${error.message.split("\n")[0]}`));
  try {
    const client = await withRedisTimeout(worker.waitUntilReady(), options.target);
    redis = client as unknown as RedisLike;
  } catch (error) {
    await worker.close(true).catch(() => undefined);
    for (const entry of models.values()) {
      await disposeChatModel(entry.chat);
      await disposeChatModel(entry.judge);
    }
    throw error;
  }
  options.log(
    `worker ${options.identity.name}: taking jobs from queue "${options.target.queueName}" at ${options.target.where} (concurrency ${options.concurrency}, lock ${options.lockDurationMs / 1000} s)`,
  );
  const running = worker.run();
  await new Promise<void>((resolve) => {
    if (signal.aborted) return resolve();
    signal.addEventListener("abort", () => resolve(), { once: true });
    running.then(
      () => resolve(),
      () => resolve(),
    );
  });
  options.log(`worker ${options.identity.name}: stopping (jobs in flight finish; signal again to abandon them)`);
  await worker.close();
  await running.catch(() => undefined);
  for (const entry of models.values()) {
    await disposeChatModel(entry.chat);
    await disposeChatModel(entry.judge);
  }
  return 0;
}
