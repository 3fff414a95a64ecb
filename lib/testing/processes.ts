import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../..", import.meta.url));

export interface ScriptResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface ScriptRun {
  child: ChildProcess;
  /** stderr so far */
  output: () => string;
  done: Promise<ScriptResult>;
}

/**
 * A project script as one node process (tsx as a loader, no wrapper process), from the repository root, in its
 * own process group (a test can signal the group), tracing off, `env` over the parent's environment.
 */
export function startScript(script: string, args: string[], env: NodeJS.ProcessEnv = {}): ScriptRun {
  const child = spawn(process.execPath, ["--import", "tsx", script, ...args], {
    cwd: root,
    env: { ...process.env, LANGSMITH_TRACING: "false", ...env },
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout!.on("data", (chunk) => (stdout += chunk));
  child.stderr!.on("data", (chunk) => (stderr += chunk));
  const done = new Promise<ScriptResult>((resolve) => child.on("close", (code, signal) => resolve({ code, signal, stdout, stderr })));
  return { child, output: () => stderr, done };
}

/** The complete lines of a file something is appending to (a torn last line left out). */
export function completeLines(path: string): string[] {
  if (!existsSync(path)) return [];
  const text = readFileSync(path, "utf8");
  return text.slice(0, text.lastIndexOf("\n") + 1).split("\n").filter(Boolean);
}
