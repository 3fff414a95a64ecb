import { loadProviders, PROVIDERS } from "../../lib/models/factory.js";

/**
 * The dialogue graph as LangGraph's dev server (`npm run studio`, langgraph.json) loads it.
 *
 * The server runs with `--import …/@langchain/langgraph-api/dist/preload.mjs`, a preload that parses the last
 * command-line argument as the server's options. node-llama-cpp, before loading its prebuilt binary, forks a
 * child with the same node flags to test it; in that child the last argument is a file path, the preload throws,
 * the test "fails", and node-llama-cpp falls back to building llama.cpp from source (minutes of compiling on
 * the first run of a dialogue from Studio). Children forked from the server need no server preload: it is
 * dropped from the flags they inherit. The CLI and the tests load graph.ts directly and are not affected.
 */
export function withoutServerPreload(execArgv: readonly string[]): string[] {
  const kept: string[] = [];
  for (let i = 0; i < execArgv.length; i++) {
    const arg = execArgv[i]!;
    const isPreload = (value: string | undefined) => /langgraph-api\/dist\/preload\.mjs$/.test(value ?? "");
    if (arg === "--import" && isPreload(execArgv[i + 1])) {
      i++;
      continue;
    }
    if (arg.startsWith("--import=") && isPreload(arg.slice("--import=".length))) continue;
    kept.push(arg);
  }
  return kept;
}

process.execArgv = withoutServerPreload(process.execArgv);

// Studio picks the provider per run (the context's provider field): every provider's SDK is loaded up front
await loadProviders(...PROVIDERS);

export { graph } from "./graph.js";
