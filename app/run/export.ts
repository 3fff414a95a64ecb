/**
 * Exports of a run, rebuilt from the JSONL journal (`X.jsonl`, the crash-safe record of the run) at the end of
 * every session:
 *
 * - `--format parquet` → `X.parquet` next to it, with nested columns as Hugging Face `datasets`, pandas/pyarrow,
 *   DuckDB and Polars read them: turns as list<struct<speaker, text>>, personas as list<struct<speaker, name,
 *   sentences: list<string>, source_sentences: list<string>>>, speech_event / critique / provenance as structs,
 *   created_at as a UTC timestamp. Parquet cannot be appended to crash-safely (its footer is written last), so
 *   the JSONL stays the journal and the Parquet file is written whole, to a temporary name then renamed.
 * - `--accepted-only` → only accepted dialogues in the export (`X.parquet`, or `X.accepted.jsonl` for JSONL:
 *   the journal itself keeps every record, since resume needs the rejected ones too).
 * - a dataset card `X.card.md` (Hugging Face YAML header: languages, size category, license left for the user;
 *   then the run's configuration and figures). Not `README.md`, which could overwrite a project's own readme
 *   when --out is in a repository root: rename it to README.md in the dataset's repository.
 */
import { renameSync } from "node:fs";
import { temporaryName, writeFileSafely } from "../../lib/security/safe-write.js";
import { basename } from "node:path";
import { parquetWriteFile } from "hyparquet-writer";
import type { DialogueRecord } from "../../lib/records/schema.js";
import { type RunConfig, siblingPath } from "./run-config.js";
import { planSplits, type SplitPlan } from "./splits.js";
import { formatSummaryTable, type RunSummary } from "./summary.js";
import { toMessagesExamples, toPersonaChatEntries } from "./training.js";

/** jsonl / parquet: our records; messages / personachat: training-ready shapes (app/run/training.ts) */
export const EXPORT_FORMATS = ["jsonl", "parquet", "messages", "personachat"] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];
export const isTrainingFormat = (format: ExportFormat) => format === "messages" || format === "personachat";

// ── Parquet ────────────────────────────────────────────────────────────────────────────────────────────────
interface SchemaElement {
  name: string;
  type?: "BOOLEAN" | "INT32" | "INT64" | "DOUBLE" | "BYTE_ARRAY";
  repetition_type?: "REQUIRED" | "OPTIONAL" | "REPEATED";
  converted_type?: "UTF8" | "LIST" | "TIMESTAMP_MILLIS";
  num_children?: number;
}
type Node = { element: SchemaElement; children?: Node[] };

const leaf = (
  name: string,
  type: SchemaElement["type"],
  required = false,
  converted?: SchemaElement["converted_type"],
): Node => ({
  element: {
    name,
    type,
    repetition_type: required ? "REQUIRED" : "OPTIONAL",
    ...(converted ? { converted_type: converted } : {}),
  },
});
const str = (name: string, required = false) => leaf(name, "BYTE_ARRAY", required, "UTF8");
const struct = (name: string, children: Node[]): Node => ({
  element: { name, repetition_type: "OPTIONAL", num_children: children.length },
  children,
});
/** The standard three-level LIST: optional group (LIST) { repeated group list { optional element } }. */
const list = (name: string, element: Node): Node => ({
  element: { name, repetition_type: "OPTIONAL", converted_type: "LIST", num_children: 1 },
  children: [
    {
      element: { name: "list", repetition_type: "REPEATED", num_children: 1 },
      children: [{ ...element, element: { ...element.element, name: "element" } }],
    },
  ],
});

// the parts a record and each session of a series share
const speechEventColumn = () => struct("speech_event", [str("id"), str("name"), str("category")]);
const personasColumn = () =>
  list(
    "personas",
    struct("element", [
      str("speaker"),
      str("name"),
      list("sentences", str("element")),
      list("source_sentences", str("element")),
    ]),
  );
const turnsColumn = () => list("turns", struct("element", [str("speaker"), str("text")]));
/** A session of a series adds its own scores (memory_consistency) after the three every critique has. */
const critiqueColumn = (sessionScores: Node[] = []) =>
  struct("critique", [
    leaf("persona_faithfulness", "INT32"),
    leaf("speech_event_fit", "INT32"),
    leaf("naturalness", "INT32"),
    ...sessionScores,
    str("verdict"),
    list("offending_turns", leaf("element", "INT32")),
    str("feedback"),
  ]);

