/**
 * Secrets reach no file and no line of output. A fleet run for real — a redis-server with a password, a worker
 * process on a scripted OpenAI-compatible server, the coordinator (`npm run graph -- … --queue redis://:PW@…`)
 * with tracing on to the LangSmith stand-in — then every file the run wrote (journal, run log, summary, parquet
 * export, dataset card), stdout and stderr of both processes and every trace the stand-in received are searched
 * for the Redis password, the model key and the LangSmith key. Mistakes carrying the password (`--base-url
 * http://user:PW@…`, a bad `--queue` URL) end in one line that shows `***` in its place, with no file written.
 * Skipped (with the reason) without redis-server. And an `npm run eval` against the same kind of server, keys in
 * its environment: the key is in none of its records, results.json, report.md, report.html, stdout or stderr.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hasRedisServer, type LocalRedis, startLocalRedis, until } from "../testing/local-redis.js";
import type { FakeServer } from "../testing/fake-llm-server.js";
import { startSpanishLlmServer } from "../testing/spanish-script.js";
import { type ScriptResult, type ScriptRun, startScript } from "../testing/processes.js";
import { type FakeLangSmithServer, startFakeLangSmith } from "../testing/fake-langsmith.js";

if (!hasRedisServer)
  console.warn("secrets.int.test: skipped — no redis-server on PATH (apt-get install -y redis-server)");

const PW = "Redis-Pw-7c1f9e0a";
const MODEL_KEY = "sk-model-key-5b2d8c41";
const LANGSMITH_KEY = "lsv2-tracing-key-93ae61";
const SECRETS = [PW, encodeURIComponent(PW), MODEL_KEY, LANGSMITH_KEY];

/** Every file under `dir`, recursively. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

/** The secrets found in `text`, with where. */
const leaks = (where: string, text: string) =>
  SECRETS.filter((secret) => text.includes(secret)).map((secret) => `${secret} in ${where}`);

