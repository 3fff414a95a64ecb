/**
 * The journal keeps every record once and whole, whatever happens to the file or the process — through the real
 * CLI (npm or node) on the tiny random-weight GGUF: two runs on one --out, SIGTERM to npm or to the whole group,
 * a last record without its newline, a file that is not ours, a bad byte before a torn tail, a journal without
 * its run log, Ctrl-C while the engine starts, a huge --n, bad model files and --out paths.
 */
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { writeTinyGguf } from "../lib/models/tiny-gguf.js";
import { DialogueRecordSchema } from "../lib/records/schema.js";
import {
  completeLines,
  groupMembers,
  processTable,
  startNpmScript,
  startScript,
  waitFor,
} from "../testing/processes.js";

const dir = mkdtempSync(join(tmpdir(), "journal-cli-"));
const tinyModel = join(dir, "tiny.gguf");
const env = { POLYGLOT_MODELS_DIR: join(dir, "empty-cache") };
const llamaDir = join(dirname(fileURLToPath(import.meta.url)), "../node_modules/node-llama-cpp/llama");

const args = (out: string, n: number, extra: string[] = []) => [
  "--lang",
  "es",
  "--n",
  String(n),
  "--model",
  tinyModel,
  "--threads",
  "1",
  "--out",
  out,
  "--quiet",
  ...extra,
];
const start = (out: string, n: number, extra: string[] = []) =>
  startScript("scripts/graph.ts", args(out, n, extra), env);

const ids = (path: string) => completeLines(path).map((line) => DialogueRecordSchema.parse(JSON.parse(line)).id);

/** A copy of the two-record journal the first test writes (and its run log, unless told not to). */
let base = "";
function copyOfBase(name: string, withRunLog = true): string {
  const out = join(dir, `${name}.jsonl`);
  copyFileSync(base, out);
  if (withRunLog) copyFileSync(base.replace(/\.jsonl$/, ".run.json"), out.replace(/\.jsonl$/, ".run.json"));
  return out;
}

