/**
 * `npm run worker -- --queue redis://HOST:PORT [--concurrency N] [provider/model flags]`: a fleet worker
 * (lib/fleet/worker.ts). Runs until SIGINT / SIGTERM (jobs in flight finish; a second signal abandons them, and
 * BullMQ hands them to another worker once their lock expires). A user's mistake: one line, exit 2; Redis
 * unreachable (within a few seconds) or a model failure: one line, exit 1.
 */
import { parseArgs } from "node:util";
import { chatModelSettings, type DialogueContext, judgeModelSettings, resolveConfig } from "../graphs/dialogue/configuration.js";
import { runMain, UsageError } from "../lib/cli/errors.js";
import { parseQueueUrl, workerIdentity } from "../lib/fleet/fleet.js";
import { runWorker } from "../lib/fleet/worker.js";
import { PROVIDERS } from "../lib/models/factory.js";

const HELP = `Usage: npm run worker -- --queue redis://HOST:PORT[/DB][?queue=NAME] [options]

Takes dialogue jobs from a Redis queue filled by \`npm run graph -- … --queue URL\` and writes them with this
machine's model. Start as many as you like, on any machine that reaches Redis and the model server.

Options:
  --queue URL           the Redis of the coordinator (rediss:// for TLS; ?queue=NAME for another queue) [required]
  --concurrency N       dialogues in flight at once in this worker                                      [1]
  --name NAME           this worker's name in the coordinator's progress                  [hostname:pid]
  --provider NAME       llama-cpp, openai, anthropic, ollama (as for npm run graph)               [llama-cpp]
  --model NAME          llama-cpp: a local .gguf file; others: the model's name on the server
  --base-url URL        server of openai / anthropic / ollama
  --judge-provider NAME, --judge-model NAME, --judge-base-url URL   the self-critique model
  --threads N           CPU threads for the embedded engine                              [physical cores]
  --request-timeout S   remote providers: seconds one attempt may take                              [120]
  --max-attempts N      remote providers: attempts per call                                           [4]
  --lock-seconds S      a job's lock; a killed worker's job goes to another worker after about this  [30]
  --stalled-seconds S   how often workers look for jobs whose lock expired                           [30]
  -h, --help            show this help

The generation settings (prompt variant, turns, retries, seed) and --rpm/--tpm come with each job from the
coordinator; the record's provenance names this worker's provider and model.`;

const OPTIONS = {
  queue: { type: "string" },
  concurrency: { type: "string" },
  name: { type: "string" },
  provider: { type: "string" },
  model: { type: "string" },
  "base-url": { type: "string" },
  "judge-provider": { type: "string" },
  "judge-model": { type: "string" },
  "judge-base-url": { type: "string" },
  threads: { type: "string" },
  "request-timeout": { type: "string" },
  "max-attempts": { type: "string" },
  "lock-seconds": { type: "string" },
  "stalled-seconds": { type: "string" },
  // TEST / BENCHMARK ONLY (not in --help): an in-process scripted Spanish model with this fixed latency in ms
  "scripted-latency": { type: "string" },
  help: { type: "boolean", short: "h" },
} as const;

function number(values: Record<string, unknown>, flag: string, min: number, max: number, fractional = false): number | undefined {
  const raw = values[flag];
  if (raw === undefined) return undefined;
  const text = String(raw);
  if (!(fractional ? /^\d+(\.\d+)?$/ : /^\d+$/).test(text)) throw new UsageError(`--${flag} takes a ${fractional ? "number" : "whole number"}`);
  const n = Number(text);
  if (n < min || n > max) throw new UsageError(`--${flag} must be between ${min} and ${max}`);
  return n;
}

function provider(value: unknown, flag: string): (typeof PROVIDERS)[number] | undefined {
  if (value === undefined) return undefined;
  if (!(PROVIDERS as readonly string[]).includes(String(value))) throw new UsageError(`unknown --${flag} "${String(value)}" (one of: ${PROVIDERS.join(", ")})`);
  return value as (typeof PROVIDERS)[number];
}

async function main(argv: string[]): Promise<number> {
  let values: Record<string, unknown>;
  try {
    ({ values } = parseArgs({ args: argv, options: OPTIONS, strict: true, allowPositionals: false }));
  } catch (error) {
    throw new UsageError((error as Error).message.split("\n")[0]!);
  }
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  if (typeof values.queue !== "string") throw new UsageError("--queue is required (for example --queue redis://127.0.0.1:6379)");
  const concurrency = number(values, "concurrency", 1, 256) ?? 1;
  const threads = number(values, "threads", 1, 256);
  const timeout = number(values, "request-timeout", 1, 3600, true);
  const attempts = number(values, "max-attempts", 1, 10);
  const scripted = number(values, "scripted-latency", 0, 600_000);
  const context: DialogueContext = {
    provider: provider(values.provider, "provider") ?? "llama-cpp",
    ...(typeof values.model === "string" ? { model: values.model } : {}),
    ...(typeof values["base-url"] === "string" ? { baseUrl: values["base-url"] } : {}),
    ...(values["judge-provider"] !== undefined ? { judgeProvider: provider(values["judge-provider"], "judge-provider")! } : {}),
    ...(typeof values["judge-model"] === "string" ? { judgeModelName: values["judge-model"] } : {}),
    ...(typeof values["judge-base-url"] === "string" ? { judgeBaseUrl: values["judge-base-url"] } : {}),
    ...(threads !== undefined ? { threads } : {}),
    ...(timeout !== undefined ? { requestTimeoutSeconds: timeout } : {}),
    ...(attempts !== undefined ? { maxAttempts: attempts } : {}),
  };
  const config = resolveConfig(context);
  const target = parseQueueUrl(values.queue, { blocking: true, maxReconnects: 20 });
  const stop = new AbortController();
  let signals = 0;
  const onSignal = () => {
    if (++signals > 1) process.exit(130);
    stop.abort();
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  const code = await runWorker(
    {
      target,
      concurrency,
      chat: chatModelSettings(config),
      judge: judgeModelSettings(config),
      identity: workerIdentity(typeof values.name === "string" ? values.name : undefined),
      lockDurationMs: (number(values, "lock-seconds", 1, 3600, true) ?? 30) * 1000,
      stalledIntervalMs: (number(values, "stalled-seconds", 1, 3600, true) ?? 30) * 1000,
      scriptedLatencyMs: scripted,
      log: (line) => console.error(line),
    },
    stop.signal,
  );
  return signals > 0 ? 130 : code;
}

runMain("polyglot-personachat worker", () => main(process.argv.slice(2)));
