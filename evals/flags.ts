import { z } from "zod";
import { PROVIDERS } from "../lib/models/errors.js";
import { DEFAULT_RESAMPLES } from "./stats.js";
import { MAX_SESSIONS } from "../nodes/series-history.js";
import {
  languageCodesFlag,
  parseCommandFlags,
  priceFlag,
  providerFlag,
  seedFlag,
  turnsFlag,
  wholeNumber,
} from "../app/cli/flag-types.js";

/** The flags of `npm run eval`: one table for the parser, one zod schema for their values. */

export const EVAL_HELP = `Usage:
  npm run eval -- --variants A,B --lang CODES --n N --out DIR [options]     generate with each variant, then score
  npm run eval -- --dataset FILE --format jsonl|xpersona [--lang CODE] --out DIR   score an existing dataset

Generates dialogues with each prompt variant (same seeds and persona pairs, so samples pair across variants),
or reads a dataset, scores every dialogue, and writes into DIR: report.md, report.html (charts), results.json,
and (when generating) records/<variant>.jsonl. Rerunning the same command resumes the generation.
With LangSmith configured (LANGSMITH_TRACING=true and LANGSMITH_API_KEY), each variant also runs as a LangSmith
experiment (evaluate()) over a dataset made from the seed list.

Options:
  --variants LIST       prompt variants (folders under prompts/), the first is the reference     [baseline]
  --lang CODES          target languages, BCP-47, comma-separated                [required to generate]
  --n N                 dialogues per variant and language                                      [20]
  --out DIR             output folder                                                           [required]
  --seed N              seed of the generation and of the bootstrap                             [1]
  --provider NAME       chat model provider: ${PROVIDERS.join(", ")}                      [llama-cpp]
  --model NAME          llama-cpp: a .gguf file [default model in the cache]; others: the model's name
  --no-download         llama-cpp: never fetch the default model on first use (also POLYGLOT_NO_DOWNLOAD=1)
  --base-url URL        server of a remote provider
  --threads N           CPU threads for the embedded engine
  --turns MIN-MAX       turn budget of a dialogue                                               [8-14]
  --concurrency N       dialogues in flight at once                                             [1]
  --sessions N          generate multi-session series of N sessions (each session is scored)    [1]
  --judge-model NAME    the eval's LLM judge (path or name); without it the judge metrics are not measured
  --judge-provider NAME provider of the judge                                            [--provider]
  --judge-base-url URL  server of the judge
  --judge-prompts NAME  judge prompt variant, a folder under prompts/judges/                    [baseline]
  --price IN,OUT        USD per million input, output tokens: adds cost per accepted dialogue
  --resamples N         bootstrap resamples                                                     [${DEFAULT_RESAMPLES}]
  --score-rejected      also score rejected dialogues that have turns
  --dataset FILE        score this file instead of generating
  --format F            jsonl (our records) or xpersona (XPersona JSON)        [by extension: .jsonl/.json]
  --reviews FILE        with --dataset: native speakers' ratings from npm run review (its .sqlite, or
                        its --export .jsonl): human scores, their agreement, judge–human agreement
  --local               do not use LangSmith even when it is configured
  -h, --help            show this help`;

const list = (flag: string) =>
  z
    .string()
    .transform((s) =>
      s
        .split(",")
        .map((x) => x.trim())
        .filter(Boolean),
    )
    .refine((xs) => xs.length > 0, `${flag} needs at least one value`)
    .refine((xs) => new Set(xs).size === xs.length, `${flag} lists a value twice`);

export const EvalFlagsSchema = z
  .object({
    variants: list("--variants").optional(),
    lang: languageCodesFlag().optional(),
    n: wholeNumber("--n", 1, 100000).default("20"),
    out: z.string({ required_error: "--out DIR is required" }).min(1, "--out DIR is required"),
    seed: seedFlag,
    provider: providerFlag("--provider").default("llama-cpp"),
    model: z.string().min(1).optional(),
    "no-download": z.boolean().default(false),
    "base-url": z.string().min(1).optional(),
    threads: wholeNumber("--threads", 1, 256).optional(),
    turns: turnsFlag.optional(),
    concurrency: wholeNumber("--concurrency", 1, 64).default("1"),
    sessions: wholeNumber("--sessions", 1, MAX_SESSIONS).default("1"),
    "judge-model": z.string().min(1).optional(),
    "judge-provider": providerFlag("--judge-provider").optional(),
    "judge-base-url": z.string().min(1).optional(),
    "judge-prompts": z.string().min(1).default("baseline"),
    price: priceFlag.optional(),
    resamples: wholeNumber("--resamples", 100, 100000).default(String(DEFAULT_RESAMPLES)),
    "score-rejected": z.boolean().default(false),
    dataset: z.string().min(1).optional(),
    format: z
      .enum(["jsonl", "xpersona"], { errorMap: () => ({ message: "--format is jsonl or xpersona" }) })
      .optional(),
    reviews: z.string().min(1, "--reviews needs a file").optional(),
    local: z.boolean().default(false),
  })
  .superRefine((f, ctx) => {
    const fail = (message: string) => ctx.addIssue({ code: z.ZodIssueCode.custom, message });
    if (f.dataset) {
      const format =
        f.format ?? (f.dataset.endsWith(".jsonl") ? "jsonl" : f.dataset.endsWith(".json") ? "xpersona" : undefined);
      if (!format) fail("--format jsonl|xpersona is required (the file name does not say)");
      if (format === "xpersona" && f.lang && f.lang.length > 1) fail("--format xpersona takes one --lang");
      if (format === "xpersona" && f.variants) fail("--variants does not apply to an XPersona file");
      if (f.model || f["base-url"])
        fail("--model/--base-url generate dialogues; with --dataset only the judge runs (--judge-model)");
    } else {
      if (f.format) fail("--format goes with --dataset");
      if (!f.lang) fail("--lang is required to generate (for example --lang es), or give --dataset FILE");
    }
    if (f.reviews && !f.dataset) fail("--reviews goes with --dataset (the file the annotators rated)");
    if ((f["judge-provider"] || f["judge-base-url"]) && !f["judge-model"])
      fail("--judge-provider/--judge-base-url need --judge-model");
  });
export type EvalFlags = z.infer<typeof EvalFlagsSchema>;

const OPTIONS = {
  variants: { type: "string" },
  lang: { type: "string" },
  n: { type: "string" },
  out: { type: "string" },
  seed: { type: "string" },
  provider: { type: "string" },
  model: { type: "string" },
  "no-download": { type: "boolean" },
  "base-url": { type: "string" },
  threads: { type: "string" },
  turns: { type: "string" },
  concurrency: { type: "string" },
  sessions: { type: "string" },
  "judge-model": { type: "string" },
  "judge-provider": { type: "string" },
  "judge-base-url": { type: "string" },
  "judge-prompts": { type: "string" },
  price: { type: "string" },
  resamples: { type: "string" },
  "score-rejected": { type: "boolean" },
  dataset: { type: "string" },
  format: { type: "string" },
  reviews: { type: "string" },
  local: { type: "boolean" },
  help: { type: "boolean", short: "h" },
} as const;

/** The parsed flags, or null for --help. Throws UsageError with one line. */
export function parseEvalFlags(argv: string[]): EvalFlags | null {
  return parseCommandFlags(argv, OPTIONS, EvalFlagsSchema);
}

/** The dataset format: the flag, else the file's extension. */
export function datasetFormat(flags: EvalFlags): "jsonl" | "xpersona" {
  return flags.format ?? (flags.dataset!.endsWith(".jsonl") ? "jsonl" : "xpersona");
}
