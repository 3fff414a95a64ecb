/**
 * LangSmith tracing for the CLI, on only when configured, and never at the cost of a run:
 *
 *   const tracing = createTracing();                       // reads LANGSMITH_* / LANGCHAIN_* from the env
 *   await generateDialogues({ …, invokeOptions: (job) => tracing.invokeOptions(dialogueTraceLabels(job, …)) });
 *   await tracing.flush();                                 // bounded: never more than flushTimeoutMs
 *
 * With tracing on, each dialogue is one trace: the graph run (its id, passed as `runId`, is the trace id the
 * record's provenance keeps), under it the node runs, under those the LLM runs. Our own langsmith `Client`
 * talks to the network only through a TracingTransport (short timeouts, no retries, a circuit breaker, at
 * most one warning line), so an unreachable endpoint or a bad key changes neither the results nor, by more
 * than the flush budget, the wall time.
 */
import { awaitAllCallbacks } from "@langchain/core/callbacks/promises";
import { LangChainTracer } from "@langchain/core/tracers/tracer_langchain";
import { Client, uuid7 } from "langsmith";
import type { DialogueRunOptions } from "../../graphs/dialogue/graph.js";
import type { TraceLabels } from "./labels.js";
import { TRACING_FLAGS, type TracingEnv, tracingSettings } from "./settings.js";
import { type FetchLike, TracingTransport } from "./transport.js";

export { dialogueTraceLabels, type TraceLabels } from "./labels.js";
export * from "./settings.js";

export interface Tracing {
  readonly enabled: boolean;
  /** The trace's project (when enabled). */
  readonly projectName?: string;
  /**
   * Invoke options that make one dialogue one trace: the tracer as callback, a fresh `runId` (the root run's id,
   * hence the trace id), and the labels as tags and metadata. `{}` when tracing is off.
   */
  invokeOptions(labels: TraceLabels): DialogueRunOptions;
  /** Sends what is pending, waiting at most flushTimeoutMs, then lets go of the network. Never throws. */
  flush(): Promise<void>;
}

export interface TracingOptions {
  env?: TracingEnv;
  /** where the one warning line goes */
  warn?: (line: string) => void;
  /** longest wait for one request to LangSmith */
  requestTimeoutMs?: number;
  /** longest wait at the end of the run for pending traces */
  flushTimeoutMs?: number;
  /** the real fetch (injected in tests) */
  fetch?: FetchLike;
}

const OFF: Tracing = { enabled: false, invokeOptions: () => ({}), flush: async () => undefined };

/** Resolves after `ms` without holding the process open; `clear` cancels it. */
function deadline(ms: number): { promise: Promise<"timeout">; clear: () => void } {
  let timer: NodeJS.Timeout | undefined;
  const promise = new Promise<"timeout">((resolve) => {
    timer = setTimeout(() => resolve("timeout"), ms);
    timer.unref();
  });
  return { promise, clear: () => clearTimeout(timer) };
}

/**
 * Tracing as the environment configures it. When tracing is not configured no tracer or client is created;
 * when it was asked for but cannot start (no key, bad URL), one warning says so and LangChain's own env-driven
 * tracer is switched off too (it would use LangSmith's default client, whose 90 s timeouts and retries can
 * hold a process long after its work is done).
 */
export function createTracing(options: TracingOptions = {}): Tracing {
  const env = options.env ?? process.env;
  const warnOnce = once(options.warn ?? ((line: string) => process.stderr.write(`${line}\n`)));
  const settings = tracingSettings(env);
  if (!settings.enabled) {
    if (settings.problem) {
      warnOnce(`tracing: ${settings.problem}`);
      for (const name of TRACING_FLAGS) if (env[name] !== undefined) env[name] = "false";
    }
    return OFF;
  }

  const requestTimeoutMs = options.requestTimeoutMs ?? 3_000;
  const flushTimeoutMs = options.flushTimeoutMs ?? 4_000;
  const transport = new TracingTransport({
    endpoint: settings.endpoint,
    requestTimeoutMs,
    cooldownMs: 30_000,
    onProblem: (message) => warnOnce(`tracing: ${message}; continuing without traces (results are unaffected)`),
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
  const client = new Client({
    apiUrl: settings.endpoint,
    apiKey: settings.apiKey,
    timeout_ms: requestTimeoutMs,
    autoBatchTracing: true,
    blockOnRootRunFinalization: false,
    callerOptions: { maxRetries: 0 },
    fetchImplementation: transport.fetch,
    disablePromptCache: true,
  });
  const tracer = new LangChainTracer({ client, projectName: settings.projectName });

  return {
    enabled: true,
    projectName: settings.projectName,
    invokeOptions: (labels) => ({
      callbacks: [tracer],
      runId: uuid7(),
      tags: labels.tags,
      metadata: labels.metadata,
    }),
    flush: async () => {
      const timer = deadline(flushTimeoutMs);
      const sent = (async () => {
        await awaitAllCallbacks();
        await client.awaitPendingTraceBatches();
      })().then(
        () => "sent" as const,
        () => "sent" as const,
      );
      const outcome = await Promise.race([sent, timer.promise]);
      timer.clear();
      transport.close();
      if (outcome === "timeout" && !transport.failed) {
        warnOnce(
          `tracing: LangSmith at ${settings.endpoint} did not take all traces within ${flushTimeoutMs / 1000} s; the rest are dropped`,
        );
      }
    },
  };
}

function once(write: (line: string) => void): (line: string) => void {
  let written = false;
  return (line) => {
    if (written) return;
    written = true;
    write(line);
  };
}
