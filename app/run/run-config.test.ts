import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ChatLlamaCppEngine } from "../../lib/models/llama-cpp.js";
import { ScriptedChatModel } from "../../testing/scripted-model.js";
import { makeRecord } from "../../testing/records.js";
import { RecordFileError } from "./record-file.js";
import {
  buildRunConfig,
  configHash,
  diffConfigs,
  type RunConfig,
  RunConfigError,
  RunLog,
  runFilePath,
  siblingPath,
} from "./run-config.js";

const tempOut = () => join(mkdtempSync(join(tmpdir(), "run-config-")), "data.jsonl");

function configInput(): Parameters<typeof buildRunConfig>[0] {
  return {
    seed: 1,
    settings: {
      promptVariant: "baseline",
      turnsMin: 8,
      turnsMax: 14,
      maxTurnRetries: 2,
      maxCritiqueRounds: 1,
      maxStructuredRetries: 2,
      maxTurnChars: 400,
    },
    promptHash: "0123456789ab",
    chatModel: new ScriptedChatModel(() => "", { modelName: "scripted" }),
    personasSource: "built-in",
    personas: [["I ski."], ["I cook."]],
    speechEventsHash: "aaaaaaaaaaaa",
    demonstrationsHash: "bbbbbbbbbbbb",
    nearDuplicateThreshold: 0.8,
    plannerVersion: 1,
  };
}

function config(overrides: Partial<RunConfig> = {}): RunConfig {
  return { ...buildRunConfig(configInput()), ...overrides };
}

describe("run log (X.run.json)", () => {
  it('records each session\'s pid and host; a session still "running" when the next one opens (kill -9) becomes "killed"', () => {
    const out = tempOut();
    const first = RunLog.open(out, config(), []);
    expect(first.sessions[0]).toMatchObject({ status: "running", pid: process.pid, host: hostname() });
    const second = RunLog.open(out, config(), []);
    expect(second.sessions.map((s) => s.status)).toEqual(["killed", "running"]);
    expect(JSON.parse(readFileSync(runFilePath(out), "utf8")).sessions[0].status).toBe("killed");
  });

  it("without the run log, checks the records' configuration hash: other settings refused with the reason", () => {
    const out = tempOut();
    const stamped = (c: RunConfig) => {
      const record = makeRecord("es-1-00000", "es", [], "rejected");
      return {
        ...record,
        provenance: {
          ...record.provenance,
          seed: c.seed,
          provider: c.model.provider,
          model: c.model.model,
          prompt_variant: c.prompt_variant,
          prompt_hash: c.prompt_hash,
          run_config: configHash(c),
        },
      };
    };
    const made = stamped(config());
    expect(() => RunLog.open(out, config({ turns: [4, 6] }), [made])).toThrow(
      /has no .*data\.run\.json and its records were made with other settings/,
    );
    expect(() =>
      RunLog.open(out, config({ speech_events: { override: "small_talk", hash: "aaaaaaaaaaaa" } }), [made]),
    ).toThrow(RunConfigError);
    expect(existsSync(runFilePath(out))).toBe(false);
    // the informational personas source may differ (moved file)
    expect(() =>
      RunLog.open(out, config({ personas: { ...config().personas, source: "elsewhere.json" } }), [made]),
    ).not.toThrow();
    const unstamped = { ...made, provenance: { ...made.provenance, run_config: undefined } };
    const other = tempOut();
    expect(() => RunLog.open(other, config(), [unstamped])).toThrow(/do not say which settings made them/);
  });

  it("sits next to the output and lets the same configuration resume, adding up the sessions' wall time", () => {
    const out = tempOut();
    expect(runFilePath(out)).toBe(out.replace(/\.jsonl$/, ".run.json"));
    expect(siblingPath(out, "summary.json")).toBe(out.replace(/\.jsonl$/, ".summary.json"));
    const first = RunLog.open(out, config(), []);
    expect(existsSync(runFilePath(out))).toBe(true);
    first.update(3, "interrupted");
    const second = RunLog.open(out, config(), []);
    expect(second.sessions).toHaveLength(2);
    expect(second.sessions[0]!.status).toBe("interrupted");
    expect(second.sessions[0]!.written).toBe(3);
    expect(second.wallMs).toBeGreaterThanOrEqual(second.sessions[0]!.wall_ms);
    const saved = JSON.parse(readFileSync(runFilePath(out), "utf8"));
    expect(saved.config.seed).toBe(1);
    expect(saved.config.model).toEqual({ provider: "scripted", model: "scripted" });
  });

  it("refuses a changed configuration with one line naming what changed (a user error: exit code 2)", () => {
    const out = tempOut();
    RunLog.open(out, config(), []);
    let error: unknown;
    try {
      RunLog.open(out, config({ seed: 2, prompt_hash: "ffffffffffff" }), []);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(RunConfigError);
    expect(error).toBeInstanceOf(RecordFileError);
    const message = (error as Error).message;
    expect(message.split("\n")).toHaveLength(1);
    expect(message).toContain("seed: 1 → 2");
    expect(message).toContain('prompt_hash: "0123456789ab" → "ffffffffffff"');
    expect(message).toMatch(/new --out/);
  });

  it("ignores where the personas came from, but not what they are", () => {
    const out = tempOut();
    RunLog.open(out, config(), []);
    const moved = config();
    moved.personas = { ...moved.personas, source: "/elsewhere/personas.json" };
    expect(() => RunLog.open(out, moved, [])).not.toThrow();
    const other = config();
    other.personas = { ...other.personas, hash: "cccccccccccc" };
    expect(() => RunLog.open(out, other, [])).toThrow(/personas\.hash/);
  });

  it("checks a file written before run logs existed against its records' provenance, and refuses what it cannot check", () => {
    const out = tempOut();
    const record = makeRecord("es-1-00000", "es", ["hola"]);
    expect(() => RunLog.open(out, config({ seed: 5 }), [record])).toThrow(/seed: 1 → 5/);
    expect(() => RunLog.open(out, config(), [record])).toThrow(
      /do not say which settings made them \(turns, speech event, personas…\)/,
    );
    expect(existsSync(runFilePath(out))).toBe(false);
  });
});

describe("diffConfigs", () => {
  it("treats a model detail that one side could not read as unknown, and a changed one as a change", () => {
    const base = config();
    const sized = { ...base, model: { ...base.model, file_size: 100, temperature: 0.8 } };
    expect(diffConfigs(sized, base)).toEqual([]);
    expect(diffConfigs(sized, { ...base, model: { ...base.model, file_size: 200, temperature: 0.8 } })).toEqual([
      "model.file_size: 100 → 200",
    ]);
  });

  it("records the embedded engine's thread count (its output depends on it), without refusing a resume on another machine", () => {
    const engine = new ChatLlamaCppEngine({ modelPath: "/nowhere/m.gguf", threads: 3 });
    const withEngine = buildRunConfig({ ...configInput(), chatModel: engine });
    expect(withEngine.model).toMatchObject({ provider: "llama-cpp", threads: 3 });
    expect(config().model.threads).toBeUndefined();
    expect(diffConfigs(withEngine, { ...withEngine, model: { ...withEngine.model, threads: 2 } })).toEqual([]);
  });
});
