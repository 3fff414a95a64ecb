/**
 * What importing modules does to the process: `node --import tsx testing/import-effects.ts MODULE…` imports each
 * module (paths from the repository root) and prints, as one JSON line, the project files read by fs.readFileSync
 * meanwhile (module sources aside), whether @langchain/core's run-context singleton was replaced
 * (lib/untraced-context.ts), and process.execArgv after the imports — with the LangGraph dev server's preload flag
 * put into it first, so that a module that strips it shows. Then, as controls, it reads a data file the way the code
 * does and installs the untraced run context, and reports both again: a check that sees neither would be blind.
 */
import fs from "node:fs";
import { syncBuiltinESMExports } from "node:module";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { AsyncLocalStorageProviderSingleton } from "@langchain/core/singletons";

const root = fileURLToPath(new URL("..", import.meta.url));
export const SERVER_PRELOAD = ["--import", "file:///x/node_modules/@langchain/langgraph-api/dist/preload.mjs"];

const reads: string[] = [];
const readFileSync = fs.readFileSync;
fs.readFileSync = ((path: fs.PathOrFileDescriptor, ...rest: unknown[]) => {
  const file = typeof path === "string" ? path : path instanceof URL ? fileURLToPath(path) : "";
  if (file.startsWith(root) && !file.includes("node_modules") && !/\.(ts|js|mjs|cjs)$/.test(file))
    reads.push(file.slice(root.length));
  return (readFileSync as (...args: unknown[]) => unknown)(path, ...rest);
}) as typeof fs.readFileSync;
syncBuiltinESMExports(); // `import { readFileSync } from "node:fs"` in the modules sees the spy

// compared by identity, never called
// eslint-disable-next-line @typescript-eslint/unbound-method
const runWithConfig = AsyncLocalStorageProviderSingleton.runWithConfig;

const patched = () => AsyncLocalStorageProviderSingleton.runWithConfig !== runWithConfig;
process.execArgv = [...process.execArgv, ...SERVER_PRELOAD];

for (const module of process.argv.slice(2)) await import(pathToFileURL(join(root, module)).href);
const afterImport = { reads: [...reads], patched: patched(), execArgv: process.execArgv };

const { loadSpeechEvents } = await import("../lib/speech-events.js");
const { installUntracedRunContext } = await import("../lib/untraced-context.js");
loadSpeechEvents();
installUntracedRunContext();
const controls = { reads: [...reads], patched: patched() };

console.log(JSON.stringify({ afterImport, controls }));
