import { parseArgs } from "node:util";
import { z } from "zod";
import { UsageError } from "../../app/cli/errors.js";
import { seedFlag, wholeNumber } from "../../app/cli/flag-types.js";

/** The flags of \`npm run review\` (scripts/review.ts): a positional dataset, a parseArgs table, a zod schema. */

export const REVIEW_HELP = `Usage:
  npm run review -- DATA.jsonl [options]                 serve the review page for a sample of DATA.jsonl
  npm run review -- DATA.jsonl --export FILE.csv|.jsonl   write the ratings so far

Native speakers rate dialogues one at a time (both personas, the kind of talk, the common ground, the turns as
a chat) on the self-critique's rubric: persona faithfulness, speech-event fit, naturalness (1–5), a verdict,
the turns that are wrong, and a comment. Each annotator signs in by name and sees the sample in their own
seeded order, blind to variant and model; a reload resumes where they stopped. Ratings are kept in SQLite
(WAL) next to the data; \`npm run eval -- --dataset DATA.jsonl --reviews DB\` reports them.

Options:
  --sample N       rate N dialogues drawn from the file (seeded)                       [all]
  --seed S         seed of the sample and of each annotator's order                    [1]
  --status S       accepted (the dataset as published) or all (calibrate the critique)  [accepted]
  --db FILE        the ratings database                              [DATA.reviews.sqlite]
  --port P         port                                                                [8765]
  --host H         interface; anything but loopback needs an access token             [127.0.0.1]
  --token T        access token every request must carry (or REVIEW_TOKEN); made up when serving
                   beyond loopback without one
  --export FILE    write the current ratings as CSV (.csv) or JSONL (.jsonl) and exit
  -h, --help       show this help`;

const OPTIONS = {
  sample: { type: "string" },
  seed: { type: "string" },
  status: { type: "string" },
  db: { type: "string" },
  port: { type: "string" },
  host: { type: "string" },
  token: { type: "string" },
  export: { type: "string" },
  help: { type: "boolean", short: "h" },
} as const;

const ReviewFlagsSchema = z.object({
  data: z
    .string({ required_error: "name the dataset: npm run review -- DATA.jsonl" })
    .min(1, "name the dataset: npm run review -- DATA.jsonl"),
  sample: wholeNumber("--sample", 1, 100000).optional(),
  seed: seedFlag,
  status: z
    .enum(["accepted", "all"], { errorMap: () => ({ message: "--status is accepted or all" }) })
    .default("accepted"),
  db: z.string().min(1, "--db needs a file name").optional(),
  port: wholeNumber("--port", 0, 65535).default("8765"),
  host: z.string().min(1, "--host needs an interface").default("127.0.0.1"),
  token: z.string().min(16, "--token needs at least 16 characters").optional(),
  export: z
    .string()
    .refine((f) => /\.(csv|jsonl)$/i.test(f), "--export writes a .csv or a .jsonl file")
    .optional(),
});
export type ReviewFlags = z.infer<typeof ReviewFlagsSchema>;

export function parseReviewFlags(argv: string[], env: NodeJS.ProcessEnv = process.env): ReviewFlags | null {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS, strict: true, allowPositionals: true });
  } catch (error) {
    throw new UsageError((error as Error).message.split("\n")[0]);
  }
  if (parsed.values.help) return null;
  if (parsed.positionals.length > 1)
    throw new UsageError(`one dataset at a time (got ${parsed.positionals.length} files)`);
  const { help: _help, ...values } = parsed.values;
  const result = ReviewFlagsSchema.safeParse({
    ...values,
    token: values.token ?? (env.REVIEW_TOKEN || undefined),
    data: parsed.positionals[0],
  });
  if (!result.success) throw new UsageError(result.error.issues[0]!.message);
  return result.data;
}