describe("the journal under concurrent runs, signals and damage (CLI, tiny GGUF)", () => {
  beforeAll(async () => {
    await writeTinyGguf(tinyModel);
  });

  it("two runs on one --out: the second is refused in one line naming the holder (exit 2); --wait waits its turn", async () => {
    const out = join(dir, "concurrent.jsonl");
    const first = start(out, 40);
    await waitFor("the first run's first record", () => completeLines(out).length >= 1);
    const second = await start(out, 40).done;
    expect(second.code).toBe(2);
    expect(second.stderr.trim().split("\n")).toHaveLength(1);
    expect(second.stderr).toMatch(new RegExp(`is being written by another run \\(pid ${first.child.pid}, started `));
    const waiting = start(out, 2, ["--wait"]);
    await waitFor("the third run to wait", () => /waiting for it to finish/.test(waiting.output()));
    process.kill(first.child.pid!, "SIGTERM");
    expect((await first.done).code).toBe(130);
    const waited = await waiting.done;
    expect(waited.code).toBe(0);
    const written = ids(out);
    expect(written.length).toBeGreaterThanOrEqual(2);
    expect(new Set(written).size).toBe(written.length);
    expect(existsSync(`${out}.lock`)).toBe(false);
    // the journal the next tests start from: its first two records, and its run log
    base = join(dir, "base.jsonl");
    writeFileSync(
      base,
      completeLines(out)
        .slice(0, 2)
        .map((line) => `${line}\n`)
        .join(""),
    );
    copyFileSync(join(dir, "concurrent.run.json"), join(dir, "base.run.json"));
  });

  for (const target of ["npm pid", "process group"] as const) {
    it(`SIGTERM to the ${target} of \`npm run graph\`: the run stops gracefully, exit 130, no process left behind`, async () => {
      const out = join(dir, `term-${target.replace(" ", "-")}.jsonl`);
      const run = startNpmScript("graph", args(out, 6), env);
      const npm = run.child.pid!;
      await waitFor("a first record", () => completeLines(out).length >= 1);
      process.kill(target === "npm pid" ? npm : -npm, "SIGTERM");
      const result = await run.done;
      expect(result.code).toBe(130);
      expect(result.stderr).toMatch(/SIGTERM: no new dialogues/);
      expect(result.stderr).not.toMatch(/abandoning/); // npm's forwarded copy of a group signal is not a second one
      expect(result.stderr).toMatch(/interrupted: \d+ dialogues written in this session; resume with the same command/);
      expect(groupMembers(npm)).toEqual([]);
      const written = ids(out);
      expect(new Set(written).size).toBe(written.length);
      expect(written.length).toBeLessThan(6);
      // nothing kept writing after the command ended
      await new Promise((resolve) => setTimeout(resolve, 3000));
      expect(ids(out)).toEqual(written);
      expect(JSON.parse(readFileSync(out.replace(/\.jsonl$/, ".run.json"), "utf8")).sessions.at(-1).status).toBe(
        "interrupted",
      );
    });
  }

  it("a whole last record without its newline is kept, and the next one goes on a line of its own", async () => {
    const out = copyOfBase("unterminated");
    const before = readFileSync(out, "utf8");
    writeFileSync(out, before.slice(0, -1));
    const result = await start(out, 3).done;
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/added the newline missing after its last record/);
    expect(result.stderr).not.toMatch(/torn/);
    expect(readFileSync(out, "utf8").startsWith(before)).toBe(true);
    expect(ids(out)).toEqual(["es-1-00000", "es-1-00001", "es-1-00002"]);
  });

  it("a one-line file that is not ours is neither truncated nor appended to (exit 2, one line)", async () => {
    const out = join(dir, "notes.jsonl");
    writeFileSync(out, "my notes");
    const result = await start(out, 1).done;
    expect(result.code).toBe(2);
    expect(result.stderr.trim().split("\n")).toHaveLength(1);
    expect(result.stderr).toMatch(/notes\.jsonl line 1 is not a dialogue record/);
    expect(readFileSync(out, "utf8")).toBe("my notes");
    expect(existsSync(join(dir, "notes.run.json"))).toBe(false);
  });

  it("an invalid UTF-8 byte before a torn tail: the cut is on bytes, the next record is whole on its own line", async () => {
    const out = copyOfBase("bad-byte");
    const bytes = readFileSync(out);
    const at = bytes.indexOf('"source_sentences":["') + '"source_sentences":["'.length;
    bytes[at] = 0xff; // a disk error in the first record's text
    const torn = Buffer.from('{"id":"es-1-00002","language":"es","source_la');
    writeFileSync(out, Buffer.concat([bytes, torn]));
    const result = await start(out, 3).done;
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/cut off a torn last line left by an interrupted run \(45 bytes\)/);
    expect(result.stderr).toMatch(/not UTF-8/);
    const after = readFileSync(out);
    expect(after.subarray(0, bytes.length).equals(bytes)).toBe(true);
    expect(ids(out)).toEqual(["es-1-00000", "es-1-00001", "es-1-00002"]);
  });

  it("a journal without its run log: other settings are refused with the reason, the same settings resume", async () => {
    const out = copyOfBase("no-sidecar", false);
    const before = readFileSync(out, "utf8");
    for (const extra of [
      ["--turns", "4-6"],
      ["--speech-event", "small_talk"],
    ]) {
      const refused = await start(out, 3, extra).done;
      expect(refused.code).toBe(2);
      expect(refused.stderr.trim().split("\n")).toHaveLength(1);
      expect(refused.stderr).toMatch(/has no .*no-sidecar\.run\.json and its records were made with other settings/);
      expect(readFileSync(out, "utf8")).toBe(before);
      expect(existsSync(join(dir, "no-sidecar.run.json"))).toBe(false);
    }
    const resumed = await start(out, 3).done;
    expect(resumed.code).toBe(0);
    expect(ids(out)).toEqual(["es-1-00000", "es-1-00001", "es-1-00002"]);
  });

  it("Ctrl-C while the engine starts stops the run (exit 130) and never builds llama.cpp from source", async () => {
    const out = join(dir, "ctrl-c.jsonl");
    const run = start(out, 1);
    const pid = run.child.pid!;
    // node-llama-cpp tests its prebuilt binary in a child process: Ctrl-C reaches the whole group, that child too
    await waitFor("the binding test child", () =>
      processTable().some((p) => p.ppid === pid && /testBindingBinary/.test(p.command)),
    );
    process.kill(-pid, "SIGINT");
    const result = await run.done;
    expect(result.code).toBe(130);
    expect(result.stderr).toMatch(/interrupted while the engine was starting: nothing was written/);
    expect(existsSync(out)).toBe(false);
    expect(groupMembers(pid)).toEqual([]);
    expect(existsSync(join(llamaDir, "llama.cpp"))).toBe(false);
    expect(existsSync(join(llamaDir, "localBuilds"))).toBe(false);
  });

  it("a huge --n is refused at once with a clear line, not planned for minutes", async () => {
    for (const n of ["100000000", "100000000000000000000"]) {
      const result = await startScript("scripts/graph.ts", ["--lang", "es", "--n", n], env).done;
      expect(result.code).toBe(2);
      expect(result.stderr.trim()).toMatch(/^polyglot-personachat: --n must be at most 100000 dialogues per language/);
      expect(result.stderr.trim().split("\n")).toHaveLength(1);
    }
  });

  it("a bad model file is refused in one line before any file is written; bad --out paths too", async () => {
    const empty = join(dir, "empty.gguf");
    writeFileSync(empty, "");
    const text = join(dir, "text.gguf");
    writeFileSync(text, "this is not a model\n".repeat(10));
    const truncated = join(dir, "truncated.gguf");
    writeFileSync(truncated, readFileSync(tinyModel).subarray(0, 4096));
    for (const [model, message] of [
      [empty, /empty\.gguf is not a GGUF model: 0 bytes/],
      [text, /text\.gguf is not a GGUF model \(it does not start with the GGUF magic\)/],
      [truncated, /truncated\.gguf is not a usable GGUF model/],
    ] as const) {
      const out = join(dir, "bad-model", "out.jsonl");
      const result = await startScript(
        "scripts/graph.ts",
        ["--lang", "es", "--model", model, "--threads", "1", "--out", out],
        env,
      ).done;
      expect(result.code).toBe(2);
      expect(result.stderr.trim().split("\n")).toHaveLength(1);
      expect(result.stderr).toMatch(message);
      expect(existsSync(join(dir, "bad-model"))).toBe(false);
    }
    const file = join(dir, "a-file");
    writeFileSync(file, "x");
    mkdirSync(join(dir, "a-folder.jsonl"));
    for (const [out, message] of [
      [join(file, "out.jsonl"), /a-file is a file, not a folder/],
      [join(dir, "a-folder.jsonl"), /a-folder\.jsonl is a folder, not a file/],
    ] as const) {
      const result = await startScript("scripts/graph.ts", ["--lang", "es", "--model", tinyModel, "--out", out], env)
        .done;
      expect(result.code).toBe(2);
      expect(result.stderr.trim().split("\n")).toHaveLength(1);
      expect(result.stderr).toMatch(message);
    }
  });

  it('a run killed with -9 does not stay "running": the next session marks it killed and takes over its lock', async () => {
    const out = copyOfBase("killed");
    const run = start(out, 4);
    await waitFor("a third record", () => completeLines(out).length >= 3);
    process.kill(-run.child.pid!, "SIGKILL");
    await run.done;
    expect(existsSync(`${out}.lock`)).toBe(true);
    const resumed = await start(out, 4).done;
    expect(resumed.code).toBe(0);
    expect(resumed.stderr).toMatch(/took over the lock of a run that was killed/);
    const sessions = JSON.parse(readFileSync(out.replace(/\.jsonl$/, ".run.json"), "utf8")).sessions;
    expect(sessions.map((s: { status: string }) => s.status).slice(-2)).toEqual(["killed", "completed"]);
    expect(sessions.at(-2).pid).toBe(run.child.pid);
    expect(ids(out)).toEqual(["es-1-00000", "es-1-00001", "es-1-00002", "es-1-00003"]);
  });
});
