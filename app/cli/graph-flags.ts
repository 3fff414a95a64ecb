import { readFileSync } from "node:fs";
import { z } from "zod";
import { MAX_SESSIONS } from "../../nodes/series-history.js";
import { UsageError } from "./errors.js";
import {
  EXPORT_FLAG_OPTIONS,
  EXPORT_HELP,
  exportFlagTypes,
  languageCodesFlag,
  MODEL_FLAG_OPTIONS,
  modelFlagTypes,
  parseFlagValues,
  priceFlag,
  seedFlag,
  turnsFlag,
  wholeNumber,
} from "./flag-types.js";

/** The largest --n: a run's jobs are planned up front (about 1 KB each), so this bounds the plan's memory and time. */
export const MAX_N = 100_000;

/** The most --worker-threads: each thread loads the graph and a model (tens of MB), and more than the cores do not help. */
export const MAX_WORKER_THREADS = 64;

/** The flags of `npm run graph`: one table for the parser, one zod schema for their values. */

export const GRAPH_HELP = `Usage: npm run graph -- --lang CODE[,CODE…] [options]

Writes PersonaChat-style dialogues directly in the target language(s) with an open LLM.

Options:
  --lang CODES          target languages, BCP-47, comma-separated (es, fr, pt-BR, zh-Hans, …)   [required]
  --n N                 dialogues per language, at most 100000                                  [1]
  --out FILE.jsonl      append one record per dialogue; rerunning the same command resumes
  --wait                another run is writing --out: wait for it to finish instead of refusing
  --seed N              seed of every random choice                                             [1]
  --provider NAME       llama-cpp (embedded), openai (any OpenAI-compatible server: vLLM, SGLang,
                        llama.cpp server, LM Studio, OpenRouter, …), anthropic, ollama          [llama-cpp]
  --model NAME          llama-cpp: a local .gguf file [default model in the cache]; others: the model's
                        name on the server                                         [required for others]
  --no-download         llama-cpp: never fetch the default model on first use (also POLYGLOT_NO_DOWNLOAD=1);
                        without it, a first run downloads it (1.28 GB, resumable, SHA-256 checked)
  --base-url URL        server of openai / anthropic / ollama (e.g. http://127.0.0.1:8000/v1)
                        [OPENAI_BASE_URL / ANTHROPIC_BASE_URL / OLLAMA_BASE_URL, else the public API]
                        keys: OPENAI_API_KEY, ANTHROPIC_API_KEY (ollama: none)
  --judge-provider NAME provider of the self-critique model                  [the chat model judges]
  --judge-model NAME    self-critique model (path or name)
  --judge-base-url URL  server of the self-critique model
  --threads N           CPU threads for the embedded engine                          [physical cores]
  --request-timeout S   remote providers: seconds one attempt may take                          [120]
  --max-attempts N      remote providers: attempts per call; 429 / 5xx / resets / timeouts are retried
                        with backoff (Retry-After honoured)                                       [4]
  --config FILE.json    settings as {"flag-name": value, …}; flags on the command line win
  --turns MIN-MAX       turn budget of a dialogue                                               [8-14]
  --speech-event ID     use this speech event (ids: data/speech-events.json) [spread by the weights]
  --personas FILE       English source personas: PersonaChat/ConvAI2/XPersona JSON, or JSONL of sentence
                        lists                                                  [built-in persona set]
  --variant NAME        prompt variant, a folder under prompts/                                 [baseline]
  --sessions N          multi-session series: the same two people meet N times (gap hours to months,
                        each remembering the earlier sessions); one record per series, at most ${MAX_SESSIONS}  [1]
  --concurrency N       dialogues in flight at once                                             [1]
  --worker-threads N    spread the dialogues in flight over N threads, each with its own model
                        (remote providers only; for a run whose one thread is busy at high
                        --concurrency: docs/large-runs.md)                                      [1]
  --rpm N               requests per minute to the model, paced evenly                   [no limit]
  --tpm N               tokens per minute to the model (estimated before a call as prompt chars/4 +
                        output cap, corrected by the reported usage after it)              [no limit]
  --price IN,OUT        USD per million input,output tokens: the summary's cost estimate
${EXPORT_HELP}
  --queue URL           fleet mode: enqueue the dialogues on this Redis (redis://HOST:PORT[?queue=NAME])
                        for \`npm run worker\` processes and collect their records into --out (required);
                        or set POLYGLOT_QUEUE_URL (keeps a Redis password out of \`ps\` and the shell history)
  --quiet               print one line per dialogue instead of the whole dialogue (on a terminal with
                        one dialogue in flight, it is otherwise shown as it is written, turn by turn)
  -h, --help            show this help

Tracing (optional): LANGSMITH_TRACING=true and LANGSMITH_API_KEY send one LangSmith trace per dialogue
  (LANGSMITH_ENDPOINT, LANGSMITH_PROJECT [polyglot-personachat]); the record keeps its provenance.trace_id.
  An unreachable endpoint or a bad key costs one warning line, never a result.`;

