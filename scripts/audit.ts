/**
 * Run the deterministic gates on a dialogue dataset.
 *
 *   npm run audit -- FILE [--format jsonl|parquet|xpersona] [--lang CODE] [--json]
 *
 * FILE: XPersona / ConvAI2 JSON (`[{persona, dialogue: [[user, reply], …]}]`), our JSONL records
 * (`{"id", "language", "turns": [{"speaker", "text"}]}` per line), or our records as Parquet (what
 * `npm run export -- --format parquet` writes; its id, language and turns columns are read, with hyparquet). The
 * format is taken from --format, else from the extension (.jsonl/.ndjson, .parquet, .json), else from the content
 * (Parquet's `PAR1` magic, `[` or `{`). XPersona files need --lang unless the file name starts with
 * En_/Fr_/Id_/It_/Jp_/Ko_/Zh_. For our records, --lang overrides each record's language.
 *
 * A multi-session series record is audited session by session (every session's turns, a later session with the
 * `first_meeting` check on), its failures naming their session.
 *
 * Output: a per-check summary table, or with --json one line per dialogue
 * `{"id","ok","reasons":[{"check","turn","detail","session"?}]}`. Exit 0 when the audit ran (whatever it found); 2 with a
 * one-line message on stderr for bad flags or an unreadable / malformed file.
 */

import { readFileSync } from "node:fs";
import { basename, extname } from "node:path";
import { parseArgs } from "node:util";
import { ZodError } from "zod";
import { resolveLanguage } from "../lib/lang/languages.js";
import {
  JsonlRecordSchema,
  languageFromXPersonaName,
  parseXPersona,
  type DatasetDialogue,
} from "../lib/gates/datasets.js";
import { CHECK_NAMES, type CheckName, type GateFailure } from "../lib/gates/types.js";

class UsageError extends Error {}

const USAGE = "usage: npm run audit -- FILE [--format jsonl|parquet|xpersona] [--lang CODE] [--json]";

const HELP = `Usage: npm run audit -- FILE [options]

Runs the deterministic quality gates (the checks the graph runs on every turn) over a dataset and prints how many
dialogues and turns fail each check.

  FILE               our records (JSONL, one record per line, or the Parquet file npm run export writes)
                     or XPersona / ConvAI2 JSON
  --format F         jsonl, parquet or xpersona                             [from the extension / content]
  --lang CODE        the language of an XPersona file                       [from its file name]
  --json             one JSON line per dialogue ({id, ok, reasons}) instead of the table
  -h, --help         this help

Exit codes: 0 every dialogue passes, 1 some dialogue fails a check (for CI), 2 bad input or flags.`;

const FORMATS = ["jsonl", "parquet", "xpersona"] as const;
type Format = (typeof FORMATS)[number];

interface Options {
  file: string;
  format?: Format;
  lang?: string;
  json: boolean;
}

function parseOptions(argv: string[]): Options | "help" {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        format: { type: "string" },
        lang: { type: "string" },
        json: { type: "boolean", default: false },
        help: { type: "boolean", short: "h", default: false },
      },
    });
  } catch (e) {
    throw new UsageError(`${oneLine((e as Error).message)} (${USAGE})`);
  }
  const { values, positionals } = parsed;
  if (values.help) return "help";
  if (positionals.length !== 1)
    throw new UsageError(
      positionals.length === 0 ? `missing FILE (${USAGE})` : `expected one FILE, got ${positionals.length} (${USAGE})`,
    );
  const format = values.format;
  if (format !== undefined && !(FORMATS as readonly string[]).includes(format))
    throw new UsageError(`unknown --format "${format}" (expected jsonl, parquet or xpersona)`);
  if (values.lang !== undefined) {
    const r = resolveLanguage(values.lang);
    if (!r.ok) throw new UsageError(`--lang: ${r.message}`);
  }
  return {
    file: positionals[0]!,
    ...(format ? { format: format as Format } : {}),
    ...(values.lang ? { lang: values.lang } : {}),
    json: values.json,
  };
}

function oneLine(s: string): string {
  return s.replace(/\s*\n\s*/g, " ").trim();
}

function zodSummary(e: ZodError): string {
  const issue = e.issues[0];
  if (!issue) return "invalid data";
  const path = issue.path.length ? issue.path.join(".") : "(root)";
  return `${path}: ${issue.message}${e.issues.length > 1 ? ` (+${e.issues.length - 1} more)` : ""}`;
}

const PARQUET_MAGIC = "PAR1";

