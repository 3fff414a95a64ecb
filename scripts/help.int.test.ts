import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";

// Every command answers -h / --help with its usage on stdout and exit 0, doing nothing else.

const root = fileURLToPath(new URL("..", import.meta.url));
const run = (script: string, args: string[]) =>
  spawnSync(process.execPath, ["--import", "tsx", `scripts/${script}.ts`, ...args], {
    cwd: root,
    encoding: "utf8",
    timeout: 60_000,
    env: { ...process.env, LANGSMITH_TRACING: "false" },
  });

const COMMANDS: [script: string, usage: RegExp][] = [
  ["graph", /^Usage: npm run graph/],
  ["worker", /^Usage: npm run worker/],
  ["eval", /^Usage:\n\s+npm run eval/],
  ["audit", /^Usage: npm run audit -- FILE[\s\S]*--json[\s\S]*Exit codes/],
  ["studio", /^Usage: npm run studio[\s\S]*--port N[\s\S]*--host HOST/],
  ["model-tiny", /^Usage: npm run model:tiny[\s\S]*--out PATH\.gguf[\s\S]*--context-length/],
  ["model-pull", /^Usage: npm run model:pull[\s\S]*--timeout SECONDS/],
  ["diagram", /^Usage: npm run graph:diagram/],
  ["bench", /^usage: npm run bench -- NAME/],
  ["review", /^Usage:\n\s+npm run review -- DATA\.jsonl/],
  ["export", /^Usage: npm run export -- --out FILE\.jsonl/],
];

/** README.md and docs/*.md, where every flag a command's help names must be documented. */
const docs = [
  "README.md",
  ...readdirSync(join(root, "docs"))
    .filter((name) => name.endsWith(".md"))
    .map((name) => join("docs", name)),
]
  .map((file) => readFileSync(join(root, file), "utf8"))
  .join("\n");
const FLAG = /(?<![\w-])--[a-z][a-z0-9-]*/g;

describe("--help", () => {
  const helpText = new Map<string, string>();
  const mmd = join(root, "docs", "graph.mmd");
  const before = statSync(mmd).mtimeMs;
  for (const [script, usage] of COMMANDS) {
    it(`${script}: -h and --help print the usage and exit 0`, () => {
      for (const flag of ["--help", "-h"]) {
        const result = run(script, [flag]);
        expect(result.status, `${script} ${flag}: ${result.stderr}`).toBe(0);
        expect(result.stdout).toMatch(usage);
        expect(result.stderr).not.toMatch(/\n\s+at /);
        if (flag === "--help") helpText.set(script, result.stdout);
      }
    }, 120_000);
    it(`${script}: every flag its --help names is documented in README.md or docs/*.md`, () => {
      const help = helpText.get(script);
      expect(help, "the --help test above ran").toBeDefined();
      const flags = [...new Set(help!.match(FLAG) ?? [])];
      if (script !== "diagram" && script !== "bench") expect(flags.length, "its --help names flags").toBeGreaterThan(0);
      const undocumented = flags.filter((name) => !new RegExp(`(?<![\\w-])${name}(?![\\w-])`).test(docs));
      expect(undocumented, `${script}: flags in --help that README.md and docs/*.md never mention`).toEqual([]);
    });
  }
  it("graph:diagram --help leaves docs/graph.mmd alone", () => {
    expect(statSync(mmd).mtimeMs).toBe(before);
  });
});

describe("npm run studio on a taken port", () => {
  let server: Server | undefined;
  afterAll(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())));
  it("says so in one line and exits, starting no dev server", async () => {
    server = createServer();
    await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", resolve));
    const port = (server.address() as { port: number }).port;
    const result = run("studio", ["--port", String(port)]);
    expect(result.status).toBe(2);
    expect(result.stderr.trim().split("\n")).toEqual([
      `polyglot-personachat studio: port ${port} on 127.0.0.1 is taken (another studio?): stop it or pass --port N`,
    ]);
    expect(result.stdout).not.toMatch(/LangGraph dev server on/);
  }, 120_000);
});