export const GraphFlagsSchema = z.object({
  lang: languageCodesFlag("--lang is required (for example --lang es)"),
  n: wholeNumber("--n", 1)
    .refine(
      (n) => n <= MAX_N,
      `--n must be at most ${MAX_N} dialogues per language (the plan is made up front): split a larger set into runs with other --seed values`,
    )
    .default("1"),
  out: z
    .string()
    .refine((path) => path.endsWith(".jsonl"), "--out must name a .jsonl file")
    .optional(),
  seed: seedFlag,
  ...modelFlagTypes,
  turns: turnsFlag.optional(),
  "speech-event": z.string().min(1).optional(),
  personas: z.string().min(1).optional(),
  variant: z.string().min(1).default("baseline"),
  sessions: wholeNumber("--sessions", 1, MAX_SESSIONS).default("1"),
  concurrency: wholeNumber("--concurrency", 1).default("1"),
  "worker-threads": wholeNumber("--worker-threads", 1, MAX_WORKER_THREADS).default("1"),
  quiet: z.boolean().default(false),
  wait: z.boolean().default(false),
  // large runs
  rpm: wholeNumber("--rpm", 1).optional(),
  tpm: wholeNumber("--tpm", 1).optional(),
  price: priceFlag.optional(),
  ...exportFlagTypes,
  // fleet
  queue: z.string().min(1).optional(),
});
export type GraphFlags = z.infer<typeof GraphFlagsSchema>;

const OPTIONS = {
  lang: { type: "string" },
  n: { type: "string" },
  out: { type: "string" },
  seed: { type: "string" },
  ...MODEL_FLAG_OPTIONS,
  config: { type: "string" },
  turns: { type: "string" },
  "speech-event": { type: "string" },
  personas: { type: "string" },
  variant: { type: "string" },
  sessions: { type: "string" },
  concurrency: { type: "string" },
  "worker-threads": { type: "string" },
  quiet: { type: "boolean" },
  wait: { type: "boolean" },
  rpm: { type: "string" },
  tpm: { type: "string" },
  price: { type: "string" },
  ...EXPORT_FLAG_OPTIONS,
  queue: { type: "string" },
  help: { type: "boolean", short: "h" },
} as const;

/**
 * A config file (--config FILE.json): the same settings as the flags, keyed by flag name, with JSON values —
 * `{"provider": "openai", "base-url": "http://127.0.0.1:8000/v1", "model": "qwen", "lang": ["es", "fr"], "n": 10}`.
 * Unknown keys are refused, so a typo does not pass silently.
 */
const scalar = z.union([z.string(), z.number()]).transform(String);
const FILE_KEYS = Object.keys(OPTIONS).filter((key) => key !== "help" && key !== "config");
export const ConfigFileSchema = z
  .object(
    Object.fromEntries(
      FILE_KEYS.map((key) => {
        if ((OPTIONS as Record<string, { type: string }>)[key]!.type === "boolean")
          return [key, z.boolean().optional()];
        if (key === "lang")
          return [key, z.union([scalar, z.array(z.string()).transform((tags) => tags.join(","))]).optional()];
        if (key === "turns")
          return [
            key,
            z.union([scalar, z.tuple([z.number(), z.number()]).transform(([a, b]) => `${a}-${b}`)]).optional(),
          ];
        return [key, scalar.optional()];
      }),
    ) as Record<string, z.ZodTypeAny>,
  )
  .strict();

export function loadConfigFile(path: string): Record<string, unknown> {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, "utf8"));
  } catch (error) {
    const reason =
      (error as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (error as Error).message.split("\n")[0]!;
    throw new UsageError(`--config ${path}: ${reason}`);
  }
  const parsed = ConfigFileSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const where = issue.path.length ? `"${issue.path.join(".")}": ` : "";
    const message =
      issue.code === "unrecognized_keys"
        ? `unknown setting(s) ${issue.keys.map((k) => `"${k}"`).join(", ")}`
        : issue.message;
    throw new UsageError(`--config ${path}: ${where}${message}`);
  }
  return Object.fromEntries(Object.entries(parsed.data).filter(([, value]) => value !== undefined));
}

/** The parsed flags, or null when the user asked for --help. Throws UsageError with one line. */
export function parseGraphFlags(argv: string[], env: NodeJS.ProcessEnv = process.env): GraphFlags | null {
  const values = parseFlagValues(argv, OPTIONS);
  if (values.help) return null;
  const { help: _help, config, ...rest } = values;
  // flags on the command line override the file
  const fromFile = typeof config === "string" ? loadConfigFile(config) : {};
  const queueFromEnv = env.POLYGLOT_QUEUE_URL ? { queue: env.POLYGLOT_QUEUE_URL } : {};
  const parsed = GraphFlagsSchema.safeParse({ ...queueFromEnv, ...fromFile, ...rest });
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const key = String(issue.path[0] ?? "");
    throw new UsageError(
      key in fromFile && !(key in rest) ? `${issue.message} (in --config ${String(config)})` : issue.message,
    );
  }
  return parsed.data;
}
