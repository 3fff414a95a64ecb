/**
 * The first run of a command that needs the default model (no --model, provider llama-cpp) fetches it: the same
 * downloader as `npm run model:pull` (pull.ts: node-llama-cpp's, resumable, SHA-256 checked), with
 *
 * - one line saying what is downloaded, how big it is and where it goes; a bar on a terminal, a plain line at
 *   most every 5 s elsewhere;
 * - the download made in a staging folder (`.partial/` in the cache) and moved into place only once its checksum
 *   passed, so an interrupted, broken or corrupt download is never where resolveModelPath looks;
 * - a lock (proper-lockfile, the library node-llama-cpp itself uses) so two first runs on one machine download
 *   once: the second waits, then finds the file;
 * - free disk checked before the first byte (fs.statfs);
 * - `--no-download` / POLYGLOT_NO_DOWNLOAD=1 keeping the one-line "not found" error instead.
 */
import { existsSync, mkdirSync, renameSync, rmdirSync, statfsSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { lock } from "proper-lockfile";
import { DEFAULT_MODEL, modelCacheDir, resolveModelPath } from "./default-model.js";
import { ModelConfigError } from "./errors.js";
// pull.ts loads node-llama-cpp (a second of start-up): imported only when a download starts
import type { PullProgress, Remote } from "./pull.js";

/** POLYGLOT_NO_DOWNLOAD=1 (or true / yes): never download the default model (CI, clusters, air-gapped machines). */
export function downloadsDisabled(env: NodeJS.ProcessEnv = process.env): boolean {
  return /^(1|true|yes|on)$/i.test(env.POLYGLOT_NO_DOWNLOAD?.trim() ?? "");
}

/** The user stopped the download (Ctrl-C): the command exits 130 and the next run resumes it. */
export class DownloadInterruptedError extends Error {
  override name = "DownloadInterruptedError";
}

/** The download could not be made (offline, not enough disk, bad checksum, …): one line, exit 1. */
export class DownloadError extends Error {
  override name = "DownloadError";
}

export interface EnsureModelOptions {
  env?: NodeJS.ProcessEnv;
  /** --no-download */
  noDownload?: boolean;
  /** where the lines go (stderr) */
  stream?: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  /** a redrawn bar (terminal) or plain lines (default: whether the stream is a terminal) */
  tty?: boolean;
  /** stops the download (the partial file stays for the next run); default: SIGINT / SIGTERM while it lasts */
  signal?: AbortSignal;
  /** plain mode: least time between two lines */
  plainIntervalMs?: number;
  /** the Hub's first answer */
  timeoutMs?: number;
  /** a waiting run looks for the other's lock this often */
  pollMs?: number;
  /** the prefix of each line */
  program?: string;
}

const GB = 1e9;
const gb = (bytes: number) => (bytes >= GB ? `${(bytes / GB).toFixed(2)} GB` : `${(bytes / 1e6).toFixed(1)} MB`);
/** room kept free beside the file (the filesystem, the journal, the OS) */
const DISK_MARGIN = 50 * 1e6;

/** Free bytes for an unprivileged writer in `dir` (or its nearest existing parent). */
export function freeBytes(dir: string): number {
  let probe = dir;
  while (!existsSync(probe) && dirname(probe) !== probe) probe = dirname(probe);
  const stats = statfsSync(probe);
  return stats.bavail * stats.bsize;
}

/** The bytes a file takes on disk: ipull writes its chunks into a sparse file of the full size, so this is what came. */
function bytesOnDisk(path: string): number {
  try {
    return statSync(path).blocks * 512;
  } catch {
    return 0;
  }
}

/** One line per state of a download: a bar redrawn in place on a terminal, else a line at most every interval. */
export class DownloadProgress {
  private last = 0;
  private lastShown = -1;
  private drawn = false;
  private readonly started: number;
  constructor(
    private readonly stream: NodeJS.WritableStream & { columns?: number },
    private readonly tty: boolean,
    private readonly prefix: string,
    private readonly intervalMs = 5000,
    private readonly now: () => number = Date.now,
    /** bytes already on disk when this session started (a resumed download) */
    private readonly resumedFrom = 0,
  ) {
    this.started = now();
    this.last = this.started;
  }

  line({ downloadedSize, totalSize }: PullProgress): string {
    const seconds = Math.max(0.001, (this.now() - this.started) / 1000);
    const rate = Math.max(0, downloadedSize - this.resumedFrom) / seconds;
    const eta = rate > 0 && totalSize ? Math.round((totalSize - downloadedSize) / rate) : undefined;
    const percent = totalSize ? Math.floor((downloadedSize / totalSize) * 100) : 0;
    const tail = `${gb(downloadedSize)} / ${gb(totalSize)} · ${(rate / 1e6).toFixed(1)} MB/s${eta !== undefined ? ` · ${eta} s left` : ""}`;
    if (!this.tty) return `${this.prefix}downloading: ${percent}% (${tail})`;
    const width = 24;
    const filled = Math.round((percent / 100) * width);
    return `${this.prefix}${"█".repeat(filled)}${"░".repeat(width - filled)} ${String(percent).padStart(3)}%  ${tail}`;
  }

  update(progress: PullProgress): void {
    const now = this.now();
    if (this.tty) {
      if (now - this.last < 200) return;
      this.last = now;
      this.stream.write(`\r\x1b[2K${this.line(progress)}`);
      this.drawn = true;
      return;
    }
    if (now - this.last < this.intervalMs || progress.downloadedSize === this.lastShown) return;
    this.last = now;
    this.lastShown = progress.downloadedSize;
    this.stream.write(`${this.line(progress)}\n`);
  }

  /** Ends the bar's line (a terminal), so what follows starts on a line of its own. */
  end(): void {
    if (this.drawn) this.stream.write("\r\x1b[2K");
    this.drawn = false;
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done, { once: true });
  });
}