describe.skipIf(!hasRedisServer)(
  "secrets in a fleet run (real redis-server with a password, worker process, LangSmith stand-in)",
  () => {
    const dir = mkdtempSync(join(tmpdir(), "secrets-int-"));
    let redis: LocalRedis;
    let llm: FakeServer;
    let langsmith: FakeLangSmithServer;
    let worker: ScriptRun;
    const queue = () => `redis://:${PW}@127.0.0.1:${redis.port}`;
    const env = () => ({
      OPENAI_API_KEY: MODEL_KEY,
      LANGSMITH_TRACING: "true",
      LANGSMITH_API_KEY: LANGSMITH_KEY,
      LANGSMITH_ENDPOINT: langsmith.url,
      LANGSMITH_PROJECT: "secrets-int",
    });

    beforeAll(async () => {
      redis = await startLocalRedis(dir, undefined, { password: PW });
      llm = await startSpanishLlmServer();
      langsmith = await startFakeLangSmith({ apiKey: LANGSMITH_KEY });
      worker = startScript(
        "scripts/worker.ts",
        ["--queue", queue(), "--provider", "openai", "--base-url", llm.baseUrl, "--model", "m", "--name", "w"],
        env(),
      );
      await until("the worker to be ready", () => /taking jobs/.test(worker.output()), 60_000);
    }, 90_000);

    afterAll(async () => {
      // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- unset when beforeAll failed
      if (worker?.child.pid && worker.child.exitCode === null) process.kill(-worker.child.pid, "SIGKILL");
      // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- unset when beforeAll failed
      await llm?.close();
      // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- unset when beforeAll failed
      await langsmith?.close();
      // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- unset when beforeAll failed
      redis?.stop();
      rmSync(dir, { recursive: true, force: true });
    });

    const remote = () => ["--provider", "openai", "--base-url", llm.baseUrl, "--model", "m"];
    const graph = async (args: string[], extraEnv: Record<string, string> = {}): Promise<ScriptResult> => {
      const run = startScript("scripts/graph.ts", args, { ...env(), ...extraEnv });
      return Promise.race([
        run.done,
        new Promise<never>((_, reject) =>
          setTimeout(() => reject(new Error("graph did not finish in 180 s")), 180_000),
        ),
      ]);
    };

    it("a whole fleet run: the password and keys are in no file it writes, no output line and no trace", async () => {
      const out = join(dir, "out", "run.jsonl");
      mkdirSync(join(dir, "out"));
      const args = [
        "--lang",
        "es",
        "--n",
        "2",
        "--turns",
        "6-8",
        "--queue",
        queue(),
        "--provider",
        "openai",
        "--base-url",
        llm.baseUrl,
        "--model",
        "m",
      ];
      const result = await graph([...args, "--out", out, "--format", "parquet"]);
      expect(result.code, result.stderr).toBe(0);
      expect(result.stderr).toMatch(/2 dialogues enqueued/);
      const files = filesUnder(join(dir, "out"));
      // the journal, its run log, the summary, the export and the card at least
      expect(files.length, files.join("\n")).toBeGreaterThanOrEqual(5);
      expect(files.some((file) => file.endsWith(".parquet"))).toBe(true);
      const card = files.find((file) => file.endsWith("card.md"))!;
      // the card keeps the command that made the data, the password replaced
      expect(readFileSync(card, "utf8")).toContain(`--queue redis://:***@127.0.0.1:${redis.port} `);
      // the stand-in received the run's traces (what LangSmith would store): searched too
      expect(langsmith.runs().length).toBeGreaterThan(0);
      const found = [
        ...files.flatMap((file) => leaks(file, readFileSync(file, "latin1"))),
        ...leaks("the coordinator's stdout", result.stdout),
        ...leaks("the coordinator's stderr", result.stderr),
        ...leaks("the worker's output", worker.output()),
        ...leaks("the traces", JSON.stringify(langsmith.runs())),
      ];
      expect(found).toEqual([]);
    }, 240_000);

    it("mistakes that carry the password end in one line that hides it, and write nothing", async () => {
      const out = join(dir, "mistakes", "run.jsonl");
      const baseUrl = await graph([
        "--lang",
        "es",
        "--n",
        "1",
        "--provider",
        "openai",
        "--base-url",
        `http://user:${PW}@127.0.0.1:9/v1`,
        "--model",
        "m",
        "--out",
        out,
      ]);
      expect(baseUrl.code).toBe(2);
      expect(baseUrl.stderr.trim()).toMatch(
        /^polyglot-personachat: --base-url http:\/\/user:\*\*\*@127\.0\.0\.1:9\/v1: credentials in the URL are not sent/,
      );
      const badQueue = await graph([
        "--lang",
        "es",
        "--n",
        "1",
        "--queue",
        `${queue()}/notadb`,
        ...remote(),
        "--out",
        out,
      ]);
      expect(badQueue.code).toBe(2);
      expect(badQueue.stderr.trim()).toMatch(
        /^polyglot-personachat: --queue redis:\/\/:\*\*\*@127\.0\.0\.1:\d+\/notadb: the path is a database number/,
      );
      // the URL from the environment instead of the command line (nothing in `ps`): the same
      const fromEnv = await graph(["--lang", "es", "--n", "1", ...remote(), "--out", out], {
        POLYGLOT_QUEUE_URL: `${queue()}/notadb`,
      });
      expect(fromEnv.code).toBe(2);
      expect(fromEnv.stderr.trim()).toMatch(
        /^polyglot-personachat: --queue redis:\/\/:\*\*\*@127\.0\.0\.1:\d+\/notadb: the path is a database number/,
      );
      for (const result of [baseUrl, badQueue, fromEnv])
        expect([...leaks("stderr", result.stderr), ...leaks("stdout", result.stdout)]).toEqual([]);
      expect(existsSync(join(dir, "mistakes"))).toBe(false);
    }, 120_000);
  },
);

describe("secrets in an eval run (npm run eval on a scripted OpenAI-compatible server)", () => {
  const dir = mkdtempSync(join(tmpdir(), "secrets-eval-"));
  let llm: FakeServer;

  beforeAll(async () => {
    llm = await startSpanishLlmServer();
  });

  afterAll(async () => {
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- unset when beforeAll failed
    await llm?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("the model key is in no report, record or output line; the recorded command is the one run", async () => {
    const out = join(dir, "eval");
    const args = [
      "--lang",
      "es",
      "--n",
      "2",
      "--turns",
      "6-8",
      "--provider",
      "openai",
      "--base-url",
      llm.baseUrl,
      "--model",
      "m",
      "--local",
      "--out",
      out,
    ];
    const run = startScript("scripts/eval.ts", args, { OPENAI_API_KEY: MODEL_KEY, LANGSMITH_TRACING: "false" });
    const result = await Promise.race([
      run.done,
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error("eval did not finish in 180 s")), 180_000)),
    ]);
    expect(result.code, result.stderr).toBe(0);
    // the model was called with the key (so it was there to leak)
    expect(llm.requests.some((r) => JSON.stringify(r.headers).includes(MODEL_KEY))).toBe(true);
    const files = filesUnder(out);
    expect(files.map((file) => file.slice(out.length + 1)).sort()).toEqual(
      expect.arrayContaining(["records/baseline.jsonl", "report.html", "report.md", "results.json"]),
    );
    expect(readFileSync(join(out, "report.md"), "utf8")).toContain(`npm run eval -- ${args.join(" ")}`);
    const found = [
      ...files.flatMap((file) => leaks(file, readFileSync(file, "latin1"))),
      ...leaks("stdout", result.stdout),
      ...leaks("stderr", result.stderr),
    ];
    expect(found).toEqual([]);
  }, 240_000);
});