const COLUMNS: Node[] = [
  str("id", true),
  str("language", true),
  str("source_language", true),
  str("status", true),
  list(
    "rejection_reasons",
    struct("element", [str("check"), str("detail"), leaf("turn", "INT32"), leaf("session", "INT32")]),
  ),
  speechEventColumn(),
  str("common_ground"),
  personasColumn(),
  turnsColumn(),
  critiqueColumn(),
  struct("provenance", [
    str("provider"),
    str("model"),
    str("prompt_variant"),
    str("prompt_hash"),
    leaf("seed", "INT64"),
    leaf("attempts", "INT32"),
    struct("usage", [leaf("input_tokens", "INT64"), leaf("output_tokens", "INT64")]),
    leaf("created_at", "INT64", false, "TIMESTAMP_MILLIS"),
    leaf("duration_ms", "DOUBLE"),
    leaf("threads", "INT32"),
    str("trace_id"),
  ]),
  struct("failed_attempt", [
    str("stage"),
    str("speaker"),
    leaf("turn", "INT32"),
    leaf("session", "INT32"),
    str("text"),
  ]),
  // multi-session series only (null for a single dialogue): every session, as in the JSONL record
  list(
    "sessions",
    struct("element", [
      leaf("session", "INT32"),
      struct("gap", [str("kind"), leaf("amount", "INT32"), str("unit")]),
      str("status"),
      speechEventColumn(),
      str("common_ground"),
      personasColumn(),
      turnsColumn(),
      critiqueColumn([leaf("memory_consistency", "INT32")]),
      list(
        "memory",
        struct("element", [
          str("speaker"),
          str("summary"),
          list("new_facts", str("element")),
          list("partner_facts", str("element")),
        ]),
      ),
    ]),
  ),
];

function flattenSchema(nodes: Node[]): SchemaElement[] {
  const out: SchemaElement[] = [];
  const walk = (node: Node) => {
    out.push(node.element);
    node.children?.forEach(walk);
  };
  nodes.forEach(walk);
  return out;
}

export const PARQUET_SCHEMA: SchemaElement[] = [
  { name: "root", num_children: COLUMNS.length },
  ...flattenSchema(COLUMNS),
];

/** A record in the shapes the Parquet writer wants (64-bit integers as bigint, the timestamp as a Date). */
function parquetRow(record: DialogueRecord): Record<string, unknown> {
  const p = record.provenance;
  return {
    ...record,
    rejection_reasons: record.rejection_reasons.map((r) => ({
      check: r.check,
      detail: r.detail,
      turn: r.turn ?? null,
      session: r.session ?? null,
    })),
    sessions:
      record.sessions?.map((session) => ({
        ...session,
        critique: session.critique
          ? {
              ...session.critique,
              memory_consistency: "memory_consistency" in session.critique ? session.critique.memory_consistency : null,
            }
          : null,
      })) ?? null,
    provenance: {
      ...p,
      seed: BigInt(p.seed),
      usage: { input_tokens: BigInt(p.usage.input_tokens), output_tokens: BigInt(p.usage.output_tokens) },
      created_at: new Date(p.created_at),
      threads: p.threads ?? null,
      trace_id: p.trace_id ?? null,
    },
    failed_attempt: record.failed_attempt
      ? {
          stage: record.failed_attempt.stage,
          speaker: record.failed_attempt.speaker ?? null,
          turn: record.failed_attempt.turn ?? null,
          session: record.failed_attempt.session ?? null,
          text: record.failed_attempt.text,
        }
      : null,
  };
}

export function writeParquet(records: readonly DialogueRecord[], path: string): void {
  const rows = records.map(parquetRow);
  // an unpredictable name next to the target, renamed over it (a symlink there is replaced, not followed)
  const tmp = temporaryName(path);
  parquetWriteFile({
    filename: tmp,
    columnData: COLUMNS.map((column) => ({
      name: column.element.name,
      data: rows.map((row) => row[column.element.name]),
    })),
    schema: PARQUET_SCHEMA,
    kvMetadata: [{ key: "polyglot-personachat.record_version", value: "1" }],
    createdBy: "polyglot-personachat (hyparquet-writer)",
  });
  renameSync(tmp, path);
}

/** Writes whole (to a temporary name, then renamed), so a reader never sees half a file. */
const writeWhole = writeFileSafely;

export function writeJsonl(records: readonly unknown[], path: string): void {
  writeWhole(path, records.map((r) => `${JSON.stringify(r)}\n`).join(""));
}

