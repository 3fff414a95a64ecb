import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_MODEL } from "../lib/models/default-model.js";
import { type HubStandIn, sha256, startHubStandIn } from "../testing/hf-stand-in.js";
import { writeTinyGguf } from "../lib/models/tiny-gguf.js";
import { freePort } from "../testing/ports.js";
import { completeLines, type ScriptResult, startScript } from "../testing/processes.js";

// `npm run graph` on a fresh machine: no --model, an empty model cache (POLYGLOT_MODELS_DIR in a temp dir), and a
// local Hugging Face stand-in (HF_ENDPOINT) serving the tiny random-weight GGUF under the default model's path.
// The real CLI downloads it with node-llama-cpp's downloader and the real llama.cpp engine writes the dialogue.

const dir = mkdtempSync(join(tmpdir(), "first-run-"));
const [repoUser, repoName] = DEFAULT_MODEL.uri.replace(/^hf:/, "").split("/") as [string, string];
const hubPath = `${repoUser}/${repoName}/${DEFAULT_MODEL.file}`;
let gguf: Buffer;
let hub: HubStandIn;

const ARGS = ["--lang", "es", "--turns", "2-2", "--threads", "1", "--seed", "1"];

function graph(cache: string, out: string, env: NodeJS.ProcessEnv = {}, extra: string[] = []) {
  return startScript("scripts/graph.ts", [...ARGS, "--out", out, ...extra], {
    POLYGLOT_MODELS_DIR: cache,
    HF_ENDPOINT: hub.endpoint,
    POLYGLOT_NO_DOWNLOAD: "",
    CI: "true",
    ...env,
  });
}

/** `npm run model:pull` (the default model) into the same cache, against the same stand-in. */
function modelPull(cache: string) {
  return startScript("scripts/model-pull.ts", [], {
    POLYGLOT_MODELS_DIR: cache,
    HF_ENDPOINT: hub.endpoint,
    CI: "true",
  });
}

const cacheDir = (name: string) => join(dir, name, "cache");
const modelIn = (cache: string) => join(cache, DEFAULT_MODEL.file);
const esc = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
const fileRe = esc(DEFAULT_MODEL.file);
const downloadLine = new RegExp(
  `^polyglot-personachat: downloading the default model ${esc(DEFAULT_MODEL.name)} \\(11\\.\\d MB\\) from http://127\\.0\\.0\\.1:\\d+/${esc(hubPath.replace(`/${DEFAULT_MODEL.file}`, ""))}/resolve/main/${fileRe} into .*cache`,
  "m",
);

/** A journal of the first run's finished dialogue, so a later run only has the download to do (the job is done). */
function journalFrom(first: string, name: string): string {
  const out = join(dir, `${name}.jsonl`);
  copyFileSync(first, out);
  copyFileSync(first.replace(/\.jsonl$/, ".run.json"), out.replace(/\.jsonl$/, ".run.json"));
  return out;
}

function expectNoModel(cache: string) {
  expect(existsSync(modelIn(cache))).toBe(false);
}

/**
 * The file came over the wire once: one ranged GET of its first chunk (a second download would ask for it again),
 * and about its size in all (the server counts what it wrote to the socket, a little more than ipull read).
 */
function expectOneDownload() {
  expect(hub.gets.filter((get) => get.ranged && get.start === 0)).toHaveLength(1);
  expect(hub.downloadedBytes()).toBeGreaterThanOrEqual(gguf.length);
  expect(hub.downloadedBytes()).toBeLessThan(1.5 * gguf.length);
}

function stderrLines(result: ScriptResult): string[] {
  return result.stderr.trim().split("\n").filter(Boolean);
}

beforeAll(async () => {
  const file = join(dir, "tiny.gguf");
  await writeTinyGguf(file);
  // padded past two of ipull's 5 MB chunks (llama.cpp ignores bytes after the tensor data), so that an interrupted
  // download has a finished chunk on disk to resume from: the short last chunk completes long before the others
  gguf = Buffer.concat([readFileSync(file), Buffer.alloc(10 * 1024 * 1024 + 512 * 1024)]);
  hub = await startHubStandIn({ [hubPath]: { bytes: gguf } });
});

