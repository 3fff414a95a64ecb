import { describe, expect, it } from "vitest";
import { UsageError } from "./errors.js";
import { modelContext } from "./flag-types.js";
import { parseWorkerFlags } from "./worker-flags.js";

function usageError(argv: string[]): string {
  try {
    parseWorkerFlags(argv);
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError);
    return (error as Error).message;
  }
  throw new Error("expected a UsageError");
}

const QUEUE = ["--queue", "redis://127.0.0.1:6379"];

describe("worker flags", () => {
  it("takes the queue from POLYGLOT_QUEUE_URL when --queue is absent; the flag wins", () => {
    const env = { POLYGLOT_QUEUE_URL: "redis://:pw@10.0.0.2:6379" };
    expect(parseWorkerFlags([], env)?.queue).toBe("redis://:pw@10.0.0.2:6379");
    expect(parseWorkerFlags(QUEUE, env)?.queue).toBe("redis://127.0.0.1:6379");
    expect(() => parseWorkerFlags([], {})).toThrow(/--queue is required .*POLYGLOT_QUEUE_URL/);
  });

  it("default: one dialogue at a time, the embedded engine, 30 s locks", () => {
    expect(parseWorkerFlags(QUEUE)).toMatchObject({
      concurrency: 1,
      provider: "llama-cpp",
      "lock-seconds": 30,
      "stalled-seconds": 30,
    });
  });

  it("--help asks for the help text", () => {
    expect(parseWorkerFlags(["--help"])).toBeNull();
  });

  it("take the model flags graph takes, and map them to the same context settings", () => {
    const flags = parseWorkerFlags([
      ...QUEUE,
      "--concurrency",
      "8",
      "--provider",
      "openai",
      "--model",
      "qwen2.5-7b",
      "--base-url",
      "http://127.0.0.1:8000/v1",
      "--judge-provider",
      "anthropic",
      "--judge-model",
      "claude-x",
      "--request-timeout",
      "12.5",
      "--max-attempts",
      "3",
      "--lock-seconds",
      "2.5",
    ])!;
    expect(flags).toMatchObject({ concurrency: 8, "lock-seconds": 2.5 });
    expect(modelContext(flags)).toEqual({
      provider: "openai",
      model: "qwen2.5-7b",
      baseUrl: "http://127.0.0.1:8000/v1",
      judgeProvider: "anthropic",
      judgeModelName: "claude-x",
      requestTimeoutSeconds: 12.5,
      maxAttempts: 3,
    });
  });

  it("refuse mistakes with one line each", () => {
    expect(usageError([])).toMatch(/^--queue is required/);
    expect(usageError([...QUEUE, "--concurrency", "0"])).toMatch(/--concurrency must be between 1 and 256/);
    expect(usageError([...QUEUE, "--concurrency", "lots"])).toMatch(/--concurrency takes a whole number/);
    expect(usageError([...QUEUE, "--provider", "gpt"])).toMatch(/unknown --provider "gpt"/);
    expect(usageError([...QUEUE, "--lock-seconds", "0.5"])).toMatch(
      /--lock-seconds must be between 1 and 3600 seconds/,
    );
    expect(usageError([...QUEUE, "--max-attempts", "11"])).toMatch(/--max-attempts must be between 1 and 10/);
    expect(usageError([...QUEUE, "--colour"])).toMatch(/Unknown option '--colour'/);
    for (const message of [usageError([]), usageError([...QUEUE, "--colour"])]) expect(message).not.toContain("\n");
  });
});