/** SIGINT / SIGTERM abort the returned signal while `run` lasts (the command's own handlers come later). */
async function withSignals<T>(given: AbortSignal | undefined, run: (signal: AbortSignal) => Promise<T>): Promise<T> {
  if (given) return run(given);
  const controller = new AbortController();
  const stop = () => controller.abort();
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
  try {
    return await run(controller.signal);
  } finally {
    process.off("SIGINT", stop);
    process.off("SIGTERM", stop);
  }
}

/**
 * The lock of one download into the model cache (`FILE.lock` beside the file it makes; proper-lockfile, as
 * node-llama-cpp uses): `npm run model:pull` and every first run take the same one, so two at once download once
 * and never write the same partial file. Waits while another process holds it (`onWait` once), polling every
 * `pollMs`; a lock whose holder died is taken over after a minute. `lost` aborts if the lock is taken away while
 * held. Throws DownloadInterruptedError when `signal` aborts during the wait, DownloadError when it cannot lock.
 */
export async function holdDownloadLock(
  target: string,
  signal: AbortSignal,
  pollMs: number,
  onWait: () => void,
): Promise<{ release: () => Promise<void>; lost: AbortSignal; compromised: () => Error | undefined }> {
  let compromised: Error | undefined;
  const lost = new AbortController();
  let told = false;
  for (;;) {
    if (signal.aborted) throw new DownloadInterruptedError("interrupted while waiting for the other download");
    try {
      const release = await lock(target, {
        realpath: false,
        lockfilePath: `${target}.lock`,
        stale: 60_000,
        update: 10_000,
        onCompromised: (error) => {
          compromised = error;
          lost.abort();
        },
      });
      return { release: () => release().catch(() => undefined), lost: lost.signal, compromised: () => compromised };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ELOCKED")
        throw new DownloadError(`cannot lock ${target}.lock: ${(error as Error).message.split("\n")[0]}`);
      if (!told) onWait();
      told = true;
      await sleep(pollMs, signal);
    }
  }
}

const WHAT_TO_DO =
  "pass --model PATH.gguf, set HF_ENDPOINT to a mirror, or use a server (--provider openai|anthropic|ollama)";

/**
 * The default model's path, downloading it first when it is not in the cache (and downloads are allowed).
 * Throws ModelConfigError (downloads off: the usual one line, exit 2), DownloadError (exit 1) or
 * DownloadInterruptedError (exit 130).
 */
