import { describe, expect, it } from "vitest";
import {
  classifyFailure,
  describeFailure,
  type Endpoint,
  ModelCallError,
  ModelConfigError,
  retryAfterMs,
} from "./errors.js";
import { backoffMs, type Clock, DEFAULT_RETRY_POLICY, RetryNotices, withRetries } from "./retry.js";

const endpoint: Endpoint = {
  provider: "openai",
  baseUrl: "http://127.0.0.1:9/v1",
  model: "m",
  keyEnv: "OPENAI_API_KEY",
};

/** Errors shaped as the SDKs throw them. */
function httpError(status: number, headers: Record<string, string> = {}, message = `${status} status code (no body)`) {
  return Object.assign(new Error(message), { status, headers: new Headers(headers) });
}
function networkError(code: string) {
  const cause = Object.assign(new Error(`connect ${code}`), { code });
  return Object.assign(new Error("Connection error."), {
    name: "APIConnectionError",
    cause: Object.assign(new TypeError("fetch failed"), { cause }),
  });
}

/** A clock whose sleeps take no time but are recorded. */
function fakeClock(random = 1): Clock & { sleeps: number[] } {
  let now = 0;
  const sleeps: number[] = [];
  return {
    sleeps,
    now: () => now,
    random: () => random,
    sleep: async (ms) => {
      sleeps.push(ms);
      now += ms;
    },
  };
}

function failing(errors: unknown[], then = "ok") {
  let calls = 0;
  const call = async () => {
    const error = errors[calls++];
    if (error) throw error as Error;
    return then;
  };
  return { call, calls: () => calls };
}

