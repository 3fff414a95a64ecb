/**
 * One worker thread of `--worker-threads` (app/run/worker-threads.ts): builds its models from the run's settings —
 * lib/models/factory.ts, or a test's factory module — then runs the jobs it is sent with runJob and sends back each
 * record (or the error, by name and message). Asks the run's thread before each model call when the run is rate
 * limited. Nothing here is kept between jobs but the models.
 */
import { parentPort, workerData } from "node:worker_threads";
import { pathToFileURL } from "node:url";
import type { BaseChatModel } from "@langchain/core/language_models/chat_models";
import { createChatModel, createJudgeModel, loadProviders, type ModelSettings } from "../../lib/models/factory.js";
import type { DialogueContext } from "../../nodes/configuration.js";
import { limitChatModel, type CallLimiter } from "./rate-limit.js";
import { runJob } from "./run-job.js";
import { ThreadInitSchema, type ToThread } from "./worker-threads.js";
import type { DialogueJob } from "../../lib/plan.js";

const port = parentPort!;
const send = (message: unknown) => port.postMessage(message);

/** The run's rate limiter, in the run's thread: a call goes when it says so. */
class LimiterOverMessages implements CallLimiter {
  readonly active = true;
  private nextCall = 0;
  private readonly waiting = new Map<number, { resolve: () => void; reject: (error: Error) => void }>();

  acquire(estimatedTokens: number, signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted();
    const call = this.nextCall++;
    return new Promise<void>((resolve, reject) => {
      const onAbort = () => {
        this.waiting.delete(call);
        reject(signal!.reason instanceof Error ? signal!.reason : new Error("aborted"));
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.waiting.set(call, {
        resolve: () => {
          signal?.removeEventListener("abort", onAbort);
          resolve();
        },
        reject: (error) => {
          signal?.removeEventListener("abort", onAbort);
          reject(error);
        },
      });
      send({ type: "acquire", call, tokens: estimatedTokens });
    });
  }

  answer(call: number, error?: string): void {
    const entry = this.waiting.get(call);
    this.waiting.delete(call);
    if (error === undefined) entry?.resolve();
    else entry?.reject(new Error(error));
  }

  settle(estimated: number, actual: number): void {
    send({ type: "settle", estimated, actual });
  }
}

const errorMessage = (error: unknown) => (error instanceof Error ? error.message : String(error));

async function start() {
  const init = ThreadInitSchema.parse(workerData);
  const onRetry = (event: unknown) => send({ type: "retry", event });
  const onNotice = (line: string) => send({ type: "notice", line });
  const chatSettings = { ...init.chat, onRetry, onNotice } as unknown as ModelSettings;
  const judgeSettings = init.judge ? ({ ...init.judge, onRetry, onNotice } as unknown as ModelSettings) : null;
  let chat: BaseChatModel;
  let judge: BaseChatModel | undefined;
  if (init.factory) {
    const where = init.factory.module.startsWith("file:")
      ? init.factory.module
      : pathToFileURL(init.factory.module).href;
    const module = (await import(where)) as Record<string, unknown>;
    const factory = module[init.factory.export];
    if (typeof factory !== "function")
      throw new Error(`${init.factory.module} has no function "${init.factory.export}" to build a model with`);
    const build = factory as (settings: ModelSettings, options: unknown) => BaseChatModel;
    chat = build(chatSettings, init.factory.options);
    judge = judgeSettings ? build(judgeSettings, init.factory.options) : undefined;
  } else {
    await loadProviders(chatSettings.provider, judgeSettings?.provider);
    chat = createChatModel(chatSettings);
    judge = judgeSettings ? createJudgeModel(judgeSettings) : undefined;
  }
  const limiter = init.limited ? new LimiterOverMessages() : undefined;
  if (limiter) {
    limitChatModel(chat, limiter);
    if (judge) limitChatModel(judge, limiter);
  }
  const context: DialogueContext = {
    ...(init.settings as DialogueContext),
    chatModel: chat,
    ...(judge ? { judgeModel: judge } : {}),
  };

  const inFlight = new Map<number, AbortController>();
  const run = async (id: number, job: DialogueJob) => {
    const abort = new AbortController();
    inFlight.set(id, abort);
    try {
      const state = await runJob(job, context, { signal: abort.signal });
      if (!state.record) throw new Error(`dialogue ${job.id} ended without a record`);
      send({ type: "done", id, record: state.record });
    } catch (error) {
      send({
        type: "failed",
        id,
        name: error instanceof Error ? error.name : "Error",
        message: errorMessage(error),
      });
    } finally {
      inFlight.delete(id);
    }
  };
  port.on("message", (message: ToThread) => {
    switch (message.type) {
      case "run":
        void run(message.id, message.job);
        break;
      case "abort":
        inFlight.get(message.id)?.abort();
        break;
      case "granted":
        limiter?.answer(message.call);
        break;
      case "refused":
        limiter?.answer(message.call, message.message);
        break;
    }
  });
  send({ type: "ready" });
}

start().catch((error: unknown) => {
  send({ type: "init-failed", message: errorMessage(error).split("\n")[0] });
  process.exit(1);
});
