// `npm run model:pull [-- NAME]`: downloads a GGUF into the model cache with node-llama-cpp's own downloader
// (createModelDownloader: ipull underneath — parallel connections, a progress bar, and a `.ipull` progress file
// next to the download so an interrupted pull resumes where it stopped), then checks the file's SHA-256 against
// the one Hugging Face publishes for LFS files (the `x-linked-etag` header of the file's resolve URL).
import { createHash } from "node:crypto";
import {
  closeSync,
  createReadStream,
  existsSync,
  mkdirSync,
  openSync,
  readSync,
  rmSync,
  statSync,
  truncateSync,
} from "node:fs";
import { createModelDownloader } from "node-llama-cpp";
import { DEFAULT_MODEL, modelCacheDir } from "./default-model.js";

/** What went wrong, for callers that word the line themselves (the first-run download): offline, interrupted, … */
export type PullFailure =
  | "offline"
  | "unreachable"
  | "denied"
  | "not-found"
  | "server"
  | "interrupted"
  | "broken"
  | "checksum"
  | "size"
  | "other";

export class PullError extends Error {
  override name = "PullError";
  constructor(
    message: string,
    readonly kind: PullFailure = "other",
  ) {
    super(message);
  }
}

export interface PullPlan {
  /** what node-llama-cpp downloads: an hf: URI or an http(s) URL */
  uri: string;
  /** the file name in the cache (the default model keeps the name resolveModelPath looks for) */
  fileName?: string;
  dir: string;
  /** the Hugging Face endpoint (HF_ENDPOINT / MODEL_ENDPOINT, else https://huggingface.co/) */
  endpoint: string;
  /** the file's URL, when it is known without asking the Hub (hf:user/repo/path, or a URL) */
  fileUrl?: string;
}

export function huggingFaceEndpoint(env: NodeJS.ProcessEnv = process.env): string {
  const raw = env.MODEL_ENDPOINT || env.HF_ENDPOINT || "https://huggingface.co/";
  return raw.endsWith("/") ? raw : `${raw}/`;
}

