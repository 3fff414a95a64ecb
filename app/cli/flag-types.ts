import { parseArgs, type ParseArgsConfig } from "node:util";
import { z } from "zod";
import type { DialogueContext } from "../../nodes/configuration.js";
import { resolveLanguage } from "../../lib/lang/languages.js";
import { PROVIDERS, type ProviderName } from "../../lib/models/errors.js";
import { UsageError } from "./errors.js";

/** zod types of the flags several commands share (graph, eval, worker), with their one-line messages. */

export function wholeNumber(flag: string, min: number, max?: number) {
  return z
    .string()
    .regex(/^\d+$/, `${flag} takes a whole number`)
    .transform(Number)
    .refine(
      (n) => n >= min && (max === undefined || n <= max),
      max === undefined ? `${flag} must be at least ${min}` : `${flag} must be between ${min} and ${max}`,
    );
}

export function providerFlag(flag: string) {
  return z.string().refine(
    (p): p is ProviderName => (PROVIDERS as readonly string[]).includes(p),
    (p) => ({
      message: `unknown ${flag} "${p}" (one of: ${PROVIDERS.join(", ")})`,
    }),
  );
}

/**
 * --seed: a whole number from 0 to 2^53-1 (beyond, a JavaScript number rounds it, and two seeds would share
 * their dialogue ids).
 */
export const seedFlag = z
  .string()
  .regex(/^-?\d+$/, "--seed takes a whole number")
  .refine((s) => !s.startsWith("-"), "--seed must be at least 0")
  .refine((s) => Number.isSafeInteger(Number(s)), `--seed must be at most ${Number.MAX_SAFE_INTEGER} (2^53-1)`)
  .transform(Number)
  .default("1");

export const turnsFlag = z
  .string()
  .regex(/^\d+-\d+$/, "--turns takes MIN-MAX, for example 8-14")
  .transform((s) => s.split("-").map(Number) as [number, number])
  .refine(([min, max]) => min >= 2 && min <= max && max <= 40, "--turns needs 2 <= MIN <= MAX <= 40");

export const priceFlag = z
  .string()
  .regex(/^\d+(\.\d+)?,\d+(\.\d+)?$/, "--price takes IN,OUT in USD per million tokens, for example 0.15,0.60")
  .transform((s) => {
    const [input, output] = s.split(",").map(Number) as [number, number];
    return { input, output };
  });

/** A duration in seconds (fractions allowed) between min and max. */
export function secondsFlag(flag: string, min: number, max: number) {
  return z
    .string()
    .regex(/^\d+(\.\d+)?$/, `${flag} takes seconds, for example ${Math.max(min, 30)}`)
    .transform(Number)
    .refine((n) => n >= min && n <= max, `${flag} must be between ${min} and ${max} seconds`);
}

/** Remote providers: how long one attempt may take, and how many attempts a call gets. */
export const requestTimeoutFlag = secondsFlag("--request-timeout", 1, 3600);
export const maxAttemptsFlag = wholeNumber("--max-attempts", 1, 10);

/** The model flags `npm run graph` and `npm run worker` share: their parser table and their zod types. */
export const MODEL_FLAG_OPTIONS = {
  provider: { type: "string" },
  model: { type: "string" },
  "base-url": { type: "string" },
  "judge-provider": { type: "string" },
  "judge-model": { type: "string" },
  "judge-base-url": { type: "string" },
  threads: { type: "string" },
  "request-timeout": { type: "string" },
  "max-attempts": { type: "string" },
  "no-download": { type: "boolean" },
} as const;

export const modelFlagTypes = {
  provider: providerFlag("--provider").default("llama-cpp"),
  model: z.string().min(1).optional(),
  "base-url": z.string().min(1).optional(),
  "judge-provider": providerFlag("--judge-provider").optional(),
  "judge-model": z.string().min(1).optional(),
  "judge-base-url": z.string().min(1).optional(),
  threads: wholeNumber("--threads", 1, 256).optional(),
  "request-timeout": requestTimeoutFlag.optional(),
  "max-attempts": maxAttemptsFlag.optional(),
  "no-download": z.boolean().default(false),
};

