import { parseArgs, type ParseArgsConfig } from "node:util";
import { z } from "zod";
import type { DialogueContext } from "../../graphs/dialogue/configuration.js";
import { resolveLanguage } from "../lang/languages.js";
import { PROVIDERS, type ProviderName } from "../models/errors.js";
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
  return z.string().refine((p): p is ProviderName => (PROVIDERS as readonly string[]).includes(p), (p) => ({
    message: `unknown ${flag} "${p}" (one of: ${PROVIDERS.join(", ")})`,
  }));
}

export const seedFlag = z.string().regex(/^-?\d+$/, "--seed takes a whole number").transform(Number).default("1");

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
    .transform((s) => s.split(",").map((tag) => tag.trim()).filter(Boolean))
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

/** The values of argv under a parseArgs table (no positionals); a mistake becomes a one-line UsageError. */
export function parseFlagValues(argv: string[], options: NonNullable<ParseArgsConfig["options"]>): Record<string, unknown> {
  try {
    return parseArgs({ args: argv, options, strict: true, allowPositionals: false }).values;
  } catch (error) {
    throw new UsageError((error as Error).message.split("\n")[0]!);
  }
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
  return parsed.data;
}
