/**
 * Set-up of the processes `npm run studio` starts: scripts/studio.ts hands this module to them with
 * NODE_OPTIONS=--import, so it runs first in the LangGraph CLI, its tsx watcher, the dev server and whatever they fork.
 *
 * The dev server runs with `--import …/@langchain/langgraph-api/dist/preload.mjs`, a preload that parses the last
 * command-line argument as the server's options. node-llama-cpp, before loading its prebuilt binary, forks a child
 * with the same node flags (process.execArgv) to test it; in that child the last argument is a file path, the
 * preload throws, the test "fails", and node-llama-cpp falls back to building llama.cpp from source (minutes of
 * compiling on the first run of a dialogue from Studio). Children forked from the server need no server preload: it
 * is dropped from the flags they inherit. A process started without it (the CLI, tsx, the forked children) is left
 * as it is, and so is every process not started by `npm run studio` (the CLI, the worker, the tests).
 *
 * Self-contained, and erasable TypeScript only: Node runs it before any loader is registered.
 */

const isServerPreload = (value: string | undefined) => /langgraph-api\/dist\/preload\.mjs$/.test(value ?? "");

/** The node flags without the dev server's preload (`--import X` or `--import=X`); everything else kept, in order. */
export function withoutServerPreload(execArgv: readonly string[]): string[] {
  const kept: string[] = [];
  for (let i = 0; i < execArgv.length; i++) {
    const arg = execArgv[i]!;
    if (arg === "--import" && isServerPreload(execArgv[i + 1])) {
      i++;
      continue;
    }
    if (arg.startsWith("--import=") && isServerPreload(arg.slice("--import=".length))) continue;
    kept.push(arg);
  }
  return kept;
}

const kept = withoutServerPreload(process.execArgv);
if (kept.length !== process.execArgv.length) process.execArgv = kept;
