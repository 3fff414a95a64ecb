/**
 * `npm run graph -- --lang es [flags]`: writes persona-grounded dialogues directly in the target language(s)
 * with the dialogue graph, prints each one readably, and appends its record to --out (JSONL) as soon as it is
 * finished. User mistakes end with one line on stderr and exit code 2; a failure of the model, exit code 1.
 */
import { appendFileSync, mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { parseArgs } from "node:util";
import { z } from "zod";
import { resolveConfig, type DialogueContext } from "../graphs/dialogue/configuration.js";
import { runDialogue } from "../graphs/dialogue/graph.js";
import { resolveLanguage } from "../lib/lang/languages.js";
import { createChatModel, ModelConfigError } from "../lib/models/factory.js";
import { loadPromptSet, PromptError } from "../lib/prompts/loader.js";
import { createRng, hashSeed } from "../lib/random.js";
import { loadPersonaFile, PersonaFileError, pickPersonaPair, type PersonaPool } from "../lib/records/personas.js";
import { type DialogueRecord, DialogueRecordSchema, formatZodError } from "../lib/records/schema.js";
import { loadSpeechEvents, speechEventIds } from "../lib/speech-events.js";
import { formatDialogue } from "./format.js";

const HELP = `Usage: npm run graph -- --lang CODE[,CODE…] [options]

Writes PersonaChat-style dialogues directly in the target language(s) with an open LLM.

Options:
  --lang CODES          target languages, BCP-47, comma-separated (es, fr, pt-BR, zh-Hans, …)   [required]
  --n N                 dialogues per language                                                  [1]
  --out FILE.jsonl      append one record per dialogue to FILE.jsonl
  --seed N              seed of every random choice                                             [1]
  --model PATH.gguf     local GGUF model for the embedded llama.cpp engine     [default model in the cache]
  --threads N           CPU threads for the embedded engine                                     [2]
  --turns MIN-MAX       turn budget of a dialogue                                               [8-14]
  --speech-event ID     use this speech event (ids: data/speech-events.json)     [seeded weighted pick]
  --personas FILE       English source personas: PersonaChat/ConvAI2/XPersona JSON, or JSONL of sentence
                        lists                                                  [built-in persona set]
  --variant NAME        prompt variant, a folder under prompts/                                 [baseline]
  --quiet               print one line per dialogue instead of the whole dialogue
  -h, --help            show this help`;

class UsageError extends Error {}

const positiveInt = (flag: string) =>
  z
    .string()
    .regex(/^\d+$/, `${flag} takes a whole number`)
    .transform(Number)
    .refine((n) => n >= 1, `${flag} must be at least 1`);

const FlagsSchema = z.object({
  lang: z.string({ required_error: "--lang is required (for example --lang es)" }),
  n: positiveInt("--n").default("1"),
  out: z.string().min(1).optional(),
  seed: z.string().regex(/^-?\d+$/, "--seed takes a whole number").transform(Number).default("1"),
  model: z.string().min(1).optional(),
  threads: positiveInt("--threads").optional(),
  turns: z
    .string()
    .regex(/^\d+-\d+$/, "--turns takes MIN-MAX, for example 8-14")
    .transform((s) => s.split("-").map(Number) as [number, number])
    .refine(([min, max]) => min >= 2 && min <= max && max <= 40, "--turns needs 2 <= MIN <= MAX <= 40")
    .optional(),
  "speech-event": z.string().min(1).optional(),
  personas: z.string().min(1).optional(),
  variant: z.string().min(1).default("baseline"),
  quiet: z.boolean().default(false),
  help: z.boolean().default(false),
});

function parseFlags(argv: string[]) {
  let values: Record<string, unknown>;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
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
        quiet: { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
    }));
  } catch (error) {
    throw new UsageError((error as Error).message.split("\n")[0]!);
  }
  if (values.help) return null;
  const parsed = FlagsSchema.safeParse(values);
  if (!parsed.success) throw new UsageError(parsed.error.issues[0]!.message);
  return parsed.data;
}