afterAll(async () => {
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- unset when beforeAll failed
  await hub?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("npm run graph on a fresh machine (no --model, empty cache, Hugging Face stand-in)", () => {
  let firstOut = "";

  it("the first run downloads the default model, says what, how big and where, and writes the dialogue; a second run downloads nothing", async () => {
    const cache = cacheDir("first");
    firstOut = join(dir, "first.jsonl");
    hub.reset();
    const first = await graph(cache, firstOut).done;
    expect(first.code, first.stderr).toBe(0);
    expect(first.stderr).toMatch(downloadLine);
    expect(first.stderr).toMatch(new RegExp(`default model ready: .*${fileRe} \\(SHA-256 verified\\)`));
    // plain progress off a terminal: nothing redrawn in place
    expect(first.stderr).not.toContain("\r");
    expect(sha256(readFileSync(modelIn(cache)))).toBe(sha256(gguf));
    expectOneDownload();
    // nothing left of the download but the model
    expect(readdirSync(cache).filter((name) => !name.endsWith(".lock"))).toEqual([DEFAULT_MODEL.file]);
    const records = completeLines(firstOut).map(
      (line) => JSON.parse(line) as { status: string; provenance: { model: string } },
    );
    expect(records).toHaveLength(1);
    expect(["accepted", "rejected"]).toContain(records[0]!.status);
    expect(records[0]!.provenance.model).toBe(DEFAULT_MODEL.file);

    hub.reset();
    const second = await graph(cache, firstOut).done;
    expect(second.code, second.stderr).toBe(0);
    expect(second.stderr).not.toMatch(/downloading/);
    expect(hub.gets).toHaveLength(0);
  });

  it("two first runs at once download the file once: the other waits for it, then uses it", async () => {
    const cache = cacheDir("twice");
    hub.reset();
    hub.throttle.delayMs = 40;
    try {
      const [a, b] = await Promise.all([
        graph(cache, journalFrom(firstOut, "twice-a")).done,
        graph(cache, journalFrom(firstOut, "twice-b")).done,
      ]);
      expect(a.code, a.stderr).toBe(0);
      expect(b.code, b.stderr).toBe(0);
      expectOneDownload();
      const waited = [a, b].filter((r) =>
        /another process is downloading the default model into .*; waiting for it/.test(r.stderr),
      );
      expect(waited).toHaveLength(1);
      expect(waited[0]!.stderr).toMatch(new RegExp(`the other process finished: using .*${fileRe}`));
      expect(sha256(readFileSync(modelIn(cache)))).toBe(sha256(gguf));
    } finally {
      hub.throttle.delayMs = 0;
    }
  });

  it("npm run model:pull takes the same lock: with a first run, or another pull, at once the file is downloaded once", async () => {
    const cache = cacheDir("pull-and-run");
    hub.reset();
    hub.throttle.delayMs = 40;
    try {
      const [run, pull] = await Promise.all([
        graph(cache, journalFrom(firstOut, "pull-and-run")).done,
        modelPull(cache).done,
      ]);
      expect(run.code, run.stderr).toBe(0);
      expect(pull.code, pull.stderr).toBe(0);
      expectOneDownload();
      expect(
        [run, pull].filter((r) =>
          /another process is downloading the default model into .*; waiting for it/.test(r.stderr),
        ),
      ).toHaveLength(1);
      expect(pull.stdout.trim()).toBe(modelIn(cache));
      expect(sha256(readFileSync(modelIn(cache)))).toBe(sha256(gguf));

      // two pulls at once into an empty cache: one download, the other waits and says where the file is
      const twice = cacheDir("pull-twice");
      hub.reset();
      const pulls = await Promise.all([modelPull(twice).done, modelPull(twice).done]);
      for (const p of pulls) {
        expect(p.code, p.stderr).toBe(0);
        expect(p.stdout.trim()).toBe(modelIn(twice));
      }
      expectOneDownload();
      expect(pulls.filter((p) => /waiting for it/.test(p.stderr))).toHaveLength(1);
      expect(sha256(readFileSync(modelIn(twice)))).toBe(sha256(gguf));
      expect(readdirSync(twice).filter((name) => !name.endsWith(".lock"))).toEqual([DEFAULT_MODEL.file]);

      // a pull once the file is there: verified again, not downloaded
      hub.reset();
      const again = await modelPull(twice).done;
      expect(again.code, again.stderr).toBe(0);
      expect(again.stderr).toMatch(/already there, sha256 verified/);
      expect(hub.downloadedBytes()).toBe(0);
    } finally {
      hub.throttle.delayMs = 0;
    }
  });

  it("Ctrl-C during the download exits 130 and keeps the partial file; the next run resumes it with range requests", async () => {
    const cache = cacheDir("interrupted");
    const out = journalFrom(firstOut, "interrupted");
    hub.reset();
    hub.throttle.delayMs = 50;
    hub.throttle.chunkBytes = 64 * 1024;
    const run = graph(cache, out);
    const partial = join(cache, ".partial", `${DEFAULT_MODEL.file}.ipull`);
    try {
      // the first finished chunk is on disk: stop there
      const deadline = Date.now() + 120_000;
      while (!existsSync(partial) && run.child.exitCode === null && Date.now() < deadline)
        await new Promise((resolve) => setTimeout(resolve, 20));
      expect(existsSync(partial), run.output()).toBe(true);
      expect(hub.downloadedBytes()).toBeLessThan(gguf.length);
      process.kill(run.child.pid!, "SIGINT");
      const stopped = await run.done;
      expect(stopped.code, stopped.stderr).toBe(130);
      expect(stderrLines(stopped).at(-1)).toMatch(
        /^polyglot-personachat: download interrupted; the next run resumes it \(.* kept in .*\.partial\)$/,
      );
      expectNoModel(cache);
      expect(readdirSync(join(cache, ".partial"))).toContain(`${DEFAULT_MODEL.file}.ipull`);
    } finally {
      hub.throttle.delayMs = 0;
      hub.throttle.chunkBytes = 16 * 1024;
    }
    hub.reset();
    const resumed = await graph(cache, out).done;
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stderr).toMatch(/downloading the default model .* resuming with \d+\.\d MB already there/);
    // only what was missing came over the wire, and it was asked for by range
    expect(hub.downloadedBytes()).toBeLessThan(gguf.length);
    expect(hub.gets.some((get) => get.ranged && get.start > 0)).toBe(true);
    expect(sha256(readFileSync(modelIn(cache)))).toBe(sha256(gguf));
  });

  it("a checksum mismatch: the file is not used, one line says so, and the next run starts over", async () => {
    const cache = cacheDir("corrupt");
    const out = journalFrom(firstOut, "corrupt");
    hub.files.set(hubPath, { bytes: gguf, wrongSha256: true });
    try {
      const bad = await graph(cache, out).done;
      expect(bad.code, bad.stderr).toBe(1);
      expect(stderrLines(bad).at(-1)).toMatch(
        /^polyglot-personachat: cannot download the default model: checksum mismatch for .*: expected sha256 0{64}, got [0-9a-f]{64}; the file was removed/,
      );
      expectNoModel(cache);
      expect(readdirSync(join(cache, ".partial"))).toEqual([]);
    } finally {
      hub.files.set(hubPath, { bytes: gguf });
    }
    hub.reset();
    const again = await graph(cache, out).done;
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).not.toMatch(/resuming with/);
    expectOneDownload();
  });

  it("not enough free disk: refused before the download starts, one line with the size needed and the directory", async () => {
    const cache = cacheDir("full");
    hub.reset();
    // a file bigger than any disk here (1 PB): what statfs reports free is less
    hub.files.set(hubPath, { bytes: gguf, publishedSize: 1e15 });
    try {
      const full = await graph(cache, join(dir, "full.jsonl")).done;
      expect(full.code).toBe(1);
      expect(stderrLines(full), full.stderr).toEqual([
        expect.stringMatching(
          /^polyglot-personachat: not enough free disk for the default model: it needs 1000000\.\d\d GB in .*full\/cache, [\d.]+ [GM]B free; /,
        ),
      ]);
    } finally {
      hub.files.set(hubPath, { bytes: gguf });
    }
    expect(hub.gets).toHaveLength(0);
    expectNoModel(cache);
  });

  it("offline: one line saying so and what to do, exit 1, nothing left that a run would trust", async () => {
    const cache = cacheDir("offline");
    const port = await freePort(); // nothing listens there
    const offline = await graph(cache, join(dir, "offline.jsonl"), { HF_ENDPOINT: `http://127.0.0.1:${port}/` }).done;
    expect(offline.code).toBe(1);
    expect(stderrLines(offline), offline.stderr).toEqual([
      expect.stringMatching(
        /^polyglot-personachat: cannot download the default model: http:\/\/127\.0\.0\.1:\d+ is unreachable \(ECONNREFUSED\); pass --model PATH\.gguf, set HF_ENDPOINT to a mirror, or use a server \(--provider openai\|anthropic\|ollama\)$/,
      ),
    ]);
    expectNoModel(cache);
    expect(existsSync(join(dir, "offline.jsonl"))).toBe(false);
  });

  it("--no-download and POLYGLOT_NO_DOWNLOAD=1 keep the one-line error (exit 2) and touch nothing", async () => {
    const cache = cacheDir("off");
    hub.reset();
    for (const result of [
      await graph(cache, join(dir, "off.jsonl"), {}, ["--no-download"]).done,
      await graph(cache, join(dir, "off.jsonl"), { POLYGLOT_NO_DOWNLOAD: "1" }).done,
    ]) {
      expect(result.code).toBe(2);
      expect(stderrLines(result), result.stderr).toEqual([
        expect.stringMatching(
          /^polyglot-personachat: default model not found at .*; download it once with: npm run model:pull/,
        ),
      ]);
    }
    expect(existsSync(cache)).toBe(false);
    expect(hub.gets).toHaveLength(0);
  });
});
