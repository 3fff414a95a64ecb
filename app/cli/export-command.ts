/**
 * `npm run export -- --out FILE.jsonl --format messages,personachat [--splits 0.8,0.1,0.1]`: the exports of a
 * journal written after the fact, without generating anything — for a finished `npm run graph` run (local or
 * fleet), for `npm run eval`'s `DIR/records/<variant>.jsonl`, or to try other formats or splits. The same files
 * and card as the end of a graph session (app/run/export.ts).
 */
import { existsSync, statSync } from "node:fs";
import { z } from "zod";
import { writeDataset } from "../run/export.js";
import { readRecords } from "../run/record-file.js";
import { readRunFile } from "../run/run-config.js";
import { summarize } from "../run/summary.js";
import { UsageError } from "./errors.js";
import { recordedCommand } from "../../lib/records/format.js";
import { EXPORT_FLAG_OPTIONS, EXPORT_HELP, exportFlagTypes, exportOptions, parseCommandFlags } from "./flag-types.js";

export const EXPORT_COMMAND_HELP = `Usage: npm run export -- --out FILE.jsonl --format FORMATS [options]

Writes the exports of a journal (our JSONL records) next to it, with a dataset card, as \`npm run graph\` does at
the end of each session: for a finished graph or fleet run, for \`npm run eval\`'s DIR/records/VARIANT.jsonl, or to
try other formats and splits. Nothing is generated.

Options:
  --out FILE.jsonl      the journal                                                             [required]
${EXPORT_HELP}
  --seed N              seed of the splits                              [the run's seed (X.run.json), else 1]
  -h, --help            show this help`;

const ExportCommandSchema = z.object({
  out: z
    .string({ required_error: "--out FILE.jsonl is required (the journal to export)" })
    .refine((path) => path.endsWith(".jsonl"), "--out must name a .jsonl file"),
  seed: z
    .string()
    .regex(/^-?\d+$/, "--seed takes a whole number")
    .transform(Number)
    .optional(),
  ...exportFlagTypes,
});
export type ExportCommandFlags = z.infer<typeof ExportCommandSchema>;

const OPTIONS = {
  out: { type: "string" },
  seed: { type: "string" },
  ...EXPORT_FLAG_OPTIONS,
  help: { type: "boolean", short: "h" },
} as const;

export function parseExportFlags(argv: string[]): ExportCommandFlags | null {
  return parseCommandFlags(argv, OPTIONS, ExportCommandSchema);
}

/** Writes the exports; returns the files written. */
export function runExportCommand(flags: ExportCommandFlags, argv: readonly string[]): string[] {
  const options = exportOptions(flags);
  if (!existsSync(flags.out) || !statSync(flags.out).isFile()) throw new UsageError(`--out ${flags.out}: no such file`);
  const records = readRecords(flags.out).records;
  if (records.length === 0) throw new UsageError(`${flags.out} holds no dialogue`);
  const run = readRunFile(flags.out);
  const wallMs = run ? run.sessions.reduce((sum, s) => sum + s.wall_ms, 0) : null;
  return writeDataset({
    out: flags.out,
    records,
    ...options,
    seed: flags.seed ?? run?.config.seed ?? 1,
    summary: summarize(records, { wallMs }),
    config: run?.config ?? null,
    command: recordedCommand("export", argv),
  });
}
