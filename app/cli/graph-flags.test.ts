import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { UsageError } from "./errors.js";
import { GRAPH_HELP, parseGraphFlags } from "./graph-flags.js";

const dir = mkdtempSync(join(tmpdir(), "graph-flags-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function configFile(name: string, content: unknown): string {
  const path = join(dir, name);
  writeFileSync(path, typeof content === "string" ? content : JSON.stringify(content));
  return path;
}

function usageError(argv: string[]): string {
  try {
    parseGraphFlags(argv);
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError);
    return (error as Error).message;
  }
  throw new Error("expected a UsageError");
}

describe("--lang", () => {
  it("resolves each code to its canonical tag", () => {
    expect(parseGraphFlags(["--lang", "es, pt-br,zh-hans"])?.lang).toEqual(["es", "pt-BR", "zh-Hans"]);
  });
  it("refuses an unknown code, or none, with one line", () => {
    expect(usageError(["--lang", "es,zz-bad"])).toMatch(/^unknown language code "zz-bad" \(/);
    expect(usageError(["--lang", " , "])).toBe("--lang needs at least one language code");
    expect(usageError(["--lang", "es,fr,ES"])).toBe("--lang lists a language twice");
    expect(usageError(["--n", "2"])).toBe("--lang is required (for example --lang es)");
  });
});

describe("--worker-threads", () => {
  it("is 1 unless given, and takes 1 to 64", () => {
    expect(parseGraphFlags(["--lang", "es"])?.["worker-threads"]).toBe(1);
    expect(parseGraphFlags(["--lang", "es", "--worker-threads", "2"])?.["worker-threads"]).toBe(2);
    expect(usageError(["--lang", "es", "--worker-threads", "0"])).toBe("--worker-threads must be between 1 and 64");
    expect(usageError(["--lang", "es", "--worker-threads", "two"])).toBe("--worker-threads takes a whole number");
  });
});

describe("provider flags", () => {
  it("default to the embedded engine", () => {
    expect(parseGraphFlags(["--lang", "es"])).toMatchObject({ provider: "llama-cpp" });
  });

  it("take a provider, model, base URL, judge and retry settings", () => {
    const flags = parseGraphFlags([
      "--lang",
      "es",
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
      "30",
      "--max-attempts",
      "2",
    ]);
    expect(flags).toMatchObject({
      provider: "openai",
      model: "qwen2.5-7b",
      "base-url": "http://127.0.0.1:8000/v1",
      "judge-provider": "anthropic",
      "judge-model": "claude-x",
      "request-timeout": 30,
      "max-attempts": 2,
    });
  });

  it("refuse an unknown provider and out-of-range retry settings with one line", () => {
    expect(usageError(["--lang", "es", "--provider", "gemini"])).toBe(
      'unknown --provider "gemini" (one of: llama-cpp, openai, anthropic, ollama)',
    );
    expect(usageError(["--lang", "es", "--judge-provider", "x"])).toMatch(/unknown --judge-provider "x"/);
    expect(usageError(["--lang", "es", "--max-attempts", "0"])).toMatch(/--max-attempts must be between 1 and 10/);
    expect(usageError(["--lang", "es", "--max-attempts", "50"])).toMatch(/--max-attempts must be between 1 and 10/);
    expect(usageError(["--lang", "es", "--request-timeout", "soon"])).toMatch(/--request-timeout takes seconds/);
  });

  it("are in the help", () => {
    for (const flag of [
      "--provider",
      "--base-url",
      "--judge-provider",
      "--judge-model",
      "--judge-base-url",
      "--config",
      "--max-attempts",
      "--request-timeout",
    ]) {
      expect(GRAPH_HELP).toContain(flag);
    }
  });
});

describe("--config FILE.json", () => {
  it("supplies settings keyed by flag name, with JSON values; command-line flags win", () => {
    const path = configFile("ok.json", {
      provider: "ollama",
      model: "qwen2.5:7b",
      "base-url": "http://127.0.0.1:11434",
      lang: ["es", "fr"],
      n: 3,
      turns: [6, 10],
      quiet: true,
    });
    expect(parseGraphFlags(["--config", path])).toMatchObject({
      provider: "ollama",
      model: "qwen2.5:7b",
      "base-url": "http://127.0.0.1:11434",
      lang: ["es", "fr"],
      n: 3,
      turns: [6, 10],
      quiet: true,
    });
    expect(parseGraphFlags(["--config", path, "--n", "1", "--lang", "de", "--provider", "openai"])).toMatchObject({
      n: 1,
      lang: ["de"],
      provider: "openai",
    });
  });

  it("refuses a missing file, bad JSON, unknown keys and bad values with one line naming the file", () => {
    expect(usageError(["--config", join(dir, "nope.json")])).toMatch(/^--config .*nope\.json: no such file$/);
    expect(usageError(["--config", configFile("broken.json", "{ provider: ")])).toMatch(/^--config .*broken\.json: /);
    expect(usageError(["--config", configFile("typo.json", { lang: "es", modle: "m" })])).toMatch(
      /^--config .*typo\.json: unknown setting\(s\) "modle"$/,
    );
    expect(usageError(["--config", configFile("badn.json", { lang: "es", n: "many" })])).toMatch(
      /^--n takes a whole number \(in --config .*badn\.json\)$/,
    );
    expect(usageError(["--config", configFile("badtype.json", { lang: "es", quiet: "yes" })])).toMatch(
      /^--config .*badtype\.json: "quiet": /,
    );
  });
});

describe("values a user can get subtly wrong", () => {
  it("--seed: a negative one is read as a value and refused by range; above 2^53 refused, not rounded", () => {
    expect(usageError(["--lang", "es", "--seed", "-1"])).toBe("--seed must be at least 0");
    expect(usageError(["--lang", "es", "--seed=-1"])).toBe("--seed must be at least 0");
    expect(usageError(["--lang", "es", "--seed", "9007199254740993"])).toMatch(
      /^--seed must be at most 9007199254740991/,
    );
    expect(parseGraphFlags(["--lang", "es", "--seed", "9007199254740991"])?.seed).toBe(Number.MAX_SAFE_INTEGER);
    expect(parseGraphFlags(["--lang", "es", "--seed", "0"])?.seed).toBe(0);
  });

  it("an empty value names its flag", () => {
    expect(usageError(["--lang", "es", "--model", ""])).toBe("--model must not be empty");
    expect(usageError(["--lang", "es", "--out", ""])).toBe("--out must not be empty");
    expect(usageError(["--lang", ""])).toBe("--lang must not be empty");
  });

  it("--n is capped with a clear line (the plan is made up front)", () => {
    expect(parseGraphFlags(["--lang", "es", "--n", "100000"])?.n).toBe(100_000);
    expect(usageError(["--lang", "es", "--n", "100001"])).toMatch(/^--n must be at most 100000 dialogues per language/);
    expect(usageError(["--lang", "es", "--n", "100000000000000000000"])).toMatch(/^--n must be at most 100000/);
  });
});

describe("--queue", () => {
  it("comes from POLYGLOT_QUEUE_URL when neither the command line nor --config names one", () => {
    const env = { POLYGLOT_QUEUE_URL: "redis://:pw@10.0.0.2:6379" };
    expect(parseGraphFlags(["--lang", "es"], env)?.queue).toBe("redis://:pw@10.0.0.2:6379");
    expect(parseGraphFlags(["--lang", "es", "--queue", "redis://h:1"], env)?.queue).toBe("redis://h:1");
    expect(parseGraphFlags(["--lang", "es"], {})?.queue).toBeUndefined();
  });
});

describe("export flags", () => {
  it("take several formats and the split shares", () => {
    const flags = parseGraphFlags([
      "--lang",
      "es",
      "--out",
      "x.jsonl",
      "--format",
      "parquet, messages,personachat",
      "--splits",
      "0.8,0.1,0.1",
    ])!;
    expect(flags.format).toEqual(["parquet", "messages", "personachat"]);
    expect(flags.splits).toEqual([0.8, 0.1, 0.1]);
    expect(parseGraphFlags(["--lang", "es", "--splits", ".7,.3"])?.splits).toEqual([0.7, 0.3]);
    expect(parseGraphFlags(["--lang", "es"])?.format).toEqual(["jsonl"]);
  });

  it("refuse unknown or repeated formats and shares that are not two or three parts of 1, in one line", () => {
    expect(usageError(["--lang", "es", "--format", "messages,csv"])).toMatch(/unknown --format "csv"/);
    expect(usageError(["--lang", "es", "--format", "messages,messages"])).toMatch(/lists a format twice/);
    expect(usageError(["--lang", "es", "--splits", "0.8,0.1"])).toMatch(/must sum to 1 \(0\.8 \+ 0\.1 = 0\.9\)/);
    expect(usageError(["--lang", "es", "--splits", "1"])).toMatch(/TRAIN,VALIDATION,TEST/);
    expect(usageError(["--lang", "es", "--splits", "0.25,0.25,0.25,0.25"])).toMatch(/TRAIN,VALIDATION,TEST/);
    expect(usageError(["--lang", "es", "--splits", "1,0"])).toMatch(/above 0 and below 1/);
  });
});
