/**
 * The run's sidecar, `X.run.json` next to `X.jsonl`: the configuration that decides what the dialogues are
 * (so that a rerun against the same file resumes the same run, and a changed one is refused rather than
 * silently mixed in), and the sessions that wrote it (wall time for the summary).
 *
 * In the configuration: seed; model and judge identity (provider, name, file size of a local model, sampling
 * settings); prompt variant and hash; turn budget and retry / critique / length limits; personas source and
 * content hash; speech events (override, and the file's hash); demonstrations' hash; near-duplicate threshold;
 * planner version. Not in it: --n, --lang, --concurrency, --rpm/--tpm, --price, --format and the other export
 * options — growing --n or adding a language resumes the same run.
 */
import { writeFileSafely } from "../../lib/security/safe-write.js";
import { createHash } from "node:crypto";
import { existsSync, readFileSync, statSync } from "node:fs";
import { hostname } from "node:os";
import type { BaseChatModel } from "@langchain/core/language_models/chat_models";
import { z } from "zod";
import { DEFAULT_DEMONSTRATIONS_PATH } from "../../lib/demonstrations.js";
import type { DialogueRecord } from "../../lib/records/schema.js";
import { DEFAULT_SPEECH_EVENTS_PATH } from "../../lib/speech-events.js";
import { RecordFileError } from "./record-file.js";
import { modelThreads } from "../../lib/models/factory.js";

/** An output file holding another run's configuration: one line for the user, exit code 2. */
export class RunConfigError extends RecordFileError {
  override name = "RunConfigError";
}

export const ModelIdentitySchema = z.object({
  provider: z.string(),
  model: z.string(),
  /** size in bytes of a local model file (two quantisations under one name differ here) */
  file_size: z.number().optional(),
  temperature: z.number().optional(),
  top_p: z.number().optional(),
  max_tokens: z.number().optional(),
  /** the embedded engine's CPU threads: its output depends on them (recorded, not compared: a resume on another machine is fine) */
  threads: z.number().int().optional(),
});
export type ModelIdentity = z.infer<typeof ModelIdentitySchema>;

export const RunConfigSchema = z.object({
  seed: z.number().int(),
  model: ModelIdentitySchema,
  judge: ModelIdentitySchema.nullable(),
  prompt_variant: z.string(),
  prompt_hash: z.string(),
  turns: z.tuple([z.number().int(), z.number().int()]),
  max_turn_retries: z.number().int(),
  max_critique_rounds: z.number().int(),
  max_structured_retries: z.number().int(),
  max_turn_chars: z.number().int(),
  personas: z.object({ source: z.string(), count: z.number().int(), hash: z.string() }),
  speech_events: z.object({ override: z.string().nullable(), hash: z.string() }),
  demonstrations_hash: z.string(),
  near_duplicate_threshold: z.number(),
  planner_version: z.number().int(),
  /** sessions per series (--sessions); absent for single dialogues, so their configuration hash is unchanged */
  sessions: z.number().int().min(2).optional(),
});
export type RunConfig = z.infer<typeof RunConfigSchema>;

export const SessionSchema = z.object({
  started_at: z.string(),
  ended_at: z.string(),
  wall_ms: z.number().nonnegative(),
  /** records this session wrote */
  written: z.number().int().nonnegative(),
  /** "killed": found still "running" by a later session (which holds the journal's lock, so this one is gone) */
  status: z.enum(["running", "completed", "interrupted", "failed", "killed"]),
  /** the process that wrote it (older run logs have none) */
  pid: z.number().int().optional(),
  host: z.string().optional(),
});
export type Session = z.infer<typeof SessionSchema>;

export const RunFileSchema = z.object({
  kind: z.literal("polyglot-personachat run"),
  version: z.literal(1),
  config: RunConfigSchema,
  sessions: z.array(SessionSchema),
});
export type RunFile = z.infer<typeof RunFileSchema>;

/** `X.jsonl` → `X.<suffix>` (next to the output). */
export function siblingPath(out: string, suffix: string): string {
  return `${out.replace(/\.jsonl$/, "")}.${suffix}`;
}

export const runFilePath = (out: string) => siblingPath(out, "run.json");

export function contentHash(value: unknown): string {
  return createHash("sha256")
    .update(typeof value === "string" ? value : JSON.stringify(value))
    .digest("hex")
    .slice(0, 12);
}

