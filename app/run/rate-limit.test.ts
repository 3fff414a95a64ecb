import { HumanMessage } from "@langchain/core/messages";
import { describe, expect, it } from "vitest";
import { ScriptedChatModel } from "../../testing/scripted-model.js";
import { modelLabel } from "../../lib/models/factory.js";
import { type MonotonicClock, jobView, limitChatModel, promptChars, RateLimiter, TokenBucket } from "./rate-limit.js";

/** A virtual clock: sleeping advances time instantly. */
function virtualClock(): MonotonicClock & { t: number } {
  const clock = {
    t: 0,
    now: () => clock.t,
    sleep: async (ms: number) => {
      clock.t += ms;
    },
  };
  return clock;
}

describe("TokenBucket", () => {
  it("holds one second's worth and refills continuously", () => {
    const clock = virtualClock();
    const bucket = new TokenBucket(600, clock);
    expect(bucket.capacity).toBe(10);
    expect(bucket.waitFor(10)).toBe(0);
    bucket.take(10);
    expect(bucket.waitFor(1)).toBeCloseTo(100);
    clock.t += 500;
    expect(bucket.waitFor(5)).toBe(0);
  });

  it("lets a call dearer than its capacity go from a full bucket, into debt", () => {
    const clock = virtualClock();
    const bucket = new TokenBucket(60, clock); // capacity 1
    expect(bucket.waitFor(5)).toBe(0);
    bucket.take(5);
    expect(bucket.waitFor(5)).toBeCloseTo(5000);
  });
});

describe("RateLimiter", () => {
  it("paces requests evenly at --rpm instead of bursting", async () => {
    const clock = virtualClock();
    const limiter = new RateLimiter({ rpm: 60 }, clock);
    const times: number[] = [];
    for (let i = 0; i < 10; i++) {
      await limiter.acquire(0);
      times.push(clock.t);
    }
    expect(times[9]! - times[0]!).toBeGreaterThanOrEqual(9000 - 1);
    for (let i = 1; i < times.length; i++) expect(times[i]! - times[i - 1]!).toBeGreaterThanOrEqual(999);
  });

  it("admits concurrent callers in arrival order, never more than the limit in a minute (plus the burst)", async () => {
    const clock = virtualClock();
    const limiter = new RateLimiter({ rpm: 120 }, clock);
    const times: number[] = [];
    await Promise.all(Array.from({ length: 300 }, () => limiter.acquire(0).then(() => times.push(clock.t))));
    const inFirstMinute = times.filter((t) => t < 60_000).length;
    expect(inFirstMinute).toBeLessThanOrEqual(120 + 2);
    expect(inFirstMinute).toBeGreaterThanOrEqual(118);
  });

  it("paces tokens at --tpm and corrects estimates with the reported usage", async () => {
    const clock = virtualClock();
    const limiter = new RateLimiter({ tpm: 60_000 }, clock); // 1000 tokens/s, capacity 1000
    await limiter.acquire(1000);
    // the call cost only 200: 800 refunded, so the next 800-token call goes at once
    limiter.settle(1000, 200);
    const before = clock.t;
    await limiter.acquire(800);
    expect(clock.t - before).toBe(0);
    // an underestimate is charged: 3000 more tokens must be earned back before the next call
    limiter.settle(800, 3800);
    await limiter.acquire(500);
    expect(clock.t - before).toBeGreaterThanOrEqual(3000);
  });
});

describe("limitChatModel", () => {
  it("puts the limiter around invoke, estimating chars/4 + output cap, and keeps the model's identity", async () => {
    const model = new ScriptedChatModel(() => "hola", { modelName: "m" });
    const clock = virtualClock();
    const limiter = new RateLimiter({ rpm: 60, tpm: 6000 }, clock);
    const acquired: number[] = [];
    const settled: [number, number][] = [];
    const acquire = limiter.acquire.bind(limiter);
    const settle = limiter.settle.bind(limiter);
    limiter.acquire = (tokens, signal) => (acquired.push(tokens), acquire(tokens, signal));
    limiter.settle = (estimate, actual) => {
      settled.push([estimate, actual]);
      settle(estimate, actual);
    };
    const same = limitChatModel(model, limiter);
    expect(same).toBe(model);
    expect(limitChatModel(model, limiter)).toBe(model); // not wrapped twice
    const answer = await model.invoke([new HumanMessage("x".repeat(400))], { maxTokens: 50 } as never);
    expect(answer.content).toBe("hola");
    expect(acquired).toEqual([100 + 50]);
    expect(settled).toEqual([[150, 100 + 1]]);
    await model.invoke([new HumanMessage("y".repeat(40))]);
    expect(acquired[1]).toBe(10 + 512);
    expect(clock.t).toBeGreaterThanOrEqual(999);
    expect(model.calls).toHaveLength(2);
  });

  it("jobView: each job's own limits and seed over one shared model, which stays unchanged (a fleet worker)", async () => {
    const model = new ScriptedChatModel(() => "hola", { modelName: "m" });
    const seeds: unknown[] = [];
    const generate = model._generate.bind(model);
    model._generate = (messages: Parameters<typeof generate>[0], options: Parameters<typeof generate>[1]) => (
      seeds.push((options as { seed?: unknown }).seed),
      generate(messages, options)
    );
    // compared by identity, never called
    // eslint-disable-next-line @typescript-eslint/unbound-method
    const ownInvoke = model.invoke;
    const clock = virtualClock();
    const strict = new RateLimiter({ rpm: 1 }, clock);
    const first = jobView(model, { seed: 11 }, strict);
    const second = jobView(model, { seed: 22 }); // a later run without limits
    // eslint-disable-next-line @typescript-eslint/unbound-method
    expect(model.invoke).toBe(ownInvoke);
    expect(modelLabel(first)).toEqual({ provider: "scripted", model: "m" });
    await first.invoke("a");
    await first.invoke("b");
    expect(clock.t).toBeGreaterThanOrEqual(59_000); // rpm 1: the second call of the first job waited a minute
    const before = clock.t;
    await second.invoke("c");
    await second.invoke("d");
    await second.withConfig({ maxTokens: 9 } as Record<string, unknown>).invoke("e");
    expect(clock.t).toBe(before); // the second job is not throttled by the first one's limits
    expect(seeds).toEqual([11, 11, 22, 22, 22]);
    expect(model.calls).toHaveLength(5);
  });

  it("counts prompt characters of messages, strings and message parts", () => {
    expect(promptChars("abcd")).toBe(4);
    expect(promptChars([new HumanMessage("abc"), new HumanMessage({ content: [{ type: "text", text: "de" }] })])).toBe(
      5,
    );
  });
});
