import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { withoutServerPreload } from "./studio-server-setup.js";

describe("the Studio server set-up", () => {
  it("drops the dev server's preload from the flags forked children inherit, and nothing else", () => {
    const preload = "file:///x/node_modules/@langchain/langgraph-api/dist/preload.mjs";
    const tsx = [
      "--require",
      "/x/node_modules/tsx/dist/preflight.cjs",
      "--import",
      "file:///x/node_modules/tsx/dist/loader.mjs",
    ];
    expect(withoutServerPreload([...tsx, "--import", preload])).toEqual(tsx);
    expect(withoutServerPreload([...tsx, `--import=${preload}`, "--max-old-space-size=512"])).toEqual([
      ...tsx,
      "--max-old-space-size=512",
    ]);
    expect(withoutServerPreload(tsx)).toEqual(tsx);
  });

  it("langgraph.json names the Node.js line we develop on (.nvmrc), as the LangGraph CLI reads it", async () => {
    const root = join(import.meta.dirname, "..");
    // the CLI's own reading of langgraph.json (the package has no exports map nor types for it)
    const cliConfig = "@langchain/langgraph-cli/dist/utils/config.mjs";
    const { getConfig } = (await import(cliConfig)) as { getConfig: (text: string) => { node_version?: string } };
    const line = readFileSync(join(root, ".nvmrc"), "utf8").trim().replace(/^v/, "").split(".")[0];
    expect(getConfig(readFileSync(join(root, "langgraph.json"), "utf8")).node_version).toBe(line);
  });
});