describe("classifyFailure", () => {
  it("a port fetch refuses to use (undici's bad port: 9, 6000) is unreachable — said so, not retried as a reset", async () => {
    for (const port of [9, 6000]) {
      const error: unknown = await fetch(`http://127.0.0.1:${port}/v1/chat/completions`).catch((e: unknown) => e);
      const failure = classifyFailure(error);
      expect(failure.kind).toBe("unreachable");
      expect(describeFailure(failure, endpoint)).toMatch(/fetch refuses to connect to its port \(a "bad port"/);
    }
  });

  it("sorts HTTP statuses, network codes and timeouts", () => {
    expect(classifyFailure(httpError(401)).kind).toBe("auth");
    expect(classifyFailure(httpError(403)).kind).toBe("forbidden");
    expect(classifyFailure(httpError(404)).kind).toBe("not_found");
    expect(classifyFailure(httpError(400)).kind).toBe("rejected");
    expect(classifyFailure(httpError(500)).kind).toBe("server");
    expect(classifyFailure(httpError(529)).kind).toBe("server");
    expect(classifyFailure(httpError(429, { "retry-after": "2" }))).toMatchObject({
      kind: "rate_limited",
      retryAfterMs: 2000,
    });
    expect(classifyFailure(Object.assign(new Error("model not found"), { status_code: 404 }))).toMatchObject({
      kind: "not_found",
      detail: "model not found",
    });
    expect(classifyFailure(networkError("ECONNREFUSED"))).toMatchObject({ kind: "unreachable", code: "ECONNREFUSED" });
    expect(classifyFailure(networkError("ENOTFOUND"))).toMatchObject({ kind: "unreachable", code: "ENOTFOUND" });
    expect(classifyFailure(networkError("ECONNRESET"))).toMatchObject({ kind: "reset", code: "ECONNRESET" });
    expect(classifyFailure(Object.assign(new Error("Request timed out."), { name: "TimeoutError" })).kind).toBe(
      "timeout",
    );
    expect(classifyFailure(new DOMException("The operation was aborted due to timeout", "TimeoutError")).kind).toBe(
      "timeout",
    );
    expect(classifyFailure(new Error("something odd")).kind).toBe("unknown");
  });

  it("reads Retry-After as seconds, as a date, and retry-after-ms", () => {
    const headers = (h: Record<string, string>) => new Headers(h);
    expect(retryAfterMs(headers({ "retry-after": "3" }))).toBe(3000);
    expect(retryAfterMs(headers({ "retry-after-ms": "250", "retry-after": "3" }))).toBe(250);
    expect(retryAfterMs(headers({ "retry-after": new Date(10_000).toUTCString() }), 4_000)).toBe(6000);
    expect(retryAfterMs(headers({ "retry-after": "soon" }))).toBeUndefined();
    expect(retryAfterMs(headers({}))).toBeUndefined();
  });

  it("says what and where in one line", () => {
    expect(describeFailure({ kind: "auth", status: 401 }, endpoint)).toBe(
      "authentication failed (401) at http://127.0.0.1:9/v1: check OPENAI_API_KEY",
    );
    expect(describeFailure({ kind: "not_found", status: 404 }, endpoint)).toBe(
      'model "m" not found at http://127.0.0.1:9/v1 (404): check --model and --base-url',
    );
    expect(describeFailure({ kind: "unreachable", code: "ECONNREFUSED" }, endpoint)).toBe(
      "cannot reach http://127.0.0.1:9/v1 (ECONNREFUSED): is the server running? check --base-url",
    );
    expect(
      describeFailure({ kind: "auth", status: 401 }, {
        ...endpoint,
        provider: "ollama",
        keyEnv: undefined,
      } as unknown as Endpoint),
    ).toMatch(/check the server's credentials/);
  });
});

describe("withRetries", () => {
  it("backs off exponentially with jitter in [0.5, 1] of base · 2^(n-1), capped", () => {
    expect([1, 2, 3, 4, 5].map((n) => backoffMs(n, DEFAULT_RETRY_POLICY, 1))).toEqual([1000, 2000, 4000, 8000, 8000]);
    expect([1, 2, 3].map((n) => backoffMs(n, DEFAULT_RETRY_POLICY, 0))).toEqual([500, 1000, 2000]);
  });

  it("retries 5xx, resets and timeouts, then succeeds", async () => {
    const clock = fakeClock();
    const { call, calls } = failing([
      httpError(502),
      networkError("ECONNRESET"),
      Object.assign(new Error("t"), { name: "TimeoutError" }),
    ]);
    await expect(withRetries(call, { endpoint, clock })).resolves.toBe("ok");
    expect(calls()).toBe(4);
    expect(clock.sleeps).toEqual([1000, 2000, 4000]);
  });

  it("gives up after maxAttempts with one line", async () => {
    const clock = fakeClock(0);
    const { call, calls } = failing(Array(10).fill(httpError(500, {}, "500 Internal error")));
    const error = await withRetries(call, { endpoint, clock }).catch((e: unknown) => e as Error);
    expect(error).toBeInstanceOf(ModelCallError);
    expect((error as Error).message).toBe(
      "server error (500) at http://127.0.0.1:9/v1 (Internal error); gave up after 4 attempts in 3.5 s",
    );
    expect(calls()).toBe(4);
  });

  it("honours Retry-After as a floor for the wait", async () => {
    const clock = fakeClock(0);
    const { call } = failing([httpError(429, { "retry-after": "2" })]);
    await withRetries(call, { endpoint, clock });
    expect(clock.sleeps).toEqual([2000]);
  });

  it("does not sleep past its wait budget: a long Retry-After ends the call at once", async () => {
    const clock = fakeClock();
    const { call, calls } = failing([httpError(429, { "retry-after": "3600" })]);
    const error = await withRetries(call, { endpoint, clock }).catch((e: unknown) => e as Error);
    expect(error).toBeInstanceOf(ModelCallError);
    expect((error as Error).message).toMatch(
      /^rate limited \(429\) at .*the server asks to wait 3600 s, more than the 60 s left to wait \(after 1 attempts\)$/,
    );
    expect(calls()).toBe(1);
    expect(clock.sleeps).toEqual([]);
  });

  it("bounds the total wait even with many attempts", async () => {
    const clock = fakeClock();
    const { call } = failing(Array(20).fill(httpError(503)));
    await expect(
      withRetries(call, { endpoint, clock, policy: { ...DEFAULT_RETRY_POLICY, maxAttempts: 20, maxWaitMs: 10_000 } }),
    ).rejects.toThrow(/gave up after \d+ attempts/);
    expect(clock.sleeps.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(10_000);
  });

  it("fails at once on 401, 403, 404 and an unreachable server", async () => {
    for (const error of [
      httpError(401),
      httpError(403),
      httpError(404),
      networkError("ECONNREFUSED"),
      networkError("ENOTFOUND"),
    ]) {
      const clock = fakeClock();
      const { call, calls } = failing([error]);
      await expect(withRetries(call, { endpoint, clock })).rejects.toBeInstanceOf(ModelConfigError);
      expect(calls()).toBe(1);
      expect(clock.sleeps).toEqual([]);
    }
  });

  it("does not retry a refused request (400) nor an aborted call", async () => {
    const { call, calls } = failing([httpError(400, {}, "400 bad schema")]);
    await expect(withRetries(call, { endpoint, clock: fakeClock() })).rejects.toThrow(
      'request refused (400) by http://127.0.0.1:9/v1 for model "m" (bad schema)',
    );
    expect(calls()).toBe(1);
    const controller = new AbortController();
    controller.abort();
    const aborted = failing([new Error("AbortError")]);
    await expect(
      withRetries(aborted.call, { endpoint, clock: fakeClock(), signal: controller.signal }),
    ).rejects.toThrow("AbortError");
    expect(aborted.calls()).toBe(1);
  });

  it("tells onRetry about each retry", async () => {
    const events: string[] = [];
    const { call } = failing([httpError(500)]);
    await withRetries(call, {
      endpoint,
      clock: fakeClock(),
      onRetry: (e) => events.push(`${e.attempt}:${e.delayMs}:${e.failure.kind}`),
    });
    expect(events).toEqual(["1:1000:server"]);
  });
});

describe("RetryNotices", () => {
  it("shows the first retry at once, then at most one line per interval with the count and the last reason", async () => {
    let now = 0;
    const lines: string[] = [];
    const notices = new RetryNotices(10_000, () => now);
    notices.showWith((line) => lines.push(line));
    const clock = fakeClock();
    const retryTwice = () =>
      withRetries(failing([httpError(429, { "retry-after": "2" }), httpError(503)]).call, {
        endpoint,
        clock,
        onRetry: notices.record,
      });

    await retryTwice();
    expect(lines).toEqual(["model: rate limited (429) at http://127.0.0.1:9/v1; retrying in 2.0 s (attempt 2)"]);
    now = 4_000;
    await retryTwice();
    expect(lines).toHaveLength(1); // within the interval: held back
    notices.flush();
    expect(lines).toHaveLength(1);
    now = 10_500;
    notices.flush();
    expect(lines[1]).toBe(
      "model: 3 calls retried since the last notice; the last: server error (503) at http://127.0.0.1:9/v1; retrying in 2.0 s (attempt 3)",
    );
    expect(notices.count).toBe(4);
    notices.flush(true); // nothing pending: nothing shown
    expect(lines).toHaveLength(2);
  });
});
