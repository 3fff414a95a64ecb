import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));

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
  return spawnDetached(process.execPath, ["--import", "tsx", script, ...args], env);
}

function spawnDetached(command: string, args: string[], env: NodeJS.ProcessEnv): ScriptRun {
  const child = spawn(command, args, {
    cwd: root,
    env: { ...process.env, LANGSMITH_TRACING: "false", ...env },
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const done = new Promise<ScriptResult>((resolve) =>
    child.on("close", (code, signal) => resolve({ code, signal, stdout, stderr })),
  );
  return { child, output: () => stderr, done };
}

/**
 * `npm run SCRIPT -- args` from the repository root, detached (its own process group, whose id is the npm pid),
 * tracing off: the way a user starts a command, npm's signal handling included.
 */
export function startNpmScript(script: string, args: string[], env: NodeJS.ProcessEnv = {}): ScriptRun {
  return spawnDetached("npm", ["run", "--silent", script, "--", ...args], env);
}

/** Live processes as /proc lists them: pid, parent pid, process group, command line. */
export function processTable(): { pid: number; ppid: number; pgid: number; command: string }[] {
  const table: { pid: number; ppid: number; pgid: number; command: string }[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      // pid (comm) state ppid pgrp …: comm may hold spaces and parentheses, so split after the last ")"
      const [state, ppid, pgid] = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (state === "Z") continue;
      const command = readFileSync(`/proc/${entry}/cmdline`, "utf8").replace(/\0/g, " ").trim();
      table.push({ pid: Number(entry), ppid: Number(ppid), pgid: Number(pgid), command });
    } catch {
      // the process ended while we looked
    }
  }
  return table;
}

/** The live processes of a process group. */
export const groupMembers = (pgid: number) => processTable().filter((p) => p.pgid === pgid);

/** Polls `check` every 50 ms until it returns a value (not undefined/false), or throws after `timeoutMs`. */
export async function waitFor<T>(what: string, check: () => T | undefined | false, timeoutMs = 180_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The complete lines of a file something is appending to (a torn last line left out). */
export function completeLines(path: string): string[] {
  if (!existsSync(path)) return [];
  const text = readFileSync(path, "utf8");
  return text
    .slice(0, text.lastIndexOf("\n") + 1)
    .split("\n")
    .filter(Boolean);
}

/**
 * A project script on a pseudo-terminal (util-linux `script`, so no native pty package): its stdout and stderr are
 * a terminal, as when a user runs it, and `screen()` is what that terminal received so far, with the terminal's
 * CRLFs as plain newlines and the ANSI escape sequences (cursor moves, progress bars) taken out.
 */
export function startOnTerminal(
  script: string,
  args: string[],
  env: NodeJS.ProcessEnv = {},
): ScriptRun & { screen: () => string } {
  const quote = (arg: string) => `'${arg.replace(/'/g, `'\\''`)}'`;
  const command = [process.execPath, "--import", "tsx", script, ...args].map(quote).join(" ");
  const run = spawnDetached("script", ["-qfec", command, "/dev/null"], {
    TERM: "xterm",
    COLUMNS: "200",
    LINES: "50",
    ...env,
  });
  let raw = "";
  run.child.stdout!.on("data", (chunk: Buffer) => (raw += chunk.toString()));
  // eslint-disable-next-line no-control-regex -- terminal escape sequences are what this strips
  const screen = () => raw.replace(/\r\n/g, "\n").replace(/\x1b\[[0-9;?]*[A-Za-z]/g, "");
  return { ...run, screen };
}
