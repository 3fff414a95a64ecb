/**
 * A fleet of workers on a Redis-backed queue (BullMQ): what the coordinator (`npm run graph -- --queue URL`)
 * and the workers (`npm run worker -- --queue URL`) share — the connection (bounded: fails within seconds
 * instead of retrying forever), the queue name, the job data and the job result.
 *
 * One queue per Redis (name `personachat` by default, `--queue redis://HOST:PORT?queue=NAME` for another), one
 * BullMQ job per dialogue with jobId = the dialogue id, so enqueueing twice does nothing. The job carries the
 * generation settings the coordinator validated and a hash of its run configuration; a coordinator that finds a
 * job of the same id from another configuration refuses (one line, exit 2) rather than mixing runs.
 */
import { hostname } from "node:os";
import type { ConnectionOptions } from "bullmq";
import { z } from "zod";
import { type DialogueConfig, DialogueConfigSchema } from "../../nodes/configuration.js";
import { MAX_SESSIONS } from "../../nodes/series-history.js";
import type { DialogueRecord } from "../../lib/records/schema.js";
import type { DialogueJob } from "../../lib/plan.js";
import { RecordFileError } from "../run/record-file.js";
import { redactUrlCredentials } from "../../lib/security/redact.js";

export const DEFAULT_QUEUE_NAME = "personachat";
/** completed jobs (their records) stay in Redis this long, so a coordinator killed meanwhile collects them */
export const KEEP_COMPLETED_SECONDS = 7 * 24 * 3600;

/** The generation settings of a run: what a worker needs besides its own model to write the same record. */
export type GenerationSettings = Pick<
  DialogueConfig,
  | "promptVariant"
  | "turnsMin"
  | "turnsMax"
  | "maxTurnRetries"
  | "maxCritiqueRounds"
  | "maxStructuredRetries"
  | "maxTurnChars"
>;

export function generationSettings(config: DialogueConfig): GenerationSettings {
  const { promptVariant, turnsMin, turnsMax, maxTurnRetries, maxCritiqueRounds, maxStructuredRetries, maxTurnChars } =
    config;
  return { promptVariant, turnsMin, turnsMax, maxTurnRetries, maxCritiqueRounds, maxStructuredRetries, maxTurnChars };
}

/**
 * A job as a worker reads it from Redis, which anyone who can write to it controls: strict (an unknown key is
 * refused, not ignored), and nothing in it names a model, a URL, a file or a judge — the worker uses the ones it
 * was started with. The generation settings have the same bounds as the graph's configuration.
 */
export const GenerationSettingsSchema = DialogueConfigSchema.pick({
  promptVariant: true,
  turnsMin: true,
  turnsMax: true,
  maxTurnRetries: true,
  maxCritiqueRounds: true,
  maxStructuredRetries: true,
  maxTurnChars: true,
})
  .required()
  .strict();

const DialogueJobSchema = z
  .object({
    id: z.string().regex(/^[\w.-]{1,120}$/, "a dialogue id is letters, digits, '.', '_' and '-'"),
    language: z.string().regex(/^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$/, "a language tag"),
    index: z.number().int().min(0),
    seed: z.number().int(),
    sourcePersonas: z.tuple([z.array(z.string().max(1000)).max(20), z.array(z.string().max(1000)).max(20)]).optional(),
    speechEventId: z
      .string()
      .regex(/^[\w-]{1,80}$/)
      .optional(),
    sessions: z.number().int().min(2).max(MAX_SESSIONS).optional(),
  })
  .strict();

export const FleetJobDataSchema = z
  .object({
    job: DialogueJobSchema,
    settings: GenerationSettingsSchema,
    /** contentHash of the coordinator's run configuration */
    configHash: z.string().min(1).max(128),
    /** the prompt set's hash: a worker running other prompts (another checkout) refuses the job */
    promptHash: z.string().min(1).max(128),
    /** requests / tokens per minute shared by every worker calling the same provider + base URL */
    limits: z.object({ rpm: z.number().int().min(1).optional(), tpm: z.number().int().min(1).optional() }).strict(),
  })
  .strict();

export interface FleetJobData {
  job: DialogueJob;
  settings: GenerationSettings;
  configHash: string;
  promptHash: string;
  limits: { rpm?: number | undefined; tpm?: number | undefined };
}

/** A job's data checked against FleetJobDataSchema: the data, or the first problem in one line (for the refusal). */
export function parseFleetJobData(data: unknown): { ok: true; data: FleetJobData } | { ok: false; reason: string } {
  const parsed = FleetJobDataSchema.safeParse(data);
  if (parsed.success) return { ok: true, data: parsed.data };
  const issue = parsed.error.issues[0]!;
  const where = issue.path.join(".") || "(job)";
  const what =
    issue.code === "unrecognized_keys"
      ? `unknown key(s) ${issue.keys.map((k) => JSON.stringify(k)).join(", ")}`
      : issue.message;
  return { ok: false, reason: `${where}: ${what}` };
}

