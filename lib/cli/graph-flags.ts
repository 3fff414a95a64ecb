import { parseArgs } from "node:util";
import { z } from "zod";
import { UsageError } from "./errors.js";

/** The flags of `npm run graph`: one table for the parser, one zod schema for their values. */

export const GRAPH_HELP = `Usage: npm run graph -- --lang CODE[,CODE…] [options]

Writes PersonaChat-style dialogues directly in the target language(s) with an open LLM.

Options:
  --lang CODES          target languages, BCP-47, comma-separated (es, fr, pt-BR, zh-Hans, …)   [required]
  --n N                 dialogues per language                                                  [1]
  --out FILE.jsonl      append one record per dialogue; rerunning the same command resumes
  --seed N              seed of every random choice                                             [1]
  --model PATH.gguf     local GGUF model for the embedded llama.cpp engine     [default model in the cache]
  --threads N           CPU threads for the embedded engine                                     [2]
  --turns MIN-MAX       turn budget of a dialogue                                               [8-14]
  --speech-event ID     use this speech event (ids: data/speech-events.json)     [seeded weighted pick]
  --personas FILE       English source personas: PersonaChat/ConvAI2/XPersona JSON, or JSONL of sentence
                        lists                                                  [built-in persona set]
  --variant NAME        prompt variant, a folder under prompts/                                 [baseline]
  --concurrency N       dialogues in flight at once                                             [1]
  --quiet               print one line per dialogue instead of the whole dialogue
  -h, --help            show this help`;

const wholeNumber = (flag: string, min: number) =>
  z
    .string()
    .regex(/^\d+$/, `${flag} takes a whole number`)
    .transform(Number)
    .refine((n) => n >= min, `${flag} must be at least ${min}`);

export const GraphFlagsSchema = z.object({
  lang: z
    .string({ required_error: "--lang is required (for example --lang es)" })
    .transform((s) => s.split(",").map((tag) => tag.trim()).filter(Boolean))
    .refine((tags) => tags.length > 0, "--lang needs at least one language code"),
  n: wholeNumber("--n", 1).default("1"),
  out: z
    .string()
    .refine((path) => path.endsWith(".jsonl"), "--out must name a .jsonl file")
    .optional(),
  seed: z.string().regex(/^-?\d+$/, "--seed takes a whole number").transform(Number).default("1"),
  model: z.string().min(1).optional(),
  threads: wholeNumber("--threads", 1).optional(),
  turns: z
    .string()
    .regex(/^\d+-\d+$/, "--turns takes MIN-MAX, for example 8-14")
    .transform((s) => s.split("-").map(Number) as [number, number])
    .refine(([min, max]) => min >= 2 && min <= max && max <= 40, "--turns needs 2 <= MIN <= MAX <= 40")
    .optional(),
  "speech-event": z.string().min(1).optional(),
  personas: z.string().min(1).optional(),
  variant: z.string().min(1).default("baseline"),
  concurrency: wholeNumber("--concurrency", 1).default("1"),
  quiet: z.boolean().default(false),
});
export type GraphFlags = z.infer<typeof GraphFlagsSchema>;

const OPTIONS = {
  lang: { type: "string" },
  n: { type: "string" },
  out: { type: "string" },
  seed: { type: "string" },
  model: { type: "string" },
  threads: { type: "string" },
  turns: { type: "string" },
  "speech-event": { type: "string" },
  personas: { type: "string" },
  variant: { type: "string" },
  concurrency: { type: "string" },
  quiet: { type: "boolean" },
  help: { type: "boolean", short: "h" },
} as const;

/** The parsed flags, or null when the user asked for --help. Throws UsageError with one line. */
export function parseGraphFlags(argv: string[]): GraphFlags | null {
  let values: Record<string, unknown>;
  try {
    ({ values } = parseArgs({ args: argv, strict: true, allowPositionals: false, options: OPTIONS }));
  } catch (error) {
    throw new UsageError((error as Error).message.split("\n")[0]!);
  }
  if (values.help) return null;
  const { help: _help, ...rest } = values;
  const parsed = GraphFlagsSchema.safeParse(rest);
  if (!parsed.success) throw new UsageError(parsed.error.issues[0]!.message);
  return parsed.data;
}