// ── Dataset files: every format, per split ────────────────────────────────────────────────────────────────
export interface DatasetFileOptions {
  /** the JSONL journal the files are made from and written next to */
  out: string;
  /** the journal's records */
  records: readonly DialogueRecord[];
  formats: readonly ExportFormat[];
  /** jsonl / parquet: only accepted dialogues */
  acceptedOnly: boolean;
  /** messages / personachat: rejected dialogues too (by default accepted only) */
  includeRejected: boolean;
  /** messages: the common ground in the system message */
  commonGround: boolean;
  /** train, [validation,] test shares; null: one file per format */
  splits: readonly number[] | null;
  seed: number;
}

export interface DataFile {
  split: string;
  path: string;
  /** dialogues in the file (messages: examples, two per dialogue) */
  rows: number;
}
export interface CardConfig {
  format: ExportFormat;
  files: DataFile[];
  /** the files hold accepted dialogues only */
  acceptedOnly: boolean;
}
export interface DatasetFiles {
  /** the files written (the journal itself is not rewritten) */
  written: string[];
  configs: CardConfig[];
  split: SplitPlan | null;
}

const fileSuffix: Record<ExportFormat, string> = {
  jsonl: "jsonl",
  parquet: "parquet",
  messages: "messages.jsonl",
  personachat: "personachat.json",
};

/**
 * The files of every requested format next to the journal: `X.parquet`, `X.messages.jsonl`, `X.personachat.json`
 * (`X.jsonl` is the journal itself; `X.accepted.jsonl` with acceptedOnly), or per split `X.train.parquet`,
 * `X.train.messages.jsonl`, …, `X.train.jsonl`. Without splits each format holds its own dialogues (records:
 * all unless acceptedOnly; training formats: accepted unless includeRejected); with splits every format holds
 * the same dialogues per split (the training formats' choice when one is asked for).
 */
export function writeDatasetFiles(options: DatasetFileOptions): DatasetFiles {
  const accepted = options.records.filter((r) => r.status === "accepted");
  const trainingSet = options.includeRejected ? options.records : accepted;
  const recordSet = options.acceptedOnly ? accepted : options.records;
  const written: string[] = [];
  const write = (format: ExportFormat, rows: readonly DialogueRecord[], path: string): number => {
    written.push(path);
    if (format === "parquet") writeParquet(rows, path);
    else if (format === "jsonl") writeJsonl(rows, path);
    else if (format === "messages") {
      const examples = rows.flatMap((r) => toMessagesExamples(r, { commonGround: options.commonGround }));
      writeJsonl(examples, path);
      return examples.length;
    } else {
      const entries = rows.flatMap(toPersonaChatEntries);
      writeWhole(path, `${JSON.stringify(entries)}\n`);
      return entries.length;
    }
    return rows.length;
  };

  if (!options.splits) {
    const configs = options.formats.map((format): CardConfig => {
      const training = isTrainingFormat(format);
      const rows = training ? trainingSet : recordSet;
      const acceptedOnly = training ? !options.includeRejected : options.acceptedOnly;
      if (format === "jsonl" && !options.acceptedOnly)
        return { format, acceptedOnly, files: [{ split: "train", path: options.out, rows: rows.length }] };
      const path = siblingPath(options.out, format === "jsonl" ? "accepted.jsonl" : fileSuffix[format]);
      return { format, acceptedOnly, files: [{ split: "train", path, rows: write(format, rows, path) }] };
    });
    return { written, configs, split: null };
  }
  const anyTraining = options.formats.some(isTrainingFormat);
  const base = anyTraining ? trainingSet : recordSet;
  const acceptedOnly = anyTraining ? !options.includeRejected : options.acceptedOnly;
  const plan = planSplits(base, options.splits, options.seed);
  const byId = new Map(base.map((r) => [r.id, r]));
  const configs = options.formats.map((format): CardConfig => ({
    format,
    acceptedOnly,
    files: plan.splits.map(({ name, ids }) => {
      const path = siblingPath(options.out, `${name}.${fileSuffix[format]}`);
      return {
        split: name,
        path,
        rows: write(
          format,
          ids.map((id) => byId.get(id)!),
          path,
        ),
      };
    }),
  }));
  return { written, configs, split: plan };
}

