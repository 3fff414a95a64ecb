import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import {
  type FakeReply,
  type FakeRequest,
  type FakeServer,
  messagesOf,
  startFakeLlmServer,
  taskOf,
} from "../testing/fake-llm-server.js";
import { createSpanishScript } from "../testing/spanish-script.js";
import { DialogueRecordSchema } from "../lib/records/schema.js";
import { freePort } from "../testing/ports.js";

// `npm run graph` end to end against a scripted OpenAI-compatible server on 127.0.0.1 that answers every
// structured call with well-formed Spanish JSON — and against one that fails in each of the ways a server fails.

const root = fileURLToPath(new URL("..", import.meta.url));
const tsx = join(root, "node_modules", ".bin", "tsx");
const dir = mkdtempSync(join(tmpdir(), "graph-providers-"));

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

function cli(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(
      tsx,
      ["scripts/graph.ts", ...args],
      {
        cwd: root,
        env: {
          ...process.env,
          LANGSMITH_TRACING: "false",
          OPENAI_API_KEY: "sk-test",
          OPENAI_BASE_URL: "",
          POLYGLOT_MODELS_DIR: join(dir, "cache"),
          ...env,
        },
        timeout: 120_000,
      },
      (error, stdout, stderr) =>
        resolve({ code: error ? ((error as { code?: number }).code ?? -1) : 0, stdout, stderr }),
    );
  });
}

/** The run's own lines on stderr: progress reports (app/run/progress.ts) set aside. */
function errorLines(stderr: string): string[] {
  return stderr
    .trim()
    .split("\n")
    .filter((line) => line && !line.startsWith("[progress") && !line.startsWith("model: ")); // progress and retry notices
}