/** The model flags, parsed. */
export interface ModelFlags {
  provider: ProviderName;
  model?: string | undefined;
  "base-url"?: string | undefined;
  "judge-provider"?: ProviderName | undefined;
  "judge-model"?: string | undefined;
  "judge-base-url"?: string | undefined;
  threads?: number | undefined;
  "request-timeout"?: number | undefined;
  "max-attempts"?: number | undefined;
  /** never fetch the default model on first use (also POLYGLOT_NO_DOWNLOAD=1) */
  "no-download"?: boolean | undefined;
}

/** The model flags as the dialogue graph's context settings (unset flags leave the defaults). */
export function modelContext(flags: ModelFlags): DialogueContext {
  return {
    provider: flags.provider,
    ...(flags.model !== undefined ? { model: flags.model } : {}),
    ...(flags["base-url"] !== undefined ? { baseUrl: flags["base-url"] } : {}),
    ...(flags["judge-provider"] !== undefined ? { judgeProvider: flags["judge-provider"] } : {}),
    ...(flags["judge-model"] !== undefined ? { judgeModelName: flags["judge-model"] } : {}),
    ...(flags["judge-base-url"] !== undefined ? { judgeBaseUrl: flags["judge-base-url"] } : {}),
    ...(flags.threads !== undefined ? { threads: flags.threads } : {}),
    ...(flags["request-timeout"] !== undefined ? { requestTimeoutSeconds: flags["request-timeout"] } : {}),
    ...(flags["max-attempts"] !== undefined ? { maxAttempts: flags["max-attempts"] } : {}),
  };
}

/**
 * --lang CODES: comma-separated BCP-47 codes, each resolved to its canonical tag (pt-br → pt-BR) or refused with
 * the resolver's one line; the same language twice is refused too.
 */
export function languageCodesFlag(requiredError?: string) {
  return z
    .string(requiredError ? { required_error: requiredError } : {})
    .transform((s) =>
      s
        .split(",")
        .map((tag) => tag.trim())
        .filter(Boolean),
    )
    .refine((tags) => tags.length > 0, "--lang needs at least one language code")
    .transform((tags, ctx) =>
      tags.map((tag) => {
        const resolved = resolveLanguage(tag);
        if (resolved.ok) return resolved.lang.tag;
        ctx.addIssue({ code: z.ZodIssueCode.custom, message: resolved.message });
        return z.NEVER;
      }),
    )
    .refine((tags) => new Set(tags).size === tags.length, "--lang lists a language twice");
}

/**
 * The values of argv under a parseArgs table (no positionals); a mistake becomes a one-line UsageError. A negative
 * number after a flag that takes a value is that value (`--seed -1`, which parseArgs finds ambiguous), and an
 * empty value is refused naming its flag.
 */
export function parseFlagValues(
  argv: string[],
  options: NonNullable<ParseArgsConfig["options"]>,
): Record<string, unknown> {
  const takesValue = (arg: string | undefined) => arg?.startsWith("--") && options[arg.slice(2)]?.type === "string";
  const args = argv.flatMap((arg, i) =>
    /^-\d/.test(arg) && takesValue(argv[i - 1])
      ? []
      : /^-\d/.test(argv[i + 1] ?? "") && takesValue(arg)
        ? [`${arg}=${argv[i + 1]}`]
        : [arg],
  );
  let values: Record<string, unknown>;
  try {
    values = parseArgs({ args, options, strict: true, allowPositionals: false }).values;
  } catch (error) {
    throw new UsageError((error as Error).message.split("\n")[0]);
  }
  const empty = Object.entries(values).find(
    ([, value]) => value === "" || (Array.isArray(value) && value.includes("")),
  );
  if (empty) throw new UsageError(`--${empty[0]} must not be empty`);
  return values;
}

/**
 * A command's flags: node's parseArgs (unknown flags refused), then the command's zod schema. Null when the user
 * asked for --help; otherwise the parsed flags, or a UsageError with the first problem in one line. `defaults`
 * (values from the environment) apply where the command line says nothing.
 */
export function parseCommandFlags<S extends z.ZodTypeAny>(
  argv: string[],
  options: NonNullable<ParseArgsConfig["options"]>,
  schema: S,
  defaults: Record<string, unknown> = {},
): z.infer<S> | null {
  const values = parseFlagValues(argv, options);
  if (values.help) return null;
  const { help: _help, ...rest } = values;
  const parsed = schema.safeParse({ ...defaults, ...rest });
  if (!parsed.success) throw new UsageError(parsed.error.issues[0]!.message);
  return parsed.data as z.infer<S>;
}