/** The dataset files and the card `X.card.md` that describes them; returns the paths written. */
export function writeDataset(
  options: DatasetFileOptions & { summary: RunSummary; config: RunConfig | null; command: string },
): string[] {
  const files = writeDatasetFiles(options);
  const cardPath = siblingPath(options.out, "card.md");
  const card = renderDatasetCard({
    dataFile: options.out,
    rows: options.records.length,
    acceptedOnly: false,
    summary: options.summary,
    config: options.config,
    command: options.command,
    files,
  });
  writeWhole(cardPath, card);
  return [...files.written, cardPath];
}

// ── Dataset card ───────────────────────────────────────────────────────────────────────────────────────────
/** Hugging Face's size_categories bucket for a row count. */
export function sizeCategory(rows: number): string {
  const buckets: [number, string][] = [
    [1e3, "n<1K"],
    [1e4, "1K<n<10K"],
    [1e5, "10K<n<100K"],
    [1e6, "100K<n<1M"],
    [1e7, "1M<n<10M"],
    [1e8, "10M<n<100M"],
  ];
  return buckets.find(([limit]) => rows < limit)?.[1] ?? "n>1T";
}

/** The primary subtag, as the Hub's `language:` list wants it (pt-BR → pt, zh-Hans → zh). */
const hubLanguage = (tag: string) => tag.split("-")[0]!.toLowerCase();

export interface CardInput {
  /** the exported data file the card describes */
  dataFile: string;
  rows: number;
  acceptedOnly: boolean;
  summary: RunSummary;
  /** the run's configuration (null for records without a run log, such as `npm run eval`'s) */
  config: RunConfig | null;
  /** the command that wrote it */
  command: string;
  /** every file written per format and split (without it, one config: dataFile as train) */
  files?: DatasetFiles;
}

const UNIT: Record<ExportFormat, string> = {
  jsonl: "dialogues",
  parquet: "dialogues",
  messages: "examples (one per speaker)",
  personachat: "dialogues",
};

/** The card's `configs:` block: one config per format (the first is `default`), one data file per split. */
function configsYaml(input: CardInput): string[] {
  const configs = input.files?.configs ?? [
    {
      format: "jsonl" as const,
      acceptedOnly: input.acceptedOnly,
      files: [{ split: "train", path: input.dataFile, rows: input.rows }],
    },
  ];
  return configs.flatMap((config, i) => [
    `- config_name: ${i === 0 ? "default" : config.format}`,
    "  data_files:",
    ...config.files.flatMap((file) => [`  - split: ${file.split}`, `    path: ${basename(file.path)}`]),
  ]);
}

/** The card's account of the files and of the splits (when there is more than the journal). */
function filesSection(files: DatasetFiles | undefined): string[] {
  if (!files) return [];
  const lines = ["## Files", "", "| config | split | file | rows |", "| --- | --- | --- | --- |"];
  files.configs.forEach((config, i) => {
    const which = config.acceptedOnly ? " (accepted only)" : " (accepted and rejected: filter on `status`)";
    for (const file of config.files)
      lines.push(
        `| ${i === 0 ? "default" : config.format} | ${file.split} | \`${basename(file.path)}\` | ${file.rows} ${UNIT[config.format]}${which} |`,
      );
  });
  lines.push("");
  if (files.configs.some((c) => c.format === "messages")) {
    lines.push(
      "`messages`: chat fine-tuning examples, one per speaker: the system message holds that speaker's persona, their",
      "turns are `assistant`, the partner's `user`; each example ends on an assistant turn.",
    );
  }
  if (files.configs.some((c) => c.format === "personachat")) {
    lines.push(
      "`personachat`: XPersona / ConvAI2 JSON, `[{persona, dialogue: [[turn, reply], …]}]`, with the persona of the replying",
      "speaker (the one who speaks last; `__SILENCE__` opens when that speaker also opened).",
    );
  }
  if (files.split) {
    const shares = files.split.splits.map((s) => `${s.name} ${s.share}`).join(", ");
    lines.push(
      "",
      `Splits (${shares}) are persona-disjoint: no English source persona is in two splits. ${files.split.leftOut.length} dialogue(s) are in no`,
      "split: their two personas fell into different splits, or trimming to the shares dropped them (they stay in the journal).",
    );
  }
  lines.push("");
  return lines;
}