export interface WorkerIdentity {
  name: string;
  host: string;
  pid: number;
}

export interface FleetJobResult {
  record: DialogueRecord;
  worker: WorkerIdentity;
  duration_ms: number;
}

export function workerIdentity(name?: string): WorkerIdentity {
  const host = hostname();
  return { name: name ?? `${host}:${process.pid}`, host, pid: process.pid };
}

/** Redis unreachable, or a queue holding another run: one line for the user. */
export class FleetError extends Error {
  override name = "FleetError";
}
/** The queue holds jobs of another run configuration under the same ids: the user's to fix (exit 2). */
export class FleetConfigError extends RecordFileError {
  override name = "FleetConfigError";
}

export interface QueueTarget {
  /** the URL as given, its password replaced by *** (for messages; the connection holds the password) */
  url: string;
  /** host:port for messages (no password) */
  where: string;
  queueName: string;
  connection: ConnectionOptions;
}

/**
 * Parses `redis://[user:password@]HOST[:PORT][/DB][?queue=NAME]` (rediss:// for TLS) into BullMQ connection
 * options that fail fast: connect timeout `connectTimeoutMs`, at most `maxReconnects` reconnection attempts
 * (ioredis retries forever by default).
 */
export function parseQueueUrl(
  url: string,
  options: { connectTimeoutMs?: number; maxReconnects?: number; blocking?: boolean } = {},
): QueueTarget {
  // messages name the URL without its password
  const shown = redactUrlCredentials(url);
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new FleetConfigError(`--queue ${shown}: not a URL (expected redis://HOST:PORT)`);
  }
  if (parsed.protocol !== "redis:" && parsed.protocol !== "rediss:")
    throw new FleetConfigError(`--queue ${shown}: expected redis://HOST:PORT`);
  const db = parsed.pathname.replace(/^\//, "");
  if (db && !/^\d+$/.test(db))
    throw new FleetConfigError(`--queue ${shown}: the path is a database number (redis://HOST:PORT/0)`);
  const queueName = parsed.searchParams.get("queue") || DEFAULT_QUEUE_NAME;
  if (!/^[\w.-]+$/.test(queueName))
    throw new FleetConfigError(`--queue ${shown}: queue names are letters, digits, '.', '_' and '-'`);
  const maxReconnects = options.maxReconnects ?? 3;
  const connection: ConnectionOptions = {
    host: parsed.hostname || "127.0.0.1",
    port: parsed.port ? Number(parsed.port) : 6379,
    ...(parsed.username ? { username: decodeURIComponent(parsed.username) } : {}),
    ...(parsed.password ? { password: decodeURIComponent(parsed.password) } : {}),
    ...(db ? { db: Number(db) } : {}),
    ...(parsed.protocol === "rediss:" ? { tls: {} } : {}),
    connectTimeout: options.connectTimeoutMs ?? 3000,
    // workers' blocking connections need null (BullMQ); elsewhere a command fails after one reconnection
    maxRetriesPerRequest: options.blocking ? null : 1,
    retryStrategy: (times: number) => (times > maxReconnects ? null : Math.min(250 * times, 1000)),
  };
  return { url: shown, where: `${connection.host}:${connection.port}`, queueName, connection };
}

const CONNECTION_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "EPIPE", "ETIMEDOUT"]);

/**
 * Redis gone mid-run, as one line: ioredis gives up on a command (MaxRetriesPerRequestError), or on the connection
 * ("Connection is closed."), or the socket fails. Undefined for any other error.
 */
export function lostRedis(error: unknown, target: QueueTarget): FleetError | undefined {
  const { name, message, code } = (error ?? {}) as { name?: unknown; message?: unknown; code?: unknown };
  const gone =
    name === "MaxRetriesPerRequestError" ||
    message === "Connection is closed." ||
    (typeof code === "string" && CONNECTION_CODES.has(code));
  return gone
    ? new FleetError(`lost the connection to Redis at ${target.where} (it stopped answering)`, { cause: error })
    : undefined;
}

/** Rejects after `ms` with a FleetError saying Redis is unreachable. */
export async function withRedisTimeout<T>(promise: Promise<T>, target: QueueTarget, ms = 5000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () =>
            reject(
              new FleetError(`cannot reach Redis at ${target.where} within ${ms / 1000} s (is redis-server running?)`),
            ),
          ms,
        );
      }),
    ]);
  } catch (error) {
    if (error instanceof FleetError) throw error;
    throw new FleetError(
      `cannot reach Redis at ${target.where}: ${error instanceof Error ? error.message.split("\n")[0] : String(error)}`,
    );
  } finally {
    clearTimeout(timer);
  }
}
