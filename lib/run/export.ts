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
import { renameSync, writeFileSync } from "node:fs";
import { basename } from "node:path";
import { parquetWriteFile } from "hyparquet-writer";
import type { DialogueRecord } from "../records/schema.js";
import type { RunConfig } from "./run-config.js";
import { formatSummaryTable, type RunSummary } from "./summary.js";

export type ExportFormat = "jsonl" | "parquet";

// ── Parquet ────────────────────────────────────────────────────────────────────────────────────────────────
interface SchemaElement {
  name: string;
  type?: "BOOLEAN" | "INT32" | "INT64" | "DOUBLE" | "BYTE_ARRAY";
  repetition_type?: "REQUIRED" | "OPTIONAL" | "REPEATED";
  converted_type?: "UTF8" | "LIST" | "TIMESTAMP_MILLIS";
  num_children?: number;
}
type Node = { element: SchemaElement; children?: Node[] };

const leaf = (name: string, type: SchemaElement["type"], required = false, converted?: SchemaElement["converted_type"]): Node => ({
  element: { name, type, repetition_type: required ? "REQUIRED" : "OPTIONAL", ...(converted ? { converted_type: converted } : {}) },
});
const str = (name: string, required = false) => leaf(name, "BYTE_ARRAY", required, "UTF8");
const struct = (name: string, children: Node[]): Node => ({ element: { name, repetition_type: "OPTIONAL", num_children: children.length }, children });
/** The standard three-level LIST: optional group (LIST) { repeated group list { optional element } }. */
const list = (name: string, element: Node): Node => ({
  element: { name, repetition_type: "OPTIONAL", converted_type: "LIST", num_children: 1 },
  children: [{ element: { name: "list", repetition_type: "REPEATED", num_children: 1 }, children: [{ ...element, element: { ...element.element, name: "element" } }] }],
});

const COLUMNS: Node[] = [
  str("id", true),
  str("language", true),
  str("source_language", true),
  str("status", true),
  list("rejection_reasons", struct("element", [str("check"), str("detail"), leaf("turn", "INT32")])),
  struct("speech_event", [str("id"), str("name"), str("category")]),
  str("common_ground"),
  list("personas", struct("element", [str("speaker"), str("name"), list("sentences", str("element")), list("source_sentences", str("element"))])),
  list("turns", struct("element", [str("speaker"), str("text")])),
  struct("critique", [
    leaf("persona_faithfulness", "INT32"),
    leaf("speech_event_fit", "INT32"),
    leaf("naturalness", "INT32"),
    str("verdict"),
    list("offending_turns", leaf("element", "INT32")),
    str("feedback"),
  ]),
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
    str("trace_id"),
  ]),
  struct("failed_attempt", [str("stage"), str("speaker"), leaf("turn", "INT32"), str("text")]),
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

export const PARQUET_SCHEMA: SchemaElement[] = [{ name: "root", num_children: COLUMNS.length }, ...flattenSchema(COLUMNS)];

/** A record in the shapes the Parquet writer wants (64-bit integers as bigint, the timestamp as a Date). */
function parquetRow(record: DialogueRecord): Record<string, unknown> {
  const p = record.provenance;
  return {
    ...record,
    rejection_reasons: record.rejection_reasons.map((r) => ({ check: r.check, detail: r.detail, turn: r.turn ?? null })),
    provenance: {
      ...p,
      seed: BigInt(p.seed),
      usage: { input_tokens: BigInt(p.usage.input_tokens), output_tokens: BigInt(p.usage.output_tokens) },
      created_at: new Date(p.created_at),
      trace_id: p.trace_id ?? null,
    },
    failed_attempt: record.failed_attempt
      ? { stage: record.failed_attempt.stage, speaker: record.failed_attempt.speaker ?? null, turn: record.failed_attempt.turn ?? null, text: record.failed_attempt.text }
      : null,
  };
}

export function writeParquet(records: readonly DialogueRecord[], path: string): void {
  const rows = records.map(parquetRow);
  const tmp = `${path}.tmp-${process.pid}`;
  parquetWriteFile({
    filename: tmp,
    columnData: COLUMNS.map((column) => ({ name: column.element.name, data: rows.map((row) => row[column.element.name]) })),
    schema: PARQUET_SCHEMA as never,
    kvMetadata: [{ key: "polyglot-personachat.record_version", value: "1" }],
    createdBy: "polyglot-personachat (hyparquet-writer)",
  });
  renameSync(tmp, path);
}

export function writeJsonl(records: readonly DialogueRecord[], path: string): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, records.map((r) => `${JSON.stringify(r)}\n`).join(""));
  renameSync(tmp, path);
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
  config: RunConfig;
  /** the command that wrote it */
  command: string;
}

export function renderDatasetCard(input: CardInput): string {
  const languages = [...new Set(Object.keys(input.summary.languages).map(hubLanguage))].sort();
  const c = input.config;
  const model = `${c.model.provider} · ${c.model.model}${c.model.temperature !== undefined ? ` · temperature ${c.model.temperature}` : ""}`;
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
    "- config_name: default",
    "  data_files:",
    "  - split: train",
    `    path: ${basename(input.dataFile)}`,
    "---",
  ];
  const rows = Object.entries(input.summary.languages).map(
    ([lang, f]) => `| ${lang} | ${f.dialogues} | ${f.accepted} | ${(f.acceptance_rate * 100).toFixed(1)} % | ${f.mean_turns.toFixed(1)} | ${f.tokens.input} / ${f.tokens.output} |`,
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
    `\`${basename(input.dataFile)}\`: ${input.rows} dialogues${input.acceptedOnly ? " (accepted only)" : " (accepted and rejected: filter on `status`)"}.`,
    "",
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
    "## How it was made",
    "",
    `- model: ${model}${c.judge ? `; self-critique: ${c.judge.provider} · ${c.judge.model}` : ""}`,
    `- prompts: variant \`${c.prompt_variant}\` (hash ${c.prompt_hash})`,
    `- seed ${c.seed}; turns ${c.turns[0]}–${c.turns[1]}; retries per turn ${c.max_turn_retries}; critique rounds ${c.max_critique_rounds}; turns at most ${c.max_turn_chars} characters`,
    `- personas: ${c.personas.source} (${c.personas.count} English personas, hash ${c.personas.hash}); persona pairs drawn without repeats per language`,
    `- speech events: ${c.speech_events.override ? `all \`${c.speech_events.override}\`` : "spread by quota over the 35 events' weights"}`,
    `- near-duplicates (MinHash over word 3-shingles, Jaccard ≥ ${c.near_duplicate_threshold}) rejected`,
    "",
    "```bash",
    input.command,
    "```",
    "",
    "## Fields",
    "",
    "`id`, `language`, `source_language`, `status` (accepted / rejected), `rejection_reasons` [{check, detail, turn}],",
    "`speech_event` {id, name, category}, `common_ground`, `personas` [{speaker, name, sentences, source_sentences}],",
    "`turns` [{speaker, text}], `critique` {persona_faithfulness, speech_event_fit, naturalness, verdict, offending_turns,",
    "feedback}, `provenance` {provider, model, prompt_variant, prompt_hash, seed, attempts, usage, created_at, duration_ms, trace_id},",
    "`failed_attempt` {stage, speaker, turn, text} (rejected dialogues: what the model wrote in the attempt that failed).",
    "",
    "## Limitations",
    "",
    "Machine-written: fluency and cultural fit follow the model; automatic checks and a self-critique filtered the dialogues,",
    "no human did. Personas are fictional.",
    "",
  ];
  return [...yaml, ...body].join("\n");
}