/** The card's account of the run's configuration (nothing without a run log). */
function howItWasMade(c: RunConfig | null): string[] {
  if (!c) return [];
  const model = `${c.model.provider} · ${c.model.model}${c.model.temperature !== undefined ? ` · temperature ${c.model.temperature}` : ""}`;
  return [
    "## How it was made",
    "",
    `- model: ${model}${c.judge ? `; self-critique: ${c.judge.provider} · ${c.judge.model}` : ""}`,
    `- prompts: variant \`${c.prompt_variant}\` (hash ${c.prompt_hash})`,
    `- seed ${c.seed}; turns ${c.turns[0]}–${c.turns[1]}; retries per turn ${c.max_turn_retries}; critique rounds ${c.max_critique_rounds}; turns at most ${c.max_turn_chars} characters`,
    `- personas: ${c.personas.source} (${c.personas.count} English personas, hash ${c.personas.hash}); persona pairs drawn without repeats per language`,
    `- speech events: ${c.speech_events.override ? `all \`${c.speech_events.override}\`` : "spread by quota over the 35 events' weights"}`,
    `- near-duplicates (MinHash over word 3-shingles, Jaccard ≥ ${c.near_duplicate_threshold}) rejected`,
    "",
  ];
}

export function renderDatasetCard(input: CardInput): string {
  const languages = [...new Set(Object.keys(input.summary.languages).map(hubLanguage))].sort();
  const yaml = [
    "---",
    "language:",
    ...languages.map((l) => `- ${l}`),
    "license: # choose one (check the terms of the model and of the source personas)",
    `pretty_name: Polyglot PersonaChat (${Object.keys(input.summary.languages).join(", ")})`,
    "size_categories:",
    `- ${sizeCategory(input.rows)}`,
    "task_categories:",
    "- text-generation",
    "tags:",
    "- synthetic",
    "- dialogue",
    "- persona",
    "- personachat",
    "configs:",
    ...configsYaml(input),
    "---",
  ];
  const rows = Object.entries(input.summary.languages).map(
    ([lang, f]) =>
      `| ${lang} | ${f.dialogues} | ${f.accepted} | ${(f.acceptance_rate * 100).toFixed(1)} % | ${f.mean_turns.toFixed(1)} | ${f.tokens.input} / ${f.tokens.output} |`,
  );
  const body = [
    "",
    `# Polyglot PersonaChat: ${Object.keys(input.summary.languages).join(", ")}`,
    "",
    "Persona-grounded open-domain dialogues (PersonaChat style) written **directly in the target language** by an open LLM",
    "playing two crowdworkers: each speaker has a persona rewritten natively for the language and culture from English",
    "PersonaChat-style personas, the pair talks in a given speech event (after Goldsmith & Baxter) on a shared common ground.",
    "No machine translation; demonstrations were given in English only. Generated with polyglot-personachat.",
    "",
    ...(input.files
      ? filesSection(input.files)
      : [
          `\`${basename(input.dataFile)}\`: ${input.rows} dialogues${input.acceptedOnly ? " (accepted only)" : " (accepted and rejected: filter on `status`)"}.`,
          "",
        ]),
    "## Figures",
    "",
    "| language | dialogues | accepted | acceptance | mean turns | tokens in / out |",
    "| --- | --- | --- | --- | --- | --- |",
    ...rows,
    "",
    "```",
    formatSummaryTable(input.summary),
    "```",
    "",
    ...howItWasMade(input.config),
    "```bash",
    input.command,
    "```",
    "",
    "## Fields",
    "",
    "`id`, `language`, `source_language`, `status` (accepted / rejected), `rejection_reasons` [{check, detail, turn, session}],",
    "`speech_event` {id, name, category}, `common_ground`, `personas` [{speaker, name, sentences, source_sentences}],",
    "`turns` [{speaker, text}], `critique` {persona_faithfulness, speech_event_fit, naturalness, verdict, offending_turns,",
    "feedback}, `provenance` {provider, model, prompt_variant, prompt_hash, seed, attempts, usage, created_at, duration_ms, threads, trace_id},",
    "`failed_attempt` {stage, speaker, turn, session, text} (rejected dialogues: what the model wrote in the attempt that failed);",
    "`sessions` (multi-session series only, else null): every session, the first included, [{session, gap {kind, amount, unit},",
    "status, speech_event, common_ground, personas, turns, critique (+ memory_consistency), memory [{speaker, summary, new_facts,",
    "partner_facts}]}]; the top-level speech event, common ground, personas, turns and critique are the first session's.",
    "",
    "## Limitations",
    "",
    "Machine-written: fluency and cultural fit follow the model; automatic checks and a self-critique filtered the dialogues,",
    "no human did. Personas are fictional.",
    "",
  ];
  return [...yaml, ...body].join("\n");
}
