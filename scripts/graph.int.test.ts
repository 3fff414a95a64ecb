import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { beforeAll, describe, expect, it } from "vitest";
import { writeTinyGguf } from "../lib/models/tiny-gguf.js";
import { DialogueRecordSchema } from "../lib/records/schema.js";

const root = fileURLToPath(new URL("..", import.meta.url));
const tsx = join(root, "node_modules", ".bin", "tsx");
const dir = mkdtempSync(join(tmpdir(), "graph-cli-"));
const tinyModel = join(dir, "tiny.gguf");

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

async function cli(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  try {
    const { stdout, stderr } = await promisify(execFile)(tsx, ["scripts/graph.ts", ...args], {
      cwd: root,
      env: { ...process.env, LANGSMITH_TRACING: "false", POLYGLOT_MODELS_DIR: join(dir, "empty-cache"), ...env },
      timeout: 180_000,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    return { code: e.code ?? -1, stdout: e.stdout ?? "", stderr: e.stderr ?? "" };
  }
}

function expectOneLineError(result: CliResult, code: number, pattern: RegExp) {
  expect(result.code).toBe(code);
  const lines = result.stderr.trim().split("\n");
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(pattern);
  expect(result.stderr).not.toMatch(/\n\s+at /);
}

describe("npm run graph (CLI, real llama.cpp engine on a tiny random-weight GGUF)", () => {
  beforeAll(async () => {
    await writeTinyGguf(tinyModel);
  });

  it("writes two contract-valid records; gibberish is rejected with its reasons", async () => {
    const out = join(dir, "d.jsonl");
    const result = await cli([
      "--lang",
      "es",
      "--model",
      tinyModel,
      "--n",
      "2",
      "--out",
      out,
      "--seed",
      "1",
      "--threads",
      "1",
    ]);
    expect(result.stderr).toMatch(/2 dialogues: 0 accepted, 2 rejected/);
    expect(result.code).toBe(0);
    const records = readFileSync(out, "utf8")
      .trim()
      .split("\n")
      .map((line) => DialogueRecordSchema.parse(JSON.parse(line)));
    expect(records.map((r) => r.id)).toEqual(["es-1-00000", "es-1-00001"]);
    for (const record of records) {
      expect(record.status).toBe("rejected");
      expect(record.rejection_reasons.length).toBeGreaterThan(0);
      expect(record.provenance.provider).toBe("llama-cpp");
      expect(record.provenance.model).toBe("tiny.gguf");
      expect(record.provenance.attempts).toBeGreaterThan(0);
      expect(record.provenance.usage.input_tokens).toBeGreaterThan(0);
      expect(record.personas.every((p) => p.source_sentences.length >= 4)).toBe(true);
    }
    expect(result.stdout).toContain("es-1-00000");
  });

  it("refuses an unknown language code with one line and exit code 2", async () => {
    expectOneLineError(await cli(["--lang", "zz-bad"]), 2, /unknown language code "zz-bad"/);
  });

  it("refuses bad flags, unreadable persona files and missing models with one line and exit code 2", async () => {
    expectOneLineError(await cli(["--lang", "es", "--bogus"]), 2, /bogus/);
    expectOneLineError(await cli(["--lang", "es", "--n", "zero"]), 2, /--n takes a whole number/);
    expectOneLineError(await cli(["--lang", "es", "--turns", "9-3"]), 2, /--turns/);
    expectOneLineError(await cli(["--lang", "es", "--speech-event", "duel"]), 2, /unknown speech event "duel"/);
    expectOneLineError(await cli(["--lang", "es", "--personas", join(dir, "missing.json")]), 2, /missing\.json/);
    const broken = join(dir, "broken.json");
    writeFileSync(broken, '[{"persona": "not a list"}');
    expectOneLineError(await cli(["--lang", "es", "--personas", broken]), 2, /broken\.json/);
    expectOneLineError(await cli(["--lang", "es", "--model", join(dir, "nope.gguf")]), 2, /nope\.gguf/);
    const noDefault = await cli(["--lang", "es", "--no-download"]);
    expectOneLineError(noDefault, 2, /default model not found .*npm run model:pull/);
    expect(existsSync(join(dir, "empty-cache"))).toBe(false);
  });

  it("prints help", async () => {
    const result = await cli(["--help"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/--lang CODES/);
  });
});