/** What identifies a chat model's output: provider, name, local file size, sampling settings. */
export function modelIdentity(model: BaseChatModel): ModelIdentity {
  const params = (
    model as { getLsParams?: (options: unknown) => { ls_provider?: string; ls_model_name?: string } }
  ).getLsParams?.({});
  const identity: ModelIdentity = {
    provider: params?.ls_provider ?? model._llmType(),
    model: params?.ls_model_name ?? "unknown",
  };
  const path = (model as unknown as { options?: { modelPath?: unknown } }).options?.modelPath;
  if (typeof path === "string" && existsSync(path)) identity.file_size = statSync(path).size;
  const threads = modelThreads(model);
  if (threads !== undefined) identity.threads = threads;
  try {
    const invocation =
      (model as unknown as { invocationParams?: (o?: unknown) => Record<string, unknown> }).invocationParams?.({}) ??
      {};
    for (const [key, name] of [
      ["temperature", "temperature"],
      ["top_p", "top_p"],
      ["max_tokens", "max_tokens"],
      ["max_completion_tokens", "max_tokens"],
    ] as const) {
      const value = invocation[key];
      if (typeof value === "number") identity[name] = value;
    }
  } catch {
    // models whose parameters need a call's options: provider and name are the identity
  }
  return identity;
}

function flatten(value: unknown, prefix = "", out: Record<string, string> = {}): Record<string, string> {
  if (value !== null && typeof value === "object" && !Array.isArray(value)) {
    for (const [key, inner] of Object.entries(value)) flatten(inner, prefix ? `${prefix}.${key}` : key, out);
  } else {
    out[prefix] = JSON.stringify(value ?? null);
  }
  return out;
}

const OPTIONAL_MODEL_DETAIL = /^(model|judge)\.(file_size|temperature|top_p|max_tokens)$/;

/** Kept for the record but not compared: the same personas from a moved file are the same run. */
const INFORMATIONAL = new Set(["personas.source", "model.threads", "judge.threads"]);

/**
 * The hash of what a configuration decides (the informational keys left out): stamped into every record's
 * provenance (`run_config`) by the batch, so that a journal without its sidecar can still be checked.
 */
export function configHash(config: RunConfig): string {
  return contentHash(Object.entries(flatten(config)).filter(([key]) => !INFORMATIONAL.has(key)));
}

/** The settings that differ, as `key: old → new`. */
export function diffConfigs(stored: RunConfig, current: RunConfig): string[] {
  const a = flatten(stored);
  const b = flatten(current);
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])]
    .filter((key) => !INFORMATIONAL.has(key))
    // a model detail one side could not read (another model class, an older run log) is unknown, not different
    .filter((key) => !(OPTIONAL_MODEL_DETAIL.test(key) && (a[key] === undefined || b[key] === undefined)));
  return keys.filter((key) => a[key] !== b[key]).map((key) => `${key}: ${a[key] ?? "(none)"} → ${b[key] ?? "(none)"}`);
}

function refusal(out: string, differences: string[]): RunConfigError {
  const shown =
    differences.slice(0, 3).join("; ") + (differences.length > 3 ? `; +${differences.length - 3} more` : "");
  return new RunConfigError(
    `${out} holds a run with another configuration (${shown}); rerun with its settings to resume it, or write to a new --out`,
  );
}

/**
 * A journal without its run log (copied alone, or from before run logs): its records' provenance is checked
 * against the configuration instead — seed, model, variant, prompt hash, and the `run_config` hash of the whole
 * configuration that every record carries. A journal whose records predate that hash cannot be checked for the
 * rest (turns, speech event, personas…): refused unless it is empty.
 */
function checkProvenance(out: string, config: RunConfig, records: readonly DialogueRecord[]): void {
  const first = records[0];
  if (!first) return;
  const p = first.provenance;
  const differences = [
    ["seed", p.seed, config.seed],
    ["model.provider", p.provider, config.model.provider],
    ["model.model", p.model, config.model.model],
    ["prompt_variant", p.prompt_variant, config.prompt_variant],
    ["prompt_hash", p.prompt_hash, config.prompt_hash],
  ]
    .filter(([, a, b]) => a !== b)
    .map(([key, a, b]) => `${key}: ${JSON.stringify(a)} → ${JSON.stringify(b)}`);
  if (differences.length > 0) throw refusal(out, differences);
  const sidecar = runFilePath(out);
  const unstamped = records.filter((record) => record.provenance.run_config === undefined).length;
  if (unstamped > 0) {
    throw new RunConfigError(
      `${out} has no ${sidecar} and ${unstamped} of its records do not say which settings made them (turns, speech event, personas…): restore ${sidecar}, or write to a new --out`,
    );
  }
  const hash = configHash(config);
  const other = records.find((record) => record.provenance.run_config !== hash);
  if (other) {
    throw new RunConfigError(
      `${out} has no ${sidecar} and its records were made with other settings than these (record ${other.id}: configuration ${other.provenance.run_config} ≠ ${hash}; --turns, --speech-event, --personas, limits or data files differ): rerun with the original settings, restore ${sidecar}, or write to a new --out`,
    );
  }
}

/**
 * The run log of an output file: checks the configuration against what the file holds (refusing a different
 * one), and keeps the sessions' wall time. Written atomically (temporary file, fsync, rename).
 */
