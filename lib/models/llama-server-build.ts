// Builds llama.cpp's own OpenAI-compatible server (`llama-server`) once per machine from the llama.cpp source
// node-llama-cpp ships (a git bundle), for `npm run llama-server:build`, the tests and the server benchmark (which
// start it with lib/models/testing/llama-server.ts). The build is cached outside the repository by the bundle's hash:
//   ${XDG_CACHE_HOME:-~/.cache}/polyglot-personachat/llama-server/<first 16 hex of sha256(bundle)>/
//     src/            the bundle, cloned      cmake.log   the build's output
//     bin/llama-server                        status      "done" or "failed"
//     lock/           held by the process building (its pid inside), so two builders never share src/
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import {
  createReadStream,
  existsSync,
  mkdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
  copyFileSync,
  chmodSync,
  appendFileSync,
} from "node:fs";
import { createRequire } from "node:module";
import { availableParallelism, homedir } from "node:os";
import { dirname, join, resolve } from "node:path";

/** node-llama-cpp's copy of the llama.cpp source it was built from. */
export function llamaCppBundlePath(): string {
  const entry = createRequire(import.meta.url).resolve("node-llama-cpp");
  return join(dirname(entry), "..", "llama", "gitRelease.bundle");
}

export async function bundleHash(bundle = llamaCppBundlePath()): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(bundle)) hash.update(chunk as Buffer);
  return hash.digest("hex").slice(0, 16);
}

export interface LlamaServerBuild {
  dir: string;
  src: string;
  binary: string;
  status: string;
  log: string;
  lock: string;
}

export async function llamaServerBuildPaths(
  env: NodeJS.ProcessEnv = process.env,
  bundle = llamaCppBundlePath(),
): Promise<LlamaServerBuild> {
  const cache = env.XDG_CACHE_HOME ? resolve(env.XDG_CACHE_HOME) : join(homedir(), ".cache");
  const dir = join(cache, "polyglot-personachat", "llama-server", await bundleHash(bundle));
  return {
    dir,
    src: join(dir, "src"),
    binary: join(dir, "bin", "llama-server"),
    status: join(dir, "status"),
    log: join(dir, "cmake.log"),
    lock: join(dir, "lock"),
  };
}

function readStatus(path: string): string {
  try {
    return readFileSync(path, "utf8").trim();
  } catch {
    return "";
  }
}

/** The built binary, or why there is none (one line). */
export async function findLlamaServer(
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ ok: true; binary: string } | { ok: false; reason: string }> {
  let paths: LlamaServerBuild;
  try {
    paths = await llamaServerBuildPaths(env);
  } catch (error) {
    return { ok: false, reason: `no llama.cpp source bundle (${(error as Error).message.split("\n")[0]})` };
  }
  if (readStatus(paths.status) === "done" && existsSync(paths.binary)) return { ok: true, binary: paths.binary };
  const status = readStatus(paths.status);
  return {
    ok: false,
    reason: `llama-server is not built in ${paths.dir}${status === "failed" ? ` (the last build failed, see ${paths.log})` : ""}: run npm run llama-server:build`,
  };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

function run(command: string, args: string[], cwd: string, log: string): Promise<void> {
  appendFileSync(log, `$ ${command} ${args.join(" ")}\n`);
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, { cwd, stdio: ["ignore", "pipe", "pipe"] });
    child.stdout.on("data", (chunk: Buffer) => appendFileSync(log, chunk));
    child.stderr.on("data", (chunk: Buffer) => appendFileSync(log, chunk));
    child.on("error", (error) =>
      reject(
        new Error(
          `${command}: ${(error as NodeJS.ErrnoException).code === "ENOENT" ? "not found (Debian: apt-get install cmake g++ git)" : error.message}`,
        ),
      ),
    );
    child.on("close", (code, signal) =>
      code === 0 ? resolvePromise() : reject(new Error(`${command} ${args[0] ?? ""} exited with ${signal ?? code}`)),
    );
  });
}

export interface BuildOptions {
  env?: NodeJS.ProcessEnv;
  /** progress lines (waiting for another builder, each step) */
  onProgress?: (line: string) => void;
  /** how often to look at another builder's lock */
  pollMs?: number;
  jobs?: number;
}

export const CMAKE_FLAGS = [
  "-DLLAMA_CURL=OFF",
  "-DLLAMA_OPENSSL=OFF",
  "-DBUILD_SHARED_LIBS=OFF",
  "-DLLAMA_BUILD_TESTS=OFF",
  "-DLLAMA_BUILD_EXAMPLES=OFF",
  "-DCMAKE_BUILD_TYPE=Release",
];

/**
 * The llama-server binary, built when the cache has none (15-20 min on 2 cores). One builder at a time: the
 * others wait for its lock to go and take its result; a lock whose process died is taken over. A failed build
 * leaves status "failed" and throws one line naming the log; the next call tries again.
 */
export async function buildLlamaServer(options: BuildOptions = {}): Promise<string> {
  const paths = await llamaServerBuildPaths(options.env);
  const say = options.onProgress ?? (() => {});
  mkdirSync(paths.dir, { recursive: true });
  for (;;) {
    if (readStatus(paths.status) === "done" && existsSync(paths.binary)) return paths.binary;
    try {
      mkdirSync(paths.lock);
      writeFileSync(join(paths.lock, "pid"), String(process.pid));
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      const pid = Number(readStatus(join(paths.lock, "pid")));
      if (Number.isInteger(pid) && pid > 0 && !alive(pid)) {
        say(`llama-server: taking over the lock of process ${pid}, which is gone`);
        rmSync(paths.lock, { recursive: true, force: true });
        continue;
      }
      say(`llama-server: waiting for the build in process ${pid || "?"} (${paths.log})`);
      await new Promise((r) => setTimeout(r, options.pollMs ?? 5000));
    }
  }
  try {
    if (readStatus(paths.status) === "done" && existsSync(paths.binary)) return paths.binary;
    rmSync(paths.status, { force: true });
    writeFileSync(paths.log, "");
    if (!existsSync(join(paths.src, "CMakeLists.txt"))) {
      rmSync(paths.src, { recursive: true, force: true });
      say(`llama-server: cloning ${llamaCppBundlePath()}`);
      await run("git", ["clone", "--quiet", llamaCppBundlePath(), paths.src], paths.dir, paths.log);
    }
    say(`llama-server: building in ${paths.src} (15-20 min on 2 cores; log: ${paths.log})`);
    await run("cmake", ["-B", "build", ...CMAKE_FLAGS], paths.src, paths.log);
    await run(
      "cmake",
      ["--build", "build", "--target", "llama-server", `-j${options.jobs ?? availableParallelism()}`],
      paths.src,
      paths.log,
    );
    mkdirSync(dirname(paths.binary), { recursive: true });
    copyFileSync(join(paths.src, "build", "bin", "llama-server"), paths.binary);
    chmodSync(paths.binary, 0o755);
    writeFileSync(paths.status, "done\n");
    return paths.binary;
  } catch (error) {
    writeFileSync(paths.status, "failed\n");
    throw new Error(`llama-server build failed: ${(error as Error).message.split("\n")[0]} (log: ${paths.log})`, {
      cause: error,
    });
  } finally {
    rmSync(paths.lock, { recursive: true, force: true });
  }
}

// ── a running server ──────────────────────────────────────────────────────────────────────────────────────────