function expectOneLineError(result: CliResult, code: number, pattern: RegExp) {
  expect(result.code, result.stderr).toBe(code);
  const lines = errorLines(result.stderr);
  expect(lines, result.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(pattern);
  expect(result.stderr).not.toMatch(/\n\s+at /);
}

/** A fake OpenAI-compatible server that answers like a well-behaved Spanish crowdworker, unless `fail` says otherwise. */
async function spanishServer(fail?: (request: FakeRequest) => FakeReply | undefined): Promise<FakeServer> {
  const script = createSpanishScript();
  const server = await startFakeLlmServer("openai", (request) => {
    const failure = fail?.(request);
    if (failure) return failure;
    const schema = (request.body.response_format as { json_schema?: { schema?: unknown } } | undefined)?.json_schema
      ?.schema;
    return { text: script(taskOf(request), messagesOf(request), schema) };
  });
  servers.push(server);
  return server;
}

let servers: FakeServer[] = [];
afterEach(async () => {
  await Promise.all(servers.map((s) => s.close()));
  servers = [];
});

const base = (server: FakeServer) => [
  "--provider",
  "openai",
  "--base-url",
  server.baseUrl,
  "--model",
  "m",
  "--lang",
  "es",
  "--seed",
  "1",
];
let requestsPerDialogue = 0;

describe("npm run graph --provider openai (scripted OpenAI-compatible server)", () => {
  it("writes a record end to end, every call structured", async () => {
    const server = await spanishServer();
    const out = join(dir, "ok.jsonl");
    const result = await cli([...base(server), "--n", "1", "--out", out, "--turns", "6-8"]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/1 dialogues: [01] accepted, [01] rejected → /);
    const records = readFileSync(out, "utf8")
      .trim()
      .split("\n")
      .map((line) => DialogueRecordSchema.parse(JSON.parse(line)));
    expect(records).toHaveLength(1);
    const record = records[0]!;
    expect(record.status, JSON.stringify(record.rejection_reasons)).toBe("accepted");
    expect(record.provenance).toMatchObject({ provider: "openai", model: "m" });
    expect(record.turns.length).toBeGreaterThanOrEqual(6);
    expect(record.personas.map((p) => p.name)).toEqual(["Lucía", "Marta"]);
    const tasks = server.requests.map(taskOf);
    expect(new Set(tasks)).toEqual(new Set(["persona", "common_ground", "turn", "critique"]));
    expect(
      server.requests.every((r) => (r.body.response_format as { type?: string } | undefined)?.type === "json_schema"),
    ).toBe(true);
    requestsPerDialogue = server.requests.length;
  });

  it("takes its settings from --config FILE.json; command-line flags win", async () => {
    const server = await spanishServer();
    const config = join(dir, "config.json");
    writeFileSync(
      config,
      JSON.stringify({
        provider: "openai",
        "base-url": server.baseUrl,
        model: "m",
        lang: ["es"],
        n: 5,
        turns: [6, 8],
        quiet: true,
      }),
    );
    const result = await cli(["--config", config, "--n", "1"]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/^1 dialogues: /m);
  });

  it("--worker-threads 2 writes every record; the embedded engine is refused", async () => {
    // (that the records equal a one-thread run's is app/run/worker-threads.int.test.ts: this server's personas depend
    // on the order its calls arrive in, and the near-duplicate review on the order records finish in)
    const server = await spanishServer();
    const out = join(dir, "two-threads.jsonl");
    const threaded = await cli([
      ...base(server),
      ...["--n", "4", "--concurrency", "4", "--turns", "4-4", "--quiet", "--out", out, "--worker-threads", "2"],
    ]);
    expect(threaded.code, threaded.stderr).toBe(0);
    expect(threaded.stderr).toMatch(/^4 dialogues: /m);
    const records = readFileSync(out, "utf8")
      .trim()
      .split("\n")
      .map((line) => DialogueRecordSchema.parse(JSON.parse(line)));
    expect(records.map((r) => r.id).sort()).toEqual(["es-1-00000", "es-1-00001", "es-1-00002", "es-1-00003"]);
    expect(records.every((r) => r.provenance.provider === "openai" && r.turns.length === 4)).toBe(true);
    expect(server.requests.length).toBeGreaterThan(4 * 4);

    // a notice about the whole run comes from each thread's model: the run says it once
    const noSchema = await spanishServer((request) =>
      (request.body.response_format as { type?: string } | undefined)?.type === "json_schema"
        ? { status: 400, body: { error: { message: "'response_format.type' must be 'text', not 'json_schema'" } } }
        : undefined,
    );
    const notified = await cli([
      ...base(noSchema),
      ...["--n", "2", "--concurrency", "2", "--turns", "4-4", "--quiet", "--worker-threads", "2"],
    ]);
    expect(notified.code, notified.stderr).toBe(0);
    expect(notified.stderr.match(/refused response_format json_schema/g)).toHaveLength(1);

    expectOneLineError(
      await cli(["--lang", "es", "--worker-threads", "2"]),
      2,
      /--worker-threads: the embedded engine \(llama-cpp\) would load the model's weights once per thread/,
    );
    expectOneLineError(
      await cli([...base(server), "--worker-threads", "2", "--sessions", "2"]),
      2,
      /--worker-threads runs single dialogues: a multi-session series/,
    );
    expectOneLineError(
      await cli([...base(server), "--worker-threads", "2", "--queue", "redis://127.0.0.1:1"]),
      2,
      /--worker-threads is for a run in this process/,
    );
  });

  it("401: fails at once with one line about authentication, exit 2", async () => {
    const server = await spanishServer(() => ({
      status: 401,
      body: { error: { message: "Incorrect API key provided" } },
    }));
    const result = await cli([...base(server), "--n", "1"]);
    expectOneLineError(
      result,
      2,
      /^polyglot-personachat: (dialogue es-1-00000 failed: )?authentication failed \(401\) at http:\/\/127\.0\.0\.1:\d+\/v1: check OPENAI_API_KEY$/,
    );
    expect(server.requests).toHaveLength(1);
  });

  it("--judge-provider without --judge-model names --judge-model, not --model", async () => {
    const server = await spanishServer();
    const result = await cli([...base(server), "--judge-provider", "ollama"]);
    expectOneLineError(result, 2, /^polyglot-personachat: --judge-model is required with --judge-provider ollama /);
    expect(server.requests).toHaveLength(0);
  });

  it("an unreachable server fails at once, exit 2 (flag and settings mistakes: graph-flags.test.ts, factory.test.ts)", async () => {
    const port = await freePort(); // nothing listens there
    expectOneLineError(
      await cli(["--provider", "openai", "--base-url", `http://127.0.0.1:${port}/v1`, "--model", "m", "--lang", "es"]),
      2,
      /^polyglot-personachat: (dialogue es-1-00000 failed: )?cannot reach http:\/\/127\.0\.0\.1:\d+\/v1 \(ECONNREFUSED\): is the server running\? check --base-url$/,
    );
  });

  it("429 with Retry-After: 2 is retried after at least 2 s, and the run goes on", async () => {
    const server = await spanishServer((request) =>
      request.n === 1 ? { status: 429, headers: { "retry-after": "2" } } : undefined,
    );
    const result = await cli([...base(server), "--n", "1", "--turns", "6-6", "--quiet"]);
    expect(result.code, result.stderr).toBe(0);
    expect(server.requests[1]!.at - server.requests[0]!.at).toBeGreaterThanOrEqual(2000);
  });

  it("a server that keeps failing: bounded retries, one line, exit 1; the records already written stay, a rerun resumes", async () => {
    expect(requestsPerDialogue).toBeGreaterThan(0);
    const out = join(dir, "partial.jsonl");
    // the first dialogue goes through, then the server answers 500 for good
    const failing = await spanishServer((request) =>
      request.n > requestsPerDialogue ? { status: 500, body: { error: { message: "upstream exploded" } } } : undefined,
    );
    const result = await cli([
      ...base(failing),
      "--n",
      "2",
      "--out",
      out,
      "--turns",
      "6-8",
      "--max-attempts",
      "3",
      "--quiet",
    ]);
    expectOneLineError(
      result,
      1,
      /^polyglot-personachat: (dialogue es-1-00001 failed: )?server error \(500\) at http:\/\/127\.0\.0\.1:\d+\/v1 \(upstream exploded\); gave up after 3 attempts in \d+\.\d s/,
    );
    // the retries before it were told as they happened
    expect(result.stderr).toMatch(
      /^model: server error \(500\) at http:\/\/127\.0\.0\.1:\d+\/v1 \(upstream exploded\); retrying in \d\.\d s \(attempt 2\)$/m,
    );
    // bounded: exactly the three attempts --max-attempts allows, then the run stops
    expect(failing.requests).toHaveLength(requestsPerDialogue + 3);
    expect(result.stdout).toContain("es-1-00000");
    const kept = readFileSync(out, "utf8").trim().split("\n");
    expect(kept.map((line) => JSON.parse(line).id)).toEqual(["es-1-00000"]);

    const healthy = await spanishServer();
    const rerun = await cli([...base(healthy), "--n", "2", "--out", out, "--turns", "6-8", "--quiet"]);
    expect(rerun.code, rerun.stderr).toBe(0);
    expect(rerun.stderr).toMatch(/1 of 2 dialogues already written; resuming/);
    expect(
      readFileSync(out, "utf8")
        .trim()
        .split("\n")
        .map((line) => JSON.parse(line).id),
    ).toEqual(["es-1-00000", "es-1-00001"]);
    expect(existsSync(join(dir, "cache"))).toBe(false);
  });
});
