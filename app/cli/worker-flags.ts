import { z } from "zod";
import { MODEL_FLAG_OPTIONS, modelFlagTypes, parseCommandFlags, secondsFlag, wholeNumber } from "./flag-types.js";

/** The flags of `npm run worker`: one table for the parser, one zod schema for their values. */

export const WORKER_HELP = `Usage: npm run worker -- --queue redis://HOST:PORT[/DB][?queue=NAME] [options]

Takes dialogue jobs from a Redis queue filled by \`npm run graph -- … --queue URL\` and writes them with this
machine's model. Start as many as you like, on any machine that reaches Redis and the model server.

Options:
  --queue URL           the Redis of the coordinator (rediss:// for TLS; ?queue=NAME for another queue) [required]
                        or set POLYGLOT_QUEUE_URL (keeps a Redis password out of \`ps\` and the shell history)
  --concurrency N       dialogues in flight at once in this worker                                      [1]
  --name NAME           this worker's name in the coordinator's progress                  [hostname:pid]
  --provider NAME       llama-cpp, openai, anthropic, ollama (as for npm run graph)               [llama-cpp]
  --model NAME          llama-cpp: a local .gguf file; others: the model's name on the server
  --no-download         llama-cpp: never fetch the default model on first use (also POLYGLOT_NO_DOWNLOAD=1)
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

export const WorkerFlagsSchema = z.object({
  queue: z
    .string({
      required_error: "--queue is required (for example --queue redis://127.0.0.1:6379), or POLYGLOT_QUEUE_URL",
    })
    .min(1),
  concurrency: wholeNumber("--concurrency", 1, 256).default("1"),
  name: z.string().min(1).optional(),
  ...modelFlagTypes,
  "lock-seconds": secondsFlag("--lock-seconds", 1, 3600).default("30"),
  "stalled-seconds": secondsFlag("--stalled-seconds", 1, 3600).default("30"),
});
export type WorkerFlags = z.infer<typeof WorkerFlagsSchema>;

const OPTIONS = {
  queue: { type: "string" },
  concurrency: { type: "string" },
  name: { type: "string" },
  ...MODEL_FLAG_OPTIONS,
  "lock-seconds": { type: "string" },
  "stalled-seconds": { type: "string" },
  help: { type: "boolean", short: "h" },
} as const;

/** The parsed flags, or null when the user asked for --help. Throws UsageError with one line. */
export function parseWorkerFlags(argv: string[], env: NodeJS.ProcessEnv = process.env): WorkerFlags | null {
  return parseCommandFlags(
    argv,
    OPTIONS,
    WorkerFlagsSchema,
    env.POLYGLOT_QUEUE_URL ? { queue: env.POLYGLOT_QUEUE_URL } : {},
  );
}
