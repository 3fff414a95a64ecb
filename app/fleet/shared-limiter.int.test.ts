/**
 * The fleet-wide rate limit against a real redis-server: two limiters (two workers) sharing one budget. Skipped,
 * with the reason, without redis-server.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Queue } from "bullmq";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hasRedisServer, type LocalRedis, startLocalRedis } from "../../testing/local-redis.js";
import { type RedisLike, SharedLimiter } from "./shared-limiter.js";

if (!hasRedisServer)
  console.warn("shared-limiter.int.test: skipped — no redis-server on PATH (apt-get install -y redis-server)");

/** The limiter counts fixed one-minute windows: start well inside one, so the test does not straddle two. */
async function awayFromMinuteBoundary(): Promise<void> {
  const left = 60_000 - (Date.now() % 60_000);
  if (left < 5_000) await new Promise((resolve) => setTimeout(resolve, left + 50));
}

/** Whether `promise` is still pending after `ms`. */
async function pendingAfter(promise: Promise<unknown>, ms: number): Promise<boolean> {
  return Promise.race([
    promise.then(
      () => false,
      () => false,
    ),
    new Promise<boolean>((resolve) => setTimeout(() => resolve(true), ms)),
  ]);
}

describe.skipIf(!hasRedisServer)("SharedLimiter (real redis-server)", () => {
  const dir = mkdtempSync(join(tmpdir(), "shared-limiter-"));
  let redis: LocalRedis;
  let queue: Queue;
  let client: RedisLike;

  beforeAll(async () => {
    redis = await startLocalRedis(dir);
    queue = new Queue("limiter-test", { connection: { host: "127.0.0.1", port: redis.port } });
    client = await queue.client;
  });

  afterAll(async () => {
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- unset when beforeAll failed
    await queue?.close();
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- unset when beforeAll failed
    redis?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("two workers share one --rpm budget: the request past it waits, and an abort ends the wait", async () => {
    await awayFromMinuteBoundary();
    const key = `test-rate:rpm:${Date.now()}`;
    const a = new SharedLimiter(client, key, { rpm: 5 });
    const b = new SharedLimiter(client, key, { rpm: 5 });
    for (const limiter of [a, b, a, b, a]) await limiter.acquire(100);
    // the five within the budget went through without waiting on either worker
    expect([a.waitedMs, b.waitedMs]).toEqual([0, 0]);

    // the sixth request, on either worker, waits for the next window
    const stop = new AbortController();
    const sixth = b.acquire(100, stop.signal);
    expect(await pendingAfter(sixth, 700)).toBe(true);
    expect(b.waitedMs).toBeGreaterThan(0);
    stop.abort();
    await expect(sixth).rejects.toThrow(/abort/i);
  });

  it("--tpm counts tokens across workers; a single request larger than the budget is not held forever", async () => {
    await awayFromMinuteBoundary();
    const key = `test-rate:tpm:${Date.now()}`;
    const a = new SharedLimiter(client, key, { tpm: 1_000 });
    const b = new SharedLimiter(client, key, { tpm: 1_000 });
    await a.acquire(400);
    await b.acquire(400);
    const stop = new AbortController();
    const third = a.acquire(400, stop.signal);
    expect(await pendingAfter(third, 700)).toBe(true);
    stop.abort();
    await expect(third).rejects.toThrow(/abort/i);
    // larger than the whole budget: it takes the window's budget (capped at the limit) instead of waiting forever
    const fresh = new SharedLimiter(client, `${key}:big`, { tpm: 1_000 });
    await fresh.acquire(5_000);
    expect(fresh.waitedMs).toBe(0);
  });
});