function detectFormat(file: string, bytes: Buffer): Format {
  const ext = extname(file).toLowerCase();
  if (ext === ".jsonl" || ext === ".ndjson") return "jsonl";
  if (ext === ".parquet") return "parquet";
  if (ext === ".json") return "xpersona";
  if (bytes.subarray(0, 4).toString("latin1") === PARQUET_MAGIC) return "parquet";
  const first = bytes.subarray(0, 4096).toString("utf8").trimStart()[0];
  if (first === "[") return "xpersona";
  if (first === "{") return "jsonl";
  throw new UsageError(`cannot tell the format of ${file} (use --format jsonl|xpersona)`);
}

interface Loaded {
  records: Array<DatasetDialogue & { language: string }>;
}

/** One of our records (a JSONL line, a Parquet row) as the gates read it; `where` names it in an error. */
function ourRecord(obj: unknown, where: string, lang: string | undefined): Loaded["records"][number] {
  const r = JsonlRecordSchema.safeParse(obj);
  if (!r.success) throw new UsageError(`${where}: ${zodSummary(r.error)}`);
  const language = lang ?? r.data.language;
  const res = resolveLanguage(language);
  if (!res.ok) throw new UsageError(`${where}: ${res.message}`);
  const turnsOf = (turns: { speaker: string; text: string }[]) =>
    turns.map((t) => ({ speaker: t.speaker, text: t.text }));
  return {
    id: r.data.id,
    language,
    turns: turnsOf(r.data.turns),
    ...(r.data.sessions?.length
      ? { sessions: r.data.sessions.map((s) => ({ session: s.session, turns: turnsOf(s.turns) })) }
      : {}),
  };
}

function loadJsonl(file: string, text: string, lang: string | undefined): Loaded {
  const records: Loaded["records"] = [];
  const lines = text.split(/\r?\n/);
  lines.forEach((line, i) => {
    if (line.trim() === "") return;
    let obj: unknown;
    try {
      obj = JSON.parse(line);
    } catch (e) {
      throw new UsageError(`${file} line ${i + 1}: invalid JSON (${oneLine((e as Error).message)})`);
    }
    records.push(ourRecord(obj, `${file} line ${i + 1}`, lang));
  });
  if (records.length === 0) throw new UsageError(`${file}: no records`);
  return { records };
}

/** The columns of our Parquet export (app/run/export.ts) that the gates read. */
const PARQUET_COLUMNS = ["id", "language", "turns"];

async function loadParquet(file: string, bytes: Buffer, lang: string | undefined): Promise<Loaded> {
  const { parquetMetadata, parquetReadObjects, parquetSchema } = await import("hyparquet");
  const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  let metadata: ReturnType<typeof parquetMetadata>;
  try {
    metadata = parquetMetadata(buffer);
  } catch (e) {
    throw new UsageError(`${file}: not a readable Parquet file (${oneLine((e as Error).message)})`);
  }
  const columns = parquetSchema(metadata).children.map((child) => child.element.name);
  const missing = PARQUET_COLUMNS.filter((name) => !columns.includes(name));
  if (missing.length)
    throw new UsageError(
      `${file}: a Parquet file without the column(s) ${missing.join(", ")} (audit reads the records npm run export -- --format parquet writes)`,
    );
  let rows: Record<string, unknown>[];
  try {
    // a file with series has their sessions too (audited session by session, as in the JSONL)
    const read = columns.includes("sessions") ? [...PARQUET_COLUMNS, "sessions"] : PARQUET_COLUMNS;
    rows = await parquetReadObjects({ file: buffer, metadata, columns: read });
  } catch (e) {
    throw new UsageError(`${file}: cannot read its rows (${oneLine((e as Error).message)})`);
  }
  const records = rows.map((row, i) => ourRecord(row, `${file} row ${i + 1}`, lang));
  if (records.length === 0) throw new UsageError(`${file}: no records`);
  return { records };
}

function loadXPersonaFile(file: string, text: string, lang: string | undefined): Loaded {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new UsageError(`${file}: invalid JSON (${oneLine((e as Error).message)})`);
  }
  let dialogues: DatasetDialogue[];
  try {
    dialogues = parseXPersona(json);
  } catch (e) {
    if (e instanceof ZodError) throw new UsageError(`${file}: not XPersona/ConvAI2 JSON: ${zodSummary(e)}`);
    throw e;
  }
  const language = lang ?? languageFromXPersonaName(basename(file));
  if (!language)
    throw new UsageError(
      `--lang is required for ${basename(file)} (the language cannot be inferred from the file name)`,
    );
  return { records: dialogues.map((d) => ({ ...d, language })) };
}

function pct(n: number, d: number): string {
  return d === 0 ? "—" : `${((100 * n) / d).toFixed(2)}%`;
}