/** What to download and where: NAME is `hf:user/repo/file.gguf[#branch]`, `hf:user/repo:quant`, or an http(s) URL. */
export function planPull(name: string | undefined, env: NodeJS.ProcessEnv = process.env): PullPlan {
  const endpoint = huggingFaceEndpoint(env);
  const dir = modelCacheDir(env);
  const uri = name?.trim() || DEFAULT_MODEL.uri;
  const fileName = uri === DEFAULT_MODEL.uri ? DEFAULT_MODEL.file : undefined;
  if (/^https?:\/\//i.test(uri)) return { uri, dir, endpoint, fileUrl: uri };
  const hf = /^hf:([^/\s]+)\/([^/\s:#]+)(?:\/([^#\s]+?))?(?::([^/#\s]+))?(?:#(\S+))?$/.exec(uri);
  if (!hf)
    throw new PullError(
      `cannot read the model name "${uri}": use hf:user/repo/file.gguf, hf:user/repo:quant or an https:// URL`,
    );
  const [, user, repo, path, quant, branch] = hf;
  if (path && !path.toLowerCase().endsWith(".gguf")) throw new PullError(`"${uri}" does not name a .gguf file`);
  if (!path && !quant)
    throw new PullError(`"${uri}" names a repository, not a file: add /file.gguf or :quant (e.g. :Q4_K_M)`);
  const fileUrl = path
    ? `${endpoint}${user}/${repo}/resolve/${encodeURIComponent(branch ?? "main")}/${path}`
    : undefined;
  return { uri, dir, endpoint, ...(fileName ? { fileName } : {}), ...(fileUrl ? { fileUrl } : {}) };
}

const NETWORK_CODES = new Set([
  "ENOTFOUND",
  "EAI_AGAIN",
  "ECONNREFUSED",
  "ECONNRESET",
  "ENETUNREACH",
  "EHOSTUNREACH",
  "ETIMEDOUT",
  "UND_ERR_CONNECT_TIMEOUT",
]);

function networkCode(error: unknown): string | undefined {
  let current = error as { code?: unknown; cause?: unknown; name?: unknown } | undefined;
  for (let depth = 0; current && depth < 5; depth++) {
    if (typeof current.code === "string" && NETWORK_CODES.has(current.code)) return current.code;
    if (current.name === "TimeoutError") return "timeout";
    current = current.cause as typeof current;
  }
  return undefined;
}

export interface Remote {
  /** the SHA-256 Hugging Face publishes for an LFS file */
  sha256?: string;
  size?: number;
}

/**
 * Asks for the file's headers (bounded by `timeoutMs`) before any download: offline, this is where it ends, in one
 * line. For a `:quant` name only the endpoint is probed (node-llama-cpp asks the Hub which file that is).
 */
export async function probe(plan: PullPlan, timeoutMs: number): Promise<Remote> {
  const url = plan.fileUrl ?? plan.endpoint;
  let response: Response;
  try {
    response = await fetch(url, { method: "HEAD", redirect: "manual", signal: AbortSignal.timeout(timeoutMs) });
  } catch (error) {
    const code = networkCode(error);
    const host = new URL(url).origin;
    if (code)
      throw new PullError(
        `offline: cannot reach ${host} (${code}); model:pull needs the network — or download the .gguf elsewhere and pass --model PATH.gguf`,
        "offline",
      );
    const cause = (error as { cause?: { message?: string } }).cause?.message ?? (error as Error).message;
    throw new PullError(`cannot reach ${host} (${cause.split("\n")[0]})`, "unreachable");
  }
  if (response.status === 401 || response.status === 403) {
    throw new PullError(
      `access denied (${response.status}) to ${url}: a gated model needs a Hugging Face token (HF_TOKEN)`,
      "denied",
    );
  }
  if (response.status === 404) throw new PullError(`not found (404): ${url}`, "not-found");
  if (response.status >= 400) throw new PullError(`the server answered ${response.status} for ${url}`, "server");
  if (!plan.fileUrl) return {};
  const etag = (response.headers.get("x-linked-etag") ?? "").replace(/^W\//, "").replace(/"/g, "");
  const size = Number(response.headers.get("x-linked-size") ?? response.headers.get("content-length") ?? NaN);
  return {
    ...(/^[0-9a-f]{64}$/i.test(etag) ? { sha256: etag.toLowerCase() } : {}),
    ...(Number.isFinite(size) && size > 0 ? { size } : {}),
  };
}

export function sha256File(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash("sha256");
    createReadStream(path)
      .on("data", (chunk) => hash.update(chunk))
      .on("error", reject)
      .on("end", () => resolve(hash.digest("hex")));
  });
}

/**
 * ipull (node-llama-cpp's downloader) keeps its resume record as JSON past the file's last byte, and cuts it off
 * when the download ends. But it does not wait for its last record write before that cut (ipull 3.9.5:
 * `void this._saveProgress()`), so on a loaded machine the write can land after it. The file then ends with a few
 * dozen bytes of JSON, and its checksum fails. When everything past the published size is such a record, this cuts
 * it off (and returns true). It cuts nothing else, and the checksum is checked afterwards all the same.
 */
export function dropTrailingResumeRecord(path: string, size: number): boolean {
  const surplus = statSync(path).size - size;
  if (surplus <= 0 || surplus > 64 * 1024) return false;
  const bytes = Buffer.alloc(surplus);
  const fd = openSync(path, "r");
  try {
    readSync(fd, bytes, 0, surplus, size);
  } finally {
    closeSync(fd);
  }
  try {
    const record: unknown = JSON.parse(bytes.toString("utf8"));
    if (typeof record !== "object" || record === null || Array.isArray(record)) return false;
  } catch {
    return false;
  }
  truncateSync(path, size);
  return true;
}

export interface PullProgress {
  downloadedSize: number;
  totalSize: number;
}

export interface PullResult {
  path: string;
  verified: "sha256" | "size" | "none";
  alreadyThere: boolean;
}

export async function pullModel(
  plan: PullPlan,
  options: {
    timeoutMs?: number;
    showCliProgress?: boolean;
    onProgress?: (p: PullProgress) => void;
    signal?: AbortSignal;
    /** what the Hub said about the file, before anything is downloaded (throw to stop there: not enough disk, …) */
    onRemote?: (remote: Remote) => void;
  } = {},
): Promise<PullResult> {
  const remote = await probe(plan, options.timeoutMs ?? 20_000);
  options.onRemote?.(remote);
  mkdirSync(plan.dir, { recursive: true });
  let alreadyThere: boolean;
  let path: string;
  try {
    const downloader = await createModelDownloader({
      modelUri: plan.uri,
      dirPath: plan.dir,
      ...(plan.fileName ? { fileName: plan.fileName } : {}),
      showCliProgress: options.showCliProgress ?? false,
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
      skipExisting: true,
      // keep the partial file on Ctrl-C: the next pull resumes from it
      deleteTempFileOnCancel: false,
      endpoints: { huggingFace: plan.endpoint },
      ...(process.env.HF_TOKEN ? { tokens: { huggingFace: process.env.HF_TOKEN } } : {}),
    });
    const target = downloader.entrypointFilePath;
    alreadyThere = existsSync(target) && (!remote.size || statSync(target).size === remote.size);
    path = await downloader.download(options.signal ? { signal: options.signal } : {});
    if (options.signal?.aborted || !existsSync(path))
      throw new PullError("interrupted; run the same command again to resume the download", "interrupted");
  } catch (error) {
    if (error instanceof PullError) throw error;
    if (options.signal?.aborted)
      throw new PullError("interrupted; run the same command again to resume the download", "interrupted");
    const code = networkCode(error);
    if (code) throw new PullError(`the download broke off (${code}); run the same command again to resume`, "broken");
    throw new PullError(`download failed: ${(error as Error).message.split("\n")[0]}`);
  }
  if (remote.size) dropTrailingResumeRecord(path, remote.size);
  if (remote.sha256) {
    const actual = await sha256File(path);
    if (actual !== remote.sha256) {
      rmSync(path, { force: true });
      throw new PullError(
        `checksum mismatch for ${path}: expected sha256 ${remote.sha256}, got ${actual}; the file was removed, run the command again`,
        "checksum",
      );
    }
    return { path, verified: "sha256", alreadyThere };
  }
  if (remote.size) {
    const size = statSync(path).size;
    if (size !== remote.size) {
      rmSync(path, { force: true });
      throw new PullError(
        `size mismatch for ${path}: expected ${remote.size} bytes, got ${size}; the file was removed, run the command again`,
        "size",
      );
    }
    return { path, verified: "size", alreadyThere };
  }
  return { path, verified: "none", alreadyThere };
}