type Flags = NonNullable<ReturnType<typeof parseFlags>>;

/** Everything a user can get wrong, checked before any model loads. */
function validate(flags: Flags) {
  const languages = flags.lang.split(",").map((tag) => tag.trim()).filter(Boolean);
  if (languages.length === 0) throw new UsageError("--lang needs at least one language code");
  const tags = languages.map((tag) => {
    const resolved = resolveLanguage(tag);
    if (!resolved.ok) throw new UsageError(resolved.message);
    return resolved.lang.tag;
  });
  const eventId = flags["speech-event"];
  if (eventId && !speechEventIds(loadSpeechEvents()).includes(eventId)) {
    throw new UsageError(`unknown speech event "${eventId}" (see the ids in data/speech-events.json)`);
  }
  const pool: PersonaPool | null = flags.personas ? loadPersonaFile(flags.personas) : null;
  loadPromptSet(flags.variant);
  if (flags.out && !flags.out.endsWith(".jsonl")) throw new UsageError("--out must name a .jsonl file");
  const context: DialogueContext = {
    promptVariant: flags.variant,
    ...(flags.model ? { model: flags.model } : {}),
    ...(flags.threads ? { threads: flags.threads } : {}),
    ...(flags.turns ? { turnsMin: flags.turns[0], turnsMax: flags.turns[1] } : {}),
  };
  return { tags, pool, context, config: resolveConfig(context) };
}

function appendRecord(path: string, record: DialogueRecord): void {
  const checked = DialogueRecordSchema.safeParse(record);
  if (!checked.success) throw new Error(`refusing to write an invalid record ${record.id}: ${formatZodError(checked.error)}`);
  // one write of one whole line: a crash cannot leave half a record behind another
  appendFileSync(path, `${JSON.stringify(checked.data)}\n`);
}

async function main(argv: string[]): Promise<number> {
  const flags = parseFlags(argv);
  if (!flags) {
    console.log(HELP);
    return 0;
  }
  const { tags, pool, context, config } = validate(flags);
  const chatModel = createChatModel({ provider: config.provider, model: config.model, threads: config.threads, seed: flags.seed });
  if (flags.out) mkdirSync(dirname(flags.out), { recursive: true });
  const counts = { accepted: 0, rejected: 0 };
  try {
    for (const language of tags) {
      for (let index = 0; index < flags.n; index++) {
        const sourcePersonas = pool ? pickPersonaPair(pool, createRng(hashSeed(flags.seed, language, index, "personas"))) : undefined;
        const state = await runDialogue(
          {
            language,
            seed: flags.seed,
            index,
            ...(sourcePersonas ? { sourcePersonas } : {}),
            ...(flags["speech-event"] ? { speechEventId: flags["speech-event"] } : {}),
          },
          { ...context, chatModel },
        );
        const record = state.record;
        if (!record) throw new Error("the graph ended without a record");
        if (flags.out) appendRecord(flags.out, record);
        counts[record.status]++;
        console.log(flags.quiet ? formatDialogue(record, { brief: true }) : `${formatDialogue(record)}\n`);
      }
    }
  } finally {
    await chatModel.dispose();
  }
  const where = flags.out ? ` → ${flags.out}` : "";
  console.error(`${counts.accepted + counts.rejected} dialogues: ${counts.accepted} accepted, ${counts.rejected} rejected${where}`);
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    const message = error instanceof Error ? error.message.split("\n")[0] : String(error);
    const userMistake =
      error instanceof UsageError || error instanceof PersonaFileError || error instanceof PromptError || error instanceof ModelConfigError;
    console.error(`polyglot-personachat: ${message}${error instanceof UsageError ? " (see --help)" : ""}`);
    process.exit(userMistake ? 2 : 1);
  },
);
