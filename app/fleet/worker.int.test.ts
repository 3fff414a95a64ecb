/**
 * One fleet worker serving jobs of several runs, in this process, against a real redis-server and an
 * OpenAI-compatible stand-in answering valid Spanish: it builds its model once whatever the runs' seeds, and frees
 * it when it stops; each job's calls carry its own run's seed (the requests equal those of a local run of that
 * seed) and go through its own run's --rpm / --tpm (the shared counters in Redis move only for the limits a job
 * has). Skipped (with the reason) without redis-server.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { BaseChatModel } from "@langchain/core/language_models/chat_models";
import { Queue } from "bullmq";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { resolveConfig } from "../../nodes/configuration.js";
import { runDialogue } from "../../graphs/dialogue/graph.js";
import { createChatModel, loadProviders, type ModelSettings } from "../../lib/models/factory.js";
import type { FakeServer } from "../../testing/fake-llm-server.js";
import { startSpanishLlmServer } from "../../testing/spanish-script.js";
import { loadPromptSet } from "../../lib/prompts/loader.js";
import { DialogueRecordSchema } from "../../lib/records/schema.js";
import { generationSettings, parseQueueUrl, workerIdentity } from "./fleet.js";
import { hasRedisServer, type LocalRedis, startLocalRedis, until } from "../../testing/local-redis.js";
import { runWorker } from "./worker.js";

if (!hasRedisServer)
  console.warn("worker.int.test: skipped — no redis-server on PATH (apt-get install -y redis-server)");

describe.skipIf(!hasRedisServer)(
  "a fleet worker serving runs with other seeds and limits (real redis-server, in process)",
  () => {
    const dir = mkdtempSync(join(tmpdir(), "fleet-worker-"));
    let redis: LocalRedis;
    let llm: FakeServer;
    let queue: Queue;
    let client: { keys(pattern: string): Promise<string[]>; get(key: string): Promise<string | null> };

    beforeAll(async () => {
      redis = await startLocalRedis(dir);
      llm = await startSpanishLlmServer();
      const target = parseQueueUrl(`redis://127.0.0.1:${redis.port}`);
      queue = new Queue(target.queueName, { connection: target.connection });
      client = await queue.client;
      await loadProviders("openai");
    });

    afterAll(async () => {
      // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- unset when beforeAll failed
      await queue?.close();
      // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- unset when beforeAll failed
      await llm?.close();
      // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- unset when beforeAll failed
      redis?.stop();
      rmSync(dir, { recursive: true, force: true });
    });

    const settings = generationSettings(resolveConfig({ turnsMin: 4, turnsMax: 6 }));
    const chatSettings: ModelSettings = { provider: "openai", model: "m", baseUrl: "", maxAttempts: 1 };

    /** The fleet-wide rate counters (all one-minute windows) of one kind. */
    async function counted(kind: "rpm" | "tpm"): Promise<number> {
      const keys = await client.keys(`personachat-rate:*:${kind}:*`);
      let sum = 0;
      for (const key of keys) sum += Number((await client.get(key)) ?? 0);
      return sum;
    }

    it("one model for every run, freed at the end; each job with its own run's seed and --rpm / --tpm", async () => {
      chatSettings.baseUrl = llm.baseUrl;
      const built: ModelSettings[] = [];
      let disposed = 0;
      const createModel = (s: ModelSettings): BaseChatModel => {
        built.push(s);
        return Object.assign(createChatModel(s), {
          dispose: async () => {
            disposed++;
          },
        });
      };
      const stop = new AbortController();
      const lines: string[] = [];
      const target = parseQueueUrl(`redis://127.0.0.1:${redis.port}`, { blocking: true, maxReconnects: 20 });
      const worker = runWorker(
        {
          target,
          concurrency: 1,
          chat: chatSettings,
          judge: null,
          identity: workerIdentity("w"),
          lockDurationMs: 30_000,
          stalledIntervalMs: 30_000,
          createModel,
          log: (line) => lines.push(line),
        },
        stop.signal,
      );
      try {
        await until("the worker to be ready", () => lines.some((line) => /taking jobs/.test(line)), 30_000);
        const promptHash = loadPromptSet(settings.promptVariant).hash;
        // one job at a time, so each one's requests are the server's requests while it ran
        const serve = async (id: string, seed: number, index: number, limits: { rpm?: number; tpm?: number }) => {
          const from = llm.requests.length;
          await queue.add(
            "dialogue",
            { job: { id, language: "es", index, seed }, settings, configHash: `run-${seed}`, promptHash, limits },
            { jobId: id },
          );
          await until(`job ${id} to finish`, async () => Boolean((await queue.getJob(id))?.finishedOn), 60_000);
          const job = (await queue.getJob(id))!;
          expect(job.failedReason, id).toBeUndefined();
          expect(DialogueRecordSchema.parse(job.returnvalue.record).id).toBe(id);
          return { requests: llm.requests.slice(from), index, seed };
        };

        // run 11 with an --rpm: every request counted in Redis
        const first = await serve("es-11-00000", 11, 0, { rpm: 10_000 });
        expect(first.requests.length).toBeGreaterThan(3);
        expect(await counted("rpm")).toBe(first.requests.length);
        // the same run seed, no limits (another run): not throttled by the first run's limiter, nothing counted
        const second = await serve("es-11-00001", 11, 1, {});
        expect(second.requests.length).toBeGreaterThan(3);
        expect(await counted("rpm")).toBe(first.requests.length);
        expect(await counted("tpm")).toBe(0);
        // another seed and a --tpm only: its tokens counted, no request against an --rpm it does not have
        const third = await serve("es-22-00000", 22, 0, { tpm: 10_000_000 });
        expect(await counted("rpm")).toBe(first.requests.length);
        expect(await counted("tpm")).toBeGreaterThan(0);

        // each job's calls carry its run's seed: the same requests as local runs of those seeds and dialogues, in the
        // same order, against a fresh stand-in (it rotates its answers from call to call)
        const fresh = await startSpanishLlmServer();
        try {
          for (const served of [first, second, third]) {
            const from = fresh.requests.length;
            const local = createChatModel({ ...chatSettings, baseUrl: fresh.baseUrl, seed: served.seed });
            await runDialogue(
              { language: "es", seed: served.seed, index: served.index },
              { ...settings, chatModel: local },
            );
            const sent = (requests: typeof llm.requests) =>
              requests.map((r) => ({ seed: r.body.seed, messages: r.body.messages }));
            expect(sent(served.requests), `seed ${served.seed}, dialogue ${served.index}`).toEqual(
              sent(fresh.requests.slice(from)),
            );
          }
        } finally {
          await fresh.close();
        }
        const firstSeeds = new Set(first.requests.map((r) => r.body.seed));
        expect(third.requests.filter((r) => firstSeeds.has(r.body.seed))).toEqual([]);
      } finally {
        stop.abort();
        expect(await worker).toBe(0);
      }
      // one model for the three jobs of two runs and two seeds, built without a seed of its own, and freed
      expect(built).toHaveLength(1);
      expect(built[0]!.seed).toBeUndefined();
      expect(disposed).toBe(1);
    }, 180_000);
  },
);