export async function ensureDefaultModel(options: EnsureModelOptions = {}): Promise<string> {
  const env = options.env ?? process.env;
  const found = resolveModelPath(undefined, env);
  if (found.ok) return found.path;
  if (options.noDownload || downloadsDisabled(env)) {
    throw new ModelConfigError(found.message);
  }
  const stream = options.stream ?? process.stderr;
  const tty = options.tty ?? Boolean((stream as { isTTY?: boolean }).isTTY && env.TERM !== "dumb" && !env.CI);
  const prefix = options.program ? `${options.program}: ` : "";
  const say = (line: string) => stream.write(`${prefix}${line}\n`);
  const dir = modelCacheDir(env);
  const target = join(dir, DEFAULT_MODEL.file);
  const staging = join(dir, ".partial");
  mkdirSync(dir, { recursive: true });

  return withSignals(options.signal, async (signal) => {
    // one download per cache: the others wait for it, then find the file
    let told = false;
    const held = await holdDownloadLock(target, signal, options.pollMs ?? 1000, () => {
      say(`another process is downloading the default model into ${dir}; waiting for it`);
      told = true;
    });
    const { compromised } = held;
    try {
      const again = resolveModelPath(undefined, env);
      if (again.ok) {
        // set by the wait callback above (the narrowing cannot see into it)
        // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition
        if (told) say(`the other process finished: using ${again.path}`);
        return again.path;
      }
      const { planPull, PullError, pullModel } = await import("./pull.js");
      const plan = { ...planPull(undefined, env), dir: staging };
      const partial = bytesOnDisk(join(staging, `${DEFAULT_MODEL.file}.ipull`));
      let progress: DownloadProgress | undefined;
      const onRemote = (remote: Remote) => {
        const size = remote.size;
        if (size) {
          const needed = Math.max(0, size - partial) + DISK_MARGIN;
          const free = freeBytes(dir);
          if (free < needed) {
            throw new DownloadError(
              `not enough free disk for the default model: it needs ${gb(needed)} in ${dir}, ${gb(free)} free; free some space, set POLYGLOT_MODELS_DIR to another disk, or pass --model PATH.gguf`,
            );
          }
        }
        const what = `${DEFAULT_MODEL.name} (${size ? gb(size) : "size unknown"})`;
        const resumed = partial > 0 && size ? `, resuming with ${gb(Math.min(partial, size))} already there` : "";
        say(
          `downloading the default model ${what} from ${plan.fileUrl ?? plan.endpoint} into ${dir}${resumed} — once; --no-download or POLYGLOT_NO_DOWNLOAD=1 to skip`,
        );
        progress = new DownloadProgress(
          stream,
          tty,
          prefix,
          options.plainIntervalMs ?? 5000,
          Date.now,
          Math.min(partial, size ?? partial),
        );
      };
      let result;
      try {
        result = await pullModel(plan, {
          timeoutMs: options.timeoutMs ?? 20_000,
          signal: AbortSignal.any([signal, held.lost]),
          onRemote,
          onProgress: (p) => progress?.update(p),
        });
      } catch (error) {
        progress?.end();
        if (signal.aborted)
          throw new DownloadInterruptedError(
            `download interrupted; the next run resumes it (${gb(bytesOnDisk(join(staging, `${DEFAULT_MODEL.file}.ipull`)))} kept in ${staging})`,
          );
        if (compromised())
          throw new DownloadError(
            `lost the download lock (${compromised()!.message.split("\n")[0]}); run the command again`,
          );
        if (error instanceof DownloadError) throw error;
        if (error instanceof PullError) {
          if (error.kind === "offline" || error.kind === "unreachable") {
            const host = new URL(plan.fileUrl ?? plan.endpoint).origin;
            throw new DownloadError(
              `cannot download the default model: ${host} is unreachable (${error.message.match(/\(([^)]*)\)/)?.[1] ?? "offline"}); ${WHAT_TO_DO}`,
            );
          }
          throw new DownloadError(`cannot download the default model: ${error.message}`);
        }
        throw new DownloadError(`cannot download the default model: ${(error as Error).message.split("\n")[0]}`);
      }
      progress?.end();
      renameSync(result.path, target);
      try {
        rmdirSync(staging);
      } catch {
        // something else is in there (another download's leftovers): left alone
      }
      const check =
        result.verified === "sha256"
          ? "SHA-256 verified"
          : result.verified === "size"
            ? "size verified (no checksum published)"
            : "no checksum published";
      say(`default model ready: ${target} (${check})`);
      return target;
    } finally {
      await held.release();
    }
  });
}
