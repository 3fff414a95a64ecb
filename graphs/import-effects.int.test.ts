import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { SERVER_PRELOAD } from "../testing/import-effects.js";

const root = fileURLToPath(new URL("..", import.meta.url));

interface Effects {
  afterImport: { reads: string[]; patched: boolean; execArgv: string[] };
  controls: { reads: string[]; patched: boolean };
}

/** Imports the modules in a fresh node process (testing/import-effects.ts) and reports what that did. */
function importEffects(...modules: string[]): Effects {
  const run = spawnSync(process.execPath, ["--import", "tsx", "testing/import-effects.ts", ...modules], {
    cwd: root,
    encoding: "utf8",
    env: { ...process.env, LANGSMITH_TRACING: "false" },
  });
  expect(run.status, run.stderr).toBe(0);
  return JSON.parse(run.stdout.trim().split("\n").at(-1)!) as Effects;
}

describe("importing a graph module", () => {
  it("reads no data file, patches no library and leaves the node flags alone (the dialogue and series graphs, the state)", () => {
    const effects = importEffects("nodes/state.ts", "graphs/dialogue/graph.ts", "graphs/series/graph.ts");
    expect(effects.afterImport.reads).toEqual([]);
    expect(effects.afterImport.patched).toBe(false);
    expect(effects.afterImport.execArgv.slice(-2)).toEqual(SERVER_PRELOAD);
    // the checks see what they look for: the speech-events file read, the run context installed
    expect(effects.controls.reads).toEqual(["data/speech-events.json"]);
    expect(effects.controls.patched).toBe(true);
  });

  it("the Studio entries set up the run context as a run does, and leave the node flags to npm run studio", () => {
    const effects = importEffects("graphs/dialogue/studio.ts", "graphs/series/studio.ts");
    expect(effects.afterImport.reads).toEqual([]);
    expect(effects.afterImport.patched).toBe(true);
    expect(effects.afterImport.execArgv.slice(-2)).toEqual(SERVER_PRELOAD);
  });
});
