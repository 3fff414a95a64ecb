import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { join } from "node:path";
import { freePort } from "./ports.js";

const root = fileURLToPath(new URL("..", import.meta.url));
const tsx = join(root, "node_modules", ".bin", "tsx");

export interface StudioServer {
  base: string;
  child: ChildProcess;
  /** stdout and stderr so far */
  output(): string;
  /** stops the whole process group (studio.ts, the CLI, its watcher and the server); true once it is gone */
  stop(): Promise<boolean>;
}

/** A free port other than 2024, the dev server's default (which may be taken here). */
async function studioPort(): Promise<number> {
  const port = await freePort();
  return port === 2024 ? studioPort() : port;
}

/** The parent's env without anything LangSmith / LangChain. */
export function cleanEnv(): Record<string, string> {
  return Object.fromEntries(
    Object.entries(process.env).filter(
      (e): e is [string, string] => e[1] !== undefined && !/^(LANGSMITH_|LANGCHAIN_)/.test(e[0]),
    ),
  );
}

const groupAlive = (pid: number) => {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** `npm run studio` for real: the pinned `langgraphjs dev` on a free port, offline, in its own process group; waits for /ok. */
export async function startStudio(env: Record<string, string> = {}): Promise<StudioServer> {
  const port = await studioPort();
  const base = `http://127.0.0.1:${port}`;
  const child = spawn(tsx, ["scripts/studio.ts", "--port", String(port)], {
    cwd: root,
    env: { ...cleanEnv(), ...env },
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const stop = async () => {
    if (!child.pid) return true;
    if (groupAlive(child.pid)) process.kill(-child.pid, "SIGTERM");
    const until = Date.now() + 10_000;
    while (groupAlive(child.pid) && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 100));
    if (groupAlive(child.pid)) process.kill(-child.pid, "SIGKILL");
    // the dev server runs in a process group of its own (scripts/studio.ts): it must be gone too, not orphaned
    const answers = () =>
      fetch(`${base}/ok`, { signal: AbortSignal.timeout(1_000) }).then(
        () => true,
        () => false,
      );
    const serverUntil = Date.now() + 10_000;
    while ((await answers()) && Date.now() < serverUntil) await new Promise((resolve) => setTimeout(resolve, 200));
    return !groupAlive(child.pid) && !(await answers());
  };
  const until = Date.now() + 90_000;
  for (;;) {
    const ok = await fetch(`${base}/ok`, { signal: AbortSignal.timeout(2_000) }).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) break;
    if (child.exitCode !== null || Date.now() > until) {
      await stop();
      throw new Error(`the dev server did not come up on ${base}:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  return { base, child, output: () => output, stop };
}