// ── exports (graph and `npm run export`) ──────────────────────────────────────────────────────────────────
const FORMAT_NAMES = ["jsonl", "parquet", "messages", "personachat"] as const;

/** --format F[,F…]: jsonl, parquet, messages, personachat, comma-separated, none twice. */
export const exportFormatsFlag = z
  .string()
  .transform((s) =>
    s
      .split(",")
      .map((f) => f.trim())
      .filter(Boolean),
  )
  .refine((formats) => formats.length > 0, "--format needs at least one of jsonl, parquet, messages, personachat")
  .refine(
    (formats): formats is (typeof FORMAT_NAMES)[number][] =>
      formats.every((f) => (FORMAT_NAMES as readonly string[]).includes(f)),
    (formats) => ({
      message: `unknown --format "${formats.find((f) => !(FORMAT_NAMES as readonly string[]).includes(f))}" (jsonl, parquet, messages, personachat, comma-separated)`,
    }),
  )
  .refine((formats) => new Set(formats).size === formats.length, "--format lists a format twice");

/** --splits TRAIN,[VALIDATION,]TEST: shares in (0, 1) that sum to 1. */
export const splitsFlag = z
  .string()
  .regex(
    /^\d*\.?\d+(,\d*\.?\d+){1,2}$/,
    "--splits takes TRAIN,VALIDATION,TEST shares (or TRAIN,TEST), for example 0.8,0.1,0.1",
  )
  .transform((s) => s.split(",").map(Number))
  .refine((shares) => shares.every((x) => x > 0 && x < 1), "--splits shares are each above 0 and below 1")
  .refine(
    (shares) => Math.abs(shares.reduce((a, b) => a + b, 0) - 1) < 1e-9,
    (shares) => ({
      message: `--splits shares must sum to 1 (${shares.join(" + ")} = ${+shares.reduce((a, b) => a + b, 0).toFixed(6)})`,
    }),
  );

export const EXPORT_FLAG_OPTIONS = {
  format: { type: "string" },
  "accepted-only": { type: "boolean" },
  "include-rejected": { type: "boolean" },
  "common-ground": { type: "boolean" },
  splits: { type: "string" },
} as const;

export const exportFlagTypes = {
  format: exportFormatsFlag.default("jsonl"),
  "accepted-only": z.boolean().default(false),
  "include-rejected": z.boolean().default(false),
  "common-ground": z.boolean().default(false),
  splits: splitsFlag.optional(),
};

export const EXPORT_HELP = `  --format FORMATS      what is written next to the --out journal at the end of each session, with a
                        dataset card (X.card.md); comma-separated:                            [jsonl]
                          jsonl        our records (X.jsonl is the journal itself)
                          parquet      our records as Parquet (X.parquet)
                          messages     chat fine-tuning examples, one per speaker (X.messages.jsonl)
                          personachat  XPersona / ConvAI2 JSON (X.personachat.json)
  --accepted-only       jsonl / parquet: only accepted dialogues (the journal keeps every record)
  --include-rejected    messages / personachat: rejected dialogues too           [accepted only]
  --common-ground       messages: the common ground in each system message too
  --splits TR,VA,TE     persona-disjoint train / validation / test splits (or TR,TE), e.g. 0.8,0.1,0.1:
                        X.train.messages.jsonl, X.validation.messages.jsonl, … for every format`;

/** The export flags as runBatch / writeDatasetFiles options; a contradiction is a one-line UsageError. */
export function exportOptions(flags: {
  format: (typeof FORMAT_NAMES)[number][];
  "accepted-only": boolean;
  "include-rejected": boolean;
  "common-ground": boolean;
  splits?: number[] | undefined;
}) {
  if (flags["accepted-only"] && flags["include-rejected"])
    throw new UsageError("--accepted-only and --include-rejected contradict each other");
  return {
    formats: flags.format,
    acceptedOnly: flags["accepted-only"],
    includeRejected: flags["include-rejected"],
    commonGround: flags["common-ground"],
    splits: flags.splits ?? null,
  };
}
