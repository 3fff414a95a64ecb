/**
 * Anyone who can write to Redis can write a job. A real redis-server, a real worker process started with a remote
 * provider (a scripted OpenAI-compatible server) and a key; jobs written straight into the queue as an attacker
 * would: one naming a judge at a capture listener, one naming a model file, one with an extra top-level key, one
 * with a setting out of bounds. Each is refused for good with its reason; the listener never hears from the
 * worker; the well-formed job still gets its record, and the key only ever reaches the server it was configured for.
 * Skipped (with the reason) without redis-server.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Job, Queue } from "bullmq";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { resolveConfig } from "../../nodes/configuration.js";
import { type FakeServer, startFakeLlmServer } from "../../testing/fake-llm-server.js";
import { startSpanishLlmServer } from "../../testing/spanish-script.js";
import { loadPromptSet } from "../../lib/prompts/loader.js";
import { DialogueRecordSchema } from "../../lib/records/schema.js";
import { type ScriptRun, startScript } from "../../testing/processes.js";
import { generationSettings, parseQueueUrl } from "./fleet.js";
import { hasRedisServer, type LocalRedis, startLocalRedis, until } from "../../testing/local-redis.js";

if (!hasRedisServer)
  console.warn("worker-security.int.test: skipped — no redis-server on PATH (apt-get install -y redis-server)");

const KEY = "sk-worker-secret-0123456789";

describe.skipIf(!hasRedisServer)("a fleet worker and hostile jobs (real redis-server, worker process)", () => {
  const dir = mkdtempSync(join(tmpdir(), "worker-security-"));
  let redis: LocalRedis;
  let llm: FakeServer;
  let capture: FakeServer;
  let worker: ScriptRun;
  let queue: Queue;

  beforeAll(async () => {
    redis = await startLocalRedis(dir);
    llm = await startSpanishLlmServer();
    capture = await startFakeLlmServer("openai", () => ({ status: 500, body: { error: { message: "captured" } } }));
    const url = `redis://127.0.0.1:${redis.port}`;
    queue = new Queue(parseQueueUrl(url).queueName, { connection: parseQueueUrl(url).connection });
    worker = startScript(
      "scripts/worker.ts",
      ["--queue", url, "--provider", "openai", "--base-url", llm.baseUrl, "--model", "m", "--name", "w"],
      {
        OPENAI_API_KEY: KEY,
      },
    );
    await until("the worker to be ready", () => /taking jobs/.test(worker.output()), 60_000);
  }, 90_000);

  afterAll(async () => {
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- unset when beforeAll failed
    if (worker?.child.pid && worker.child.exitCode === null) process.kill(-worker.child.pid, "SIGKILL");
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- unset when beforeAll failed
    await queue?.close();
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- unset when beforeAll failed
    await llm?.close();
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- unset when beforeAll failed
    await capture?.close();
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- unset when beforeAll failed
    redis?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const settings = generationSettings(resolveConfig({ turnsMin: 6, turnsMax: 8 }));
  const valid = (id: string) => ({
    job: { id, language: "es", index: 0, seed: 1 },
    settings,
    configHash: "c0ffee",
    promptHash: loadPromptSet(settings.promptVariant).hash,
    limits: {},
  });

  async function finished(id: string, data: unknown): Promise<Job> {
    await queue.add("dialogue", data, { jobId: id, attempts: 3 });
    let job: Job | undefined;
    await until(`job ${id} to finish`, async () => Boolean((job = await queue.getJob(id))?.finishedOn), 60_000);
    return job!;
  }

  it("refuses a job that names a judge at another URL, a model file, an extra key or a setting out of bounds", async () => {
    const hostile: [string, unknown, RegExp][] = [
      [
        "judge-url",
        {
          ...valid("judge-url"),
          settings: { ...settings, judgeProvider: "openai", judgeModelName: "m", judgeBaseUrl: capture.baseUrl },
        },
        /settings: unknown key\(s\) "judgeProvider", "judgeModelName", "judgeBaseUrl"/,
      ],
      [
        "model-path",
        { ...valid("model-path"), settings: { ...settings, provider: "llama-cpp", model: join(dir, "x.gguf") } },
        /settings: unknown key\(s\) "provider", "model"/,
      ],
      [
        "extra-key",
        { ...valid("extra-key"), judge: { provider: "openai", baseUrl: capture.baseUrl } },
        /\(job\): unknown key\(s\) "judge"/,
      ],
      [
        "out-of-bounds",
        { ...valid("out-of-bounds"), settings: { ...settings, turnsMax: 10_000 } },
        /settings\.turnsMax: /,
      ],
    ];
    for (const [id, data, reason] of hostile) {
      const job = await finished(id, data);
      expect(job.returnvalue, id).toBeFalsy();
      expect(job.failedReason, id).toMatch(/^worker w: refused job /);
      expect(job.failedReason, id).toMatch(reason);
      // refused for good: not retried on this or another worker
      expect(job.attemptsMade, id).toBe(1);
    }
    expect(capture.requests).toEqual([]);
    expect(worker.output()).toMatch(/judge-url failed on w: worker w: refused job judge-url/);
  }, 120_000);

  it("refuses for good a job from a checkout whose prompts differ (another prompt hash), before any model call", async () => {
    const requests = llm.requests.length;
    const ours = loadPromptSet(settings.promptVariant).hash;
    const job = await finished("prompt-hash", { ...valid("prompt-hash"), promptHash: "0123456789ab" });
    expect(job.returnvalue).toBeFalsy();
    expect(job.failedReason).toBe(
      `worker w: prompt set "${settings.promptVariant}" differs from the coordinator's (hash ${ours} ≠ 0123456789ab): run the same checkout`,
    );
    expect(job.attemptsMade).toBe(1);
    expect(llm.requests.length).toBe(requests);
  }, 120_000);

  it("still writes the well-formed job's record, sending the key only to the server it was started with", async () => {
    const job = await finished("es-1-00000", valid("es-1-00000"));
    const record = DialogueRecordSchema.parse((job.returnvalue as { record: unknown }).record);
    expect(record.provenance).toMatchObject({ provider: "openai", model: "m" });
    expect(llm.requests.length).toBeGreaterThan(0);
    expect(llm.requests.every((r) => r.headers.authorization === `Bearer ${KEY}`)).toBe(true);
    expect(capture.requests).toEqual([]);
    expect(worker.output()).not.toContain(KEY);
  }, 120_000);
});
