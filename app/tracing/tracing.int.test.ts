import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeTinyGguf } from "../../lib/models/tiny-gguf.js";
import { type DialogueRecord, DialogueRecordSchema } from "../../lib/records/schema.js";
import { type CapturedRun, type FakeLangSmithServer, startFakeLangSmith } from "../../testing/fake-langsmith.js";
import { freePort } from "../../testing/ports.js";

// `npm run graph` as a child process on the real engine (tiny random-weight GGUF), its traces caught by a fake
// LangSmith on 127.0.0.1, or sent to a closed port.

const root = fileURLToPath(new URL("../..", import.meta.url));
const tsx = join(root, "node_modules", ".bin", "tsx");
const dir = mkdtempSync(join(tmpdir(), "graph-traces-"));
const tinyModel = join(dir, "tiny.gguf");

/** The parent's env without anything LangSmith / LangChain: a child traces only when a test says so. */
function cleanEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (value !== undefined && !/^(LANGSMITH_|LANGCHAIN_)/.test(name)) env[name] = value;
  }
  return env;
}

interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
  ms: number;
  /** from the last dialogue printed to the process's end: model disposal, the trace flush, exit */
  afterLastRecordMs: number;
  records: DialogueRecord[];
}

async function graphCli(name: string, env: Record<string, string>): Promise<CliRun> {
  const out = join(dir, `${name}.jsonl`);
  const args = [
    "scripts/graph.ts",
    "--lang",
    "es",
    "--model",
    tinyModel,
    "--n",
    "1",
    "--threads",
    "1",
    "--seed",
    "1",
    "--quiet",
    "--out",
    out,
  ];
  const started = Date.now();
  let lastRecordAt = started;
  const result = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    const child = spawn(tsx, args, { cwd: root, env: { ...cleanEnv(), ...env }, timeout: 180_000 });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
      lastRecordAt = Date.now();
    });
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.on("close", (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
  const ended = Date.now();
  const records =
    result.code === 0
      ? readFileSync(out, "utf8")
          .trim()
          .split("\n")
          .map((line) => DialogueRecordSchema.parse(JSON.parse(line)))
      : [];
  // the same text whatever the file is called
  const text = (s: string) => s.replaceAll(out, "OUT");
  return {
    code: result.code,
    stdout: text(result.stdout),
    stderr: text(result.stderr),
    ms: ended - started,
    afterLastRecordMs: ended - lastRecordAt,
    records,
  };
}

const tracingLines = (stderr: string) => stderr.split("\n").filter((line) => /tracing:|langsmith/i.test(line));

/** A record without what differs between two runs of the same job. */
function stable(record: DialogueRecord) {
  const { created_at: _c, duration_ms: _d, trace_id: _t, ...provenance } = record.provenance;
  return { ...record, provenance };
}

describe("tracing of `npm run graph` (real engine, tiny GGUF)", () => {
  let fake: FakeLangSmithServer;
  beforeAll(async () => {
    await writeTinyGguf(tinyModel);
    fake = await startFakeLangSmith({ apiKey: "test" });
  });
  afterAll(async () => {
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- unset when beforeAll failed
    await fake?.close();
  });

  it("sends one trace per dialogue: graph run, node runs, LLM runs, labelled, its id in the record", async () => {
    const run = await graphCli("traced", {
      LANGSMITH_TRACING: "true",
      LANGSMITH_API_KEY: "test",
      LANGSMITH_ENDPOINT: fake.url,
      LANGSMITH_PROJECT: "int-test",
    });
    expect(run.stderr).toMatch(/1 dialogues: /);
    expect(run.code).toBe(0);
    expect(tracingLines(run.stderr)).toEqual([]);
    const [record] = run.records;
    expect(record).toBeDefined();

    const runs = fake.runs();
    const roots = runs.filter((r) => !r.parent_run_id);
    expect(roots).toHaveLength(1);
    const top = roots[0]!;
    expect(record!.provenance.trace_id).toBe(top.id);
    expect(top).toMatchObject({
      name: "polyglot-personachat",
      run_type: "chain",
      trace_id: top.id,
      session_name: "int-test",
    });
    expect(top.end_time).toBeDefined();
    expect(top.extra?.metadata).toMatchObject({
      dialogue_id: "es-1-00000",
      language: "es",
      seed: 1,
      prompt_variant: "baseline",
      speech_event_id: record!.speech_event.id,
      provider: "llama-cpp",
      model: "tiny.gguf",
    });
    expect(top.tags).toEqual(
      expect.arrayContaining(["lang:es", "seed:1", "variant:baseline", "provider:llama-cpp", "model:tiny.gguf"]),
    );
    expect(runs.every((r) => r.trace_id === top.id)).toBe(true);

    const childrenOf = (parent: CapturedRun) => runs.filter((r) => r.parent_run_id === parent.id);
    const nodes = childrenOf(top).filter(
      (r) => r.run_type === "chain" && !r.tags?.includes("langsmith:hidden") && r.name !== "RunnableLambda",
    );
    const names = nodes.map((r) => r.name);
    // random weights write gibberish, so the first node's gates reject it and the dialogue goes to finalize
    expect(names[0]).toBe("rewritePersonas");
    expect(names.at(-1)).toBe("finalize");
    const llm = nodes.flatMap(childrenOf).filter((r) => r.run_type === "llm");
    expect(llm.length).toBeGreaterThan(0);
    expect(llm.length).toBe(record!.provenance.attempts);
    for (const call of llm) {
      expect(nodes.find((n) => n.id === call.parent_run_id)?.name).toBe("rewritePersonas");
      expect(call.name).toBe("persona");
      expect(JSON.stringify(call.inputs)).toContain("messages");
      expect(call.outputs).toHaveProperty("generations");
      expect(call.extra?.metadata).toMatchObject({
        language: "es",
        ls_provider: "llama-cpp",
        ls_model_name: "tiny.gguf",
      });
    }
  });

  it("with a closed port: same record, same output, at most one warning line", async () => {
    const plain = await graphCli("plain", {});
    const port = await freePort(); // nothing listens there
    const offline = await graphCli("offline", {
      LANGSMITH_TRACING: "true",
      LANGSMITH_API_KEY: "test",
      LANGSMITH_ENDPOINT: `http://127.0.0.1:${port}`,
    });
    console.log(
      `wall time: tracing off ${plain.ms} ms (${plain.afterLastRecordMs} ms after the last dialogue), ` +
        `tracing to a closed port ${offline.ms} ms (${offline.afterLastRecordMs} ms after the last dialogue)`,
    );

    expect(plain.code).toBe(0);
    expect(offline.code).toBe(0);
    expect(plain.records).toHaveLength(1);
    expect(offline.records.map(stable)).toEqual(plain.records.map(stable));
    expect(plain.records[0]!.provenance.trace_id).toBeUndefined();
    expect(tracingLines(plain.stderr)).toEqual([]);
    const warnings = tracingLines(offline.stderr);
    expect(warnings.length).toBeLessThanOrEqual(1);
    for (const line of warnings)
      expect(line).toMatch(/^tracing: LangSmith at http:\/\/127\.0\.0\.1:\d+ refused the connection/);
    // stdout is that of the run without tracing; stderr has the warning line more (if any), nothing else (the
    // periodic progress lines are left out of the count: how many there are depends on how long each run took)
    expect(offline.stdout).toBe(plain.stdout);
    const lines = (stderr: string) => stderr.split("\n").filter((line) => !line.startsWith("[progress"));
    expect(lines(offline.stderr).length - warnings.length).toBe(lines(plain.stderr).length);
  });

  it("with a rejected key: exit 0, the record, one warning line", async () => {
    const run = await graphCli("bad-key", {
      LANGSMITH_TRACING: "true",
      LANGSMITH_API_KEY: "wrong",
      LANGSMITH_ENDPOINT: fake.url,
    });
    expect(run.code).toBe(0);
    expect(run.records).toHaveLength(1);
    expect(tracingLines(run.stderr)).toEqual([
      expect.stringMatching(/^tracing: LangSmith at .* answered HTTP 401 \(check LANGSMITH_API_KEY\)/),
    ]);
  });
});
