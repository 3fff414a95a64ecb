// npm run model:tiny -- --out PATH [--seed N] [--context-length N] [--language CODE | --words FILE]
// Writes a tiny deterministic random-weight llama GGUF (for tests / smoke runs) and prints its path. With
// --language (a list in data/tiny-words) or --words (any text or JSON file in one language, e.g. an XPersona file)
// it is a word model: its random weights write word salad of that language's words.
import { parseArgs } from "node:util";
import { mkdir, readFile } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { z } from "zod";
import { tinyWordsFor, wordsFromText, writeTinyGguf } from "../lib/models/tiny-gguf.js";

const USAGE =
  "usage: npm run model:tiny -- --out PATH.gguf [--seed N] [--context-length N] [--language CODE | --words FILE]";
const HELP = `Usage: npm run model:tiny -- --out PATH.gguf [options]

Writes a tiny deterministic random-weight llama GGUF (for tests and smoke runs; it writes gibberish) and prints
its path.

  --out PATH.gguf        where to write it (folders are created)
  --seed N               seed of the random weights                 [fixed]
  --context-length N     the model's context length, at least 16    [the writer's default]
  --language CODE        a word model of that language's words (data/tiny-words)
  --words FILE           a word model of the words of any text or JSON file in one language
  -h, --help             this help`;

const intString = (name: string, min: number) =>
  z
    .string()
    .regex(/^\d+$/, `--${name} must be a non-negative integer`)
    .transform(Number)
    .pipe(z.number().int().min(min, `--${name} must be >= ${min}`));

const FlagsSchema = z
  .object({
    out: z
      .string({ required_error: "missing --out PATH" })
      .min(1, "--out must not be empty")
      .refine((p) => p.toLowerCase().endsWith(".gguf"), "--out must end in .gguf"),
    seed: intString("seed", 0).optional(),
    "context-length": intString("context-length", 16).optional(),
    language: z
      .string()
      .regex(/^[a-z]{2,3}$/, "--language must be a language code such as it")
      .optional(),
    words: z.string().min(1, "--words must not be empty").optional(),
  })
  .refine((flags) => !(flags.language && flags.words), "give --language or --words, not both");

function fail(message: string): never {
  process.stderr.write(`model:tiny: ${message.split("\n")[0]}  (${USAGE})\n`);
  process.exit(2);
}

async function main(): Promise<void> {
  let values: unknown;
  try {
    ({ values } = parseArgs({
      args: process.argv.slice(2),
      options: {
        out: { type: "string" },
        seed: { type: "string" },
        "context-length": { type: "string" },
        language: { type: "string" },
        words: { type: "string" },
        help: { type: "boolean", short: "h" },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    fail(err instanceof Error ? err.message : String(err));
  }
  if ((values as { help?: boolean }).help) {
    process.stdout.write(`${HELP}\n`);
    process.exit(0);
  }
  const parsed = FlagsSchema.safeParse(values);
  if (!parsed.success) fail(parsed.error.issues[0]?.message ?? "invalid flags");
  const { out, seed, "context-length": contextLength, language, words: wordsFile } = parsed.data;
  let words: string[] | undefined;
  try {
    if (language) words = tinyWordsFor(language);
  } catch (err) {
    fail((err as Error).message);
  }
  if (wordsFile) {
    let text: string;
    try {
      text = await readFile(wordsFile, "utf8");
    } catch (err) {
      fail(`cannot read --words ${wordsFile}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
    words = wordsFromText(text);
    if (words.length < 50)
      fail(`--words ${wordsFile} holds ${words.length} distinct lower-case words; a word model needs at least 50`);
  }
  const path = resolve(out);
  try {
    await mkdir(dirname(path), { recursive: true });
    await writeTinyGguf(path, { seed, contextLength, words });
  } catch (err) {
    process.stderr.write(`model:tiny: cannot write ${path}: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  }
  process.stdout.write(`${path}\n`);
}

await main();
