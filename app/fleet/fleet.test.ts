import { describe, expect, it } from "vitest";
import { WorkerStats } from "./coordinator.js";
import { DEFAULT_QUEUE_NAME, FleetConfigError, FleetError, lostRedis, parseQueueUrl } from "./fleet.js";

describe("parseQueueUrl", () => {
  it("reads host, port, db, password and the queue name, with bounded retries", () => {
    const t = parseQueueUrl("redis://:s%40cret@10.0.0.5:6380/2?queue=es-run");
    expect(t.where).toBe("10.0.0.5:6380");
    expect(t.queueName).toBe("es-run");
    expect(t.connection).toMatchObject({
      host: "10.0.0.5",
      port: 6380,
      db: 2,
      password: "s@cret",
      maxRetriesPerRequest: 1,
      connectTimeout: 3000,
    });
    const retry = (t.connection as { retryStrategy: (n: number) => number | null }).retryStrategy;
    expect(retry(1)).toBeGreaterThan(0);
    expect(retry(4)).toBeNull();
  });
  it("defaults: port 6379, queue personachat; blocking connections retry per request", () => {
    const t = parseQueueUrl("redis://127.0.0.1", { blocking: true });
    expect(t.queueName).toBe(DEFAULT_QUEUE_NAME);
    expect(t.connection).toMatchObject({ port: 6379, maxRetriesPerRequest: null });
  });
  it("refuses what is not a Redis URL, in one line", () => {
    expect(() => parseQueueUrl("http://x:1")).toThrow(FleetConfigError);
    expect(() => parseQueueUrl("nonsense")).toThrow(/not a URL/);
    expect(() => parseQueueUrl("redis://h:1/x")).toThrow(/database number/);
    expect(() => parseQueueUrl("redis://h:1?queue=a:b")).toThrow(/queue names/);
  });
});

describe("lostRedis", () => {
  const target = parseQueueUrl("redis://10.0.0.5:6380");
  const named = (name: string, message: string) => Object.assign(new Error(message), { name });
  it("names the lost server in one line for the ways ioredis reports Redis gone", () => {
    for (const error of [
      named(
        "MaxRetriesPerRequestError",
        'Reached the max retries per request limit (which is 1). Refer to "maxRetriesPerRequest" option for details.',
      ),
      new Error("Connection is closed."),
      Object.assign(new Error("read ECONNRESET"), { code: "ECONNRESET" }),
    ]) {
      const lost = lostRedis(error, target);
      expect(lost).toBeInstanceOf(FleetError);
      expect(lost?.message).toBe("lost the connection to Redis at 10.0.0.5:6380 (it stopped answering)");
      expect(lost?.cause).toBe(error);
    }
  });
  it("leaves every other error alone", () => {
    expect(lostRedis(new Error("job es-1-00003 returned the record of es-1-00004 (bug)"), target)).toBeUndefined();
    expect(lostRedis(Object.assign(new Error("no such file"), { code: "ENOENT" }), target)).toBeUndefined();
    expect(lostRedis(undefined, target)).toBeUndefined();
  });
});

describe("WorkerStats", () => {
  it("per-worker throughput over the session, busiest first", () => {
    const stats = new WorkerStats(0);
    stats.add("a", 1000);
    stats.add("b", 2000);
    stats.add("b", 3000);
    expect(stats.line(60_000)).toBe("b 2.0/min (2), a 1.0/min (1)");
  });
});