/** The run log of `out` (`X.run.json`), or null when there is none; a damaged one is a RunConfigError. */
export function readRunFile(out: string): RunFile | null {
  const path = runFilePath(out);
  if (!existsSync(path)) return null;
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, "utf8"));
  } catch (error) {
    throw new RunConfigError(
      `${path} is not JSON (${(error as Error).message.split("\n")[0]}): move it away to start a new run log`,
    );
  }
  const parsed = RunFileSchema.safeParse(json);
  if (!parsed.success)
    throw new RunConfigError(`${path} is not a polyglot-personachat run log: move it away to start a new one`);
  return parsed.data;
}

export class RunLog {
  private readonly session: Session;
  private readonly startedAt = Date.now();

  private constructor(
    readonly path: string,
    private readonly file: RunFile,
  ) {
    this.session = {
      started_at: new Date(this.startedAt).toISOString(),
      ended_at: "",
      wall_ms: 0,
      written: 0,
      status: "running",
      pid: process.pid,
      host: hostname(),
    };
    // the caller holds the journal's lock: a session still "running" is one whose process died (kill -9, power)
    for (const session of this.file.sessions) if (session.status === "running") session.status = "killed";
    this.file.sessions.push(this.session);
  }

  /**
   * Opens (or starts) the run log of `out` for `config`. `records` are the records already in `out`: a file
   * from before run logs existed is checked against their provenance instead.
   */
  static open(out: string, config: RunConfig, records: readonly DialogueRecord[]): RunLog {
    const path = runFilePath(out);
    let file: RunFile;
    const stored = readRunFile(out);
    if (stored) {
      const differences = diffConfigs(stored.config, config);
      if (differences.length > 0) throw refusal(out, differences);
      file = stored;
    } else {
      checkProvenance(out, config, records);
      file = { kind: "polyglot-personachat run", version: 1, config, sessions: [] };
    }
    const log = new RunLog(path, file);
    log.save();
    return log;
  }

  get config(): RunConfig {
    return this.file.config;
  }

  /** Wall time of every session, this one included (up to now). */
  get wallMs(): number {
    return this.file.sessions.reduce(
      (sum, s) => sum + (s === this.session ? Date.now() - this.startedAt : s.wall_ms),
      0,
    );
  }

  get sessions(): readonly Session[] {
    return this.file.sessions;
  }

  /** Records the session's progress (call every few seconds: a killed run loses at most that much wall time). */
  update(written: number, status: Session["status"] = "running"): void {
    this.session.written = written;
    this.session.status = status;
    this.session.wall_ms = Date.now() - this.startedAt;
    this.session.ended_at = new Date().toISOString();
    this.save();
  }

  private save(): void {
    writeFileSafely(this.path, `${JSON.stringify(this.file, null, 2)}\n`);
  }
}

export interface RunConfigInput {
  seed: number;
  settings: {
    promptVariant: string;
    turnsMin: number;
    turnsMax: number;
    maxTurnRetries: number;
    maxCritiqueRounds: number;
    maxStructuredRetries: number;
    maxTurnChars: number;
  };
  promptHash: string;
  chatModel: BaseChatModel;
  judgeModel?: BaseChatModel | undefined;
  /** "built-in" or the persona file's path; the pool is what counts (its hash) */
  personasSource: string;
  personas: readonly (readonly string[])[];
  speechEventOverride?: string | undefined;
  speechEventsHash: string;
  demonstrationsHash: string;
  nearDuplicateThreshold: number;
  plannerVersion: number;
  /** sessions per series; 1 or absent: single dialogues */
  sessions?: number | undefined;
}

export function buildRunConfig(input: RunConfigInput): RunConfig {
  const s = input.settings;
  return {
    seed: input.seed,
    model: modelIdentity(input.chatModel),
    judge: input.judgeModel && input.judgeModel !== input.chatModel ? modelIdentity(input.judgeModel) : null,
    prompt_variant: s.promptVariant,
    prompt_hash: input.promptHash,
    turns: [s.turnsMin, s.turnsMax],
    max_turn_retries: s.maxTurnRetries,
    max_critique_rounds: s.maxCritiqueRounds,
    max_structured_retries: s.maxStructuredRetries,
    max_turn_chars: s.maxTurnChars,
    personas: { source: input.personasSource, count: input.personas.length, hash: contentHash(input.personas) },
    speech_events: { override: input.speechEventOverride ?? null, hash: input.speechEventsHash },
    demonstrations_hash: input.demonstrationsHash,
    near_duplicate_threshold: input.nearDuplicateThreshold,
    planner_version: input.plannerVersion,
    ...(input.sessions && input.sessions > 1 ? { sessions: input.sessions } : {}),
  };
}

/** Hashes of the data files that shape every dialogue (speech events, demonstrations). */
export function dataHashes(): { speechEventsHash: string; demonstrationsHash: string } {
  return {
    speechEventsHash: contentHash(readFileSync(DEFAULT_SPEECH_EVENTS_PATH, "utf8")),
    demonstrationsHash: contentHash(readFileSync(DEFAULT_DEMONSTRATIONS_PATH, "utf8")),
  };
}
