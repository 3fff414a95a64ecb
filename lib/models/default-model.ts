// The default model used when the user passes no --model: Qwen3-1.7B, Q4_K_M quantisation, as llama.cpp's own
// ggml-org publishes it (119 languages, Apache-2.0, 1.28 GB, runs on a laptop CPU; written in Qwen3's non-thinking
// format, see llama-cpp.ts). Why this one: docs/default-model.md.
import { existsSync, statSync } from "node:fs";
import { homedir } from "node:os";
import { join, resolve } from "node:path";

export const DEFAULT_MODEL = {
  /** what the first-run download line calls it */
  name: "Qwen3-1.7B Q4_K_M",
  uri: "hf:ggml-org/Qwen3-1.7B-GGUF/Qwen3-1.7B-Q4_K_M.gguf",
  file: "Qwen3-1.7B-Q4_K_M.gguf",
} as const;

/**
 * The name `node-llama-cpp pull` gives the file when no `--filename` is passed (it prefixes
 * "hf_<user>_"); accepted too so a plain `pull --dir <dir> <uri>` also works.
 */
export const DEFAULT_MODEL_PULLED_FILE = `hf_ggml-org_${DEFAULT_MODEL.file}`;

export type ModelPathResult = { ok: true; path: string } | { ok: false; message: string };

/** POLYGLOT_MODELS_DIR, else $XDG_CACHE_HOME/polyglot-personachat/models, else ~/.cache/polyglot-personachat/models. */
export function modelCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.POLYGLOT_MODELS_DIR) return resolve(env.POLYGLOT_MODELS_DIR);
  if (env.XDG_CACHE_HOME) return join(resolve(env.XDG_CACHE_HOME), "polyglot-personachat", "models");
  return join(homedir(), ".cache", "polyglot-personachat", "models");
}

/**
 * The one-line command that downloads the default model into the cache under the expected file name
 * (scripts/model-pull.ts: node-llama-cpp's downloader, resumable, checksum-verified). It writes to
 * modelCacheDir(), the same place resolveModelPath looks, so it takes no directory.
 */
export function defaultModelPullCommand(): string {
  return "npm run model:pull";
}

function isFile(p: string): boolean {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
}

/**
 * Resolves the --model flag: a given path must exist and end in .gguf; without a flag, the default
 * model file in the cache dir. Never throws; `message` is a single line suitable for stderr.
 */
export function resolveModelPath(flag?: string, env: NodeJS.ProcessEnv = process.env): ModelPathResult {
  if (flag !== undefined) {
    if (flag.trim() === "")
      return { ok: false, message: "--model must not be empty (expected a path to a .gguf file)" };
    const path = resolve(flag);
    if (!path.toLowerCase().endsWith(".gguf"))
      return { ok: false, message: `--model must be a .gguf file, got ${flag}` };
    if (!existsSync(path)) return { ok: false, message: `model file not found: ${path}` };
    if (!isFile(path)) return { ok: false, message: `--model is not a regular file: ${path}` };
    return { ok: true, path };
  }
  const dir = modelCacheDir(env);
  for (const name of [DEFAULT_MODEL.file, DEFAULT_MODEL_PULLED_FILE]) {
    const candidate = join(dir, name);
    if (isFile(candidate)) return { ok: true, path: candidate };
  }
  return {
    ok: false,
    message:
      `default model not found at ${join(dir, DEFAULT_MODEL.file)}; download it once with: ` +
      `${defaultModelPullCommand()}  (or pass --model PATH.gguf, or use a server: --provider openai|anthropic|ollama)`,
  };
}
