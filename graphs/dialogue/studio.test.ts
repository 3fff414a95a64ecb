import { describe, expect, it } from "vitest";
import { withoutServerPreload } from "./studio.js";

describe("the Studio entry", () => {
  it("drops the dev server's preload from the flags forked children inherit, and nothing else", () => {
    const preload = "file:///x/node_modules/@langchain/langgraph-api/dist/preload.mjs";
    const tsx = ["--require", "/x/node_modules/tsx/dist/preflight.cjs", "--import", "file:///x/node_modules/tsx/dist/loader.mjs"];
    expect(withoutServerPreload([...tsx, "--import", preload])).toEqual(tsx);
    expect(withoutServerPreload([...tsx, `--import=${preload}`, "--max-old-space-size=512"])).toEqual([...tsx, "--max-old-space-size=512"]);
    expect(withoutServerPreload(tsx)).toEqual(tsx);
  });
});