function table(head: string[], rows: string[][]): string {
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(w[i]!) : c.padStart(w[i]!))).join("  ");
  return [line(head), w.map((n) => "-".repeat(n)).join("  "), ...rows.map(line)].join("\n");
}

async function main(argv: string[]): Promise<number> {
  const opts = parseOptions(argv);
  if (opts === "help") {
    console.log(HELP);
    return 0;
  }
  let bytes: Buffer;
  try {
    bytes = readFileSync(opts.file);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw new UsageError(
      `cannot read ${opts.file}: ${err.code === "ENOENT" ? "no such file" : err.code === "EISDIR" ? "is a directory" : oneLine(err.message)}`,
    );
  }
  const format = opts.format ?? detectFormat(opts.file, bytes);
  const { records } =
    format === "parquet"
      ? await loadParquet(opts.file, bytes, opts.lang)
      : format === "jsonl"
        ? loadJsonl(opts.file, bytes.toString("utf8"), opts.lang)
        : loadXPersonaFile(opts.file, bytes.toString("utf8"), opts.lang);
  // the gates load the language detector's model: only once the input is known to be good
  const { dialogueGateFailures } = await import("../lib/gates/index.js");

  const dialogsBy: Partial<Record<CheckName, number>> = {};
  const turnsBy: Partial<Record<CheckName, number>> = {};
  let rejected = 0;
  let failing = 0;
  let turns = 0;
  let series = 0;
  let sessions = 0;
  const languages = new Set<string>();
  const out: string[] = [];
  for (const rec of records) {
    languages.add(rec.language);
    // a series: every session, a later one with the first_meeting check on (the two have met before)
    const parts = rec.sessions ?? [{ session: 0, turns: rec.turns }];
    if (rec.sessions) {
      series++;
      sessions += rec.sessions.length;
    }
    const fails: (GateFailure & { session?: number })[] = [];
    for (const part of parts) {
      turns += part.turns.length;
      for (const failure of dialogueGateFailures(part.turns, {
        lang: rec.language,
        sessionsBefore: Math.max(0, part.session - 1),
      }))
        fails.push(rec.sessions ? { ...failure, session: part.session } : failure);
    }
    if (fails.length) failing++;
    if (opts.json) {
      out.push(
        JSON.stringify({
          id: rec.id,
          ok: fails.length === 0,
          reasons: fails.map((f) => ({
            check: f.check,
            turn: f.turn,
            detail: f.detail,
            ...(f.session ? { session: f.session } : {}),
          })),
        }),
      );
      if (out.length >= 1000) {
        process.stdout.write(`${out.join("\n")}\n`);
        out.length = 0;
      }
      continue;
    }
    if (fails.length) rejected++;
    const seen = new Set<CheckName>();
    for (const f of fails) {
      turnsBy[f.check] = (turnsBy[f.check] ?? 0) + 1;
      if (!seen.has(f.check)) {
        seen.add(f.check);
        dialogsBy[f.check] = (dialogsBy[f.check] ?? 0) + 1;
      }
    }
  }
  if (opts.json) {
    if (out.length) process.stdout.write(`${out.join("\n")}\n`);
    return failing > 0 ? 1 : 0;
  }
  const n = records.length;
  const seriesNote = series ? ` (${series} multi-session series, ${sessions} sessions, every session audited)` : "";
  console.log(
    `${opts.file}: ${n} dialogue(s)${seriesNote}, ${turns} turn(s), language ${[...languages].join(", ")} (${format})\n`,
  );
  console.log(
    table(
      ["check", "dialogues", "% dialogues", "turns"],
      [
        ...CHECK_NAMES.map((c) => [c, String(dialogsBy[c] ?? 0), pct(dialogsBy[c] ?? 0, n), String(turnsBy[c] ?? 0)]),
        ["any", String(rejected), pct(rejected, n), String(Object.values(turnsBy).reduce((a, b) => a + b, 0))],
      ],
    ),
  );
  for (const l of languages) {
    const r = resolveLanguage(l);
    if (r.ok && r.lang.detector.note) console.log(`\nnote (${r.lang.tag}): ${r.lang.detector.note}`);
  }
  return failing > 0 ? 1 : 0;
}

// a closed pipe (audit … --json | head) ends the run quietly
process.stdout.on("error", (e: NodeJS.ErrnoException) => {
  if (e.code === "EPIPE") process.exit(0);
  process.stderr.write(`audit: cannot write output: ${oneLine(e.message)}\n`);
  process.exit(2);
});

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    const msg =
      e instanceof UsageError ? e.message : `unexpected error: ${oneLine(e instanceof Error ? e.message : String(e))}`;
    process.stderr.write(`audit: ${msg}\n`);
    process.exitCode = 2;
  },
);
