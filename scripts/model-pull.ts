/**
 * `npm run model:pull [-- NAME] [--timeout SECONDS]`: downloads the default GGUF (Qwen3-1.7B Q4_K_M) or
 * the named one (hf:user/repo/file.gguf, hf:user/repo:quant, https://…) into the model cache
 * ($POLYGLOT_MODELS_DIR, else $XDG_CACHE_HOME/polyglot-personachat/models, else ~/.cache/…) with a progress bar;
 * an interrupted pull resumes; the SHA-256 is checked when the Hub publishes it. Prints the file's path.
 * Offline, it says so in one line and exits 1; a bad NAME exits 2; Ctrl-C exits 130 (the next pull resumes).
 *
 * It takes the same lock as the first-run download (lib/models/auto-pull.ts), so two pulls, or a pull and a first
 * `npm run graph`, never write the same file at once: the second waits, then finds the file. The default model is
 * fetched exactly as a first run fetches it (a staging folder, moved into place once its checksum passed).
 */
import { createHash } from "node:crypto";
import { mkdirSync } from "node:fs";
import { basename, join } from "node:path";
import { parseArgs } from "node:util";
import {
  DownloadError,
  DownloadInterruptedError,
  ensureDefaultModel,
  holdDownloadLock,
} from "../lib/models/auto-pull.js";
import { DEFAULT_MODEL, resolveModelPath } from "../lib/models/default-model.js";
import { type PullPlan, planPull, PullError, pullModel } from "../lib/models/pull.js";

const USAGE =
  "usage: npm run model:pull [-- NAME] [--timeout SECONDS]   (NAME: hf:user/repo/file.gguf, hf:user/repo:quant or an https URL)";

const HELP = `Usage: npm run model:pull [-- NAME] [options]

Downloads a GGUF into the model cache ($POLYGLOT_MODELS_DIR, else $XDG_CACHE_HOME/polyglot-personachat/models,
else ~/.cache/polyglot-personachat/models) and prints its path. Without NAME: the default model
(Qwen3-1.7B Q4_K_M, 1.28 GB). An interrupted pull resumes; the SHA-256 is checked when the Hub publishes it.

  NAME                 hf:user/repo/file.gguf, hf:user/repo:quant, or an https:// URL
  --timeout SECONDS    how long to wait for the server to answer before the download starts   [20]
  -h, --help           this help

Another pull or first run downloading the same file into the cache is waited for (one download, never two
writers). Exit codes: 0 done, 1 download failed (offline, server error, bad checksum), 2 bad NAME or flags,
130 interrupted (the next pull resumes).`;

function fail(message: string, code: number): never {
  process.stderr.write(`model:pull: ${message.split("\n")[0]}\n`);
  process.exit(code);
}

async function main(): Promise<void> {
  let values: { timeout?: string | undefined; help?: boolean | undefined };
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: process.argv.slice(2),
      options: { timeout: { type: "string" }, help: { type: "boolean", short: "h" } },
      allowPositionals: true,
      strict: true,
    }));
  } catch (error) {
    fail(`${(error as Error).message.split("\n")[0]}  (${USAGE})`, 2);
  }
  if (values.help) {
    console.log(HELP);
    return;
  }
  if (positionals.length > 1) fail(`one model at a time  (${USAGE})`, 2);
  const timeout = values.timeout === undefined ? 20 : Number(values.timeout);
  if (!Number.isFinite(timeout) || timeout <= 0) fail(`--timeout takes seconds  (${USAGE})`, 2);

  let plan;
  try {
    plan = planPull(positionals[0]);
  } catch (error) {
    fail((error as Error).message, 2);
  }
  const controller = new AbortController();
  process.once("SIGINT", () => controller.abort());
  process.once("SIGTERM", () => controller.abort());

  // the default model, not in the cache yet: the first-run download itself (an explicit pull ignores POLYGLOT_NO_DOWNLOAD)
  if (plan.uri === DEFAULT_MODEL.uri && !resolveModelPath(undefined).ok) {
    try {
      const path = await ensureDefaultModel({
        env: { ...process.env, POLYGLOT_NO_DOWNLOAD: "" },
        program: "model:pull",
        signal: controller.signal,
        timeoutMs: timeout * 1000,
      });
      process.stdout.write(`${path}\n`);
      return;
    } catch (error) {
      if (error instanceof DownloadInterruptedError) fail(error.message, 130);
      if (error instanceof DownloadError) fail(error.message, 1);
      throw error;
    }
  }

  // a named model, or the default one already there (verified again): under the lock a download of that file takes
  mkdirSync(plan.dir, { recursive: true });
  let held: Awaited<ReturnType<typeof holdDownloadLock>>;
  try {
    held = await holdDownloadLock(lockTarget(plan), controller.signal, 1000, () =>
      process.stderr.write(
        `model:pull: another process is downloading ${basename(lockTarget(plan))} into ${plan.dir}; waiting for it\n`,
      ),
    );
  } catch (error) {
    if (error instanceof DownloadInterruptedError) fail(error.message, 130);
    fail((error as Error).message, 1);
  }
  // a progress bar on a terminal; a line per 10 % otherwise (logs, CI)
  const tty = process.stderr.isTTY;
  let lastTenth = -1;
  const started = Date.now();
  try {
    const result = await pullModel(plan, {
      timeoutMs: timeout * 1000,
      showCliProgress: tty,
      signal: AbortSignal.any([controller.signal, held.lost]),
      ...(tty
        ? {}
        : {
            onProgress: ({ downloadedSize, totalSize }) => {
              if (!totalSize) return;
              const tenth = Math.floor((downloadedSize / totalSize) * 10);
              if (tenth === lastTenth) return;
              lastTenth = tenth;
              const mb = (n: number) => (n / 1e6).toFixed(1);
              process.stderr.write(
                `model:pull: ${tenth * 10}% (${mb(downloadedSize)} / ${mb(totalSize)} MB, ${((Date.now() - started) / 1000).toFixed(0)} s)\n`,
              );
            },
          }),
    });
    const check =
      result.verified === "sha256"
        ? "sha256 verified"
        : result.verified === "size"
          ? "size verified (no checksum published)"
          : "no checksum published";
    process.stderr.write(`model:pull: ${result.alreadyThere ? "already there" : "done"}, ${check}\n`);
    process.stdout.write(`${result.path}\n`);
  } catch (error) {
    if (held.compromised()) fail(`lost the download lock (${held.compromised()!.message}); run the command again`, 1);
    if (error instanceof PullError) fail(error.message, error.kind === "interrupted" ? 130 : 1);
    fail((error as Error).message, 1);
  } finally {
    await held.release();
  }
}

/**
 * The file whose lock a pull takes: the one it writes when its name is known (the default model, a file path or
 * URL), else (hf:user/repo:quant, resolved by node-llama-cpp) one named after the request.
 */
function lockTarget(plan: PullPlan): string {
  if (plan.fileName) return join(plan.dir, plan.fileName);
  if (plan.fileUrl) return join(plan.dir, basename(new URL(plan.fileUrl).pathname));
  return join(plan.dir, `.pull-${createHash("sha256").update(plan.uri).digest("hex").slice(0, 16)}`);
}

await main();
