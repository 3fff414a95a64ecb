import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { planPull, pullModel } from "../lib/models/pull.js";
import { type HubStandIn, sha256 as sha256Of, startHubStandIn } from "../testing/hf-stand-in.js";
import { writeTinyGguf } from "../lib/models/tiny-gguf.js";
import { freePort } from "../testing/ports.js";

// `npm run model:pull` with no network (as on this machine and CI) and against a local server that speaks the
// Hugging Face resolve URLs (HEAD with x-linked-etag / x-linked-size, GET with Range), never the real Hub.

const root = fileURLToPath(new URL("..", import.meta.url));
const tsx = join(root, "node_modules", ".bin", "tsx");
const dir = mkdtempSync(join(tmpdir(), "model-pull-"));

interface Result {
  code: number;
  ms: number;
  stdout: string;
  stderr: string;
}

function pull(args: string[], env: Record<string, string>): Promise<Result> {
  const t0 = Date.now();
  return new Promise((resolve) => {
    execFile(
      tsx,
      ["scripts/model-pull.ts", ...args],
      {
        cwd: root,
        env: { ...process.env, POLYGLOT_MODELS_DIR: join(dir, "cache"), CI: "true", ...env },
        timeout: 90_000,
      },
      (error, stdout, stderr) =>
        resolve({ code: error ? ((error as { code?: number }).code ?? -1) : 0, ms: Date.now() - t0, stdout, stderr }),
    );
  });
}

function oneLine(result: Result, pattern: RegExp) {
  const lines = result.stderr.trim().split("\n");
  expect(lines, result.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(pattern);
}

let gguf: Buffer;
let sha256: string;
let hubStandIn: HubStandIn;
let hub: string;

beforeAll(async () => {
  const file = join(dir, "source.gguf");
  await writeTinyGguf(file, { seed: 3 });
  gguf = readFileSync(file);
  sha256 = sha256Of(gguf);
  hubStandIn = await startHubStandIn({
    "tiny/repo/tiny.gguf": { bytes: gguf },
    "tiny/repo/bad.gguf": { bytes: gguf, wrongSha256: true },
  });
  hub = hubStandIn.endpoint;
});

afterAll(async () => {
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- unset when beforeAll failed
  await hubStandIn?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("npm run model:pull", () => {
  it("offline: one line saying so, exit 1, nothing written", async () => {
    // a name that never resolves (RFC 6761), as huggingface.co does not here: the same DNS failure, without the risk of a 1 GB download
    const dns = await pull([], { HF_ENDPOINT: "https://huggingface.invalid/" });
    expect(dns.code).toBe(1);
    // the default model goes the way of a first run's download, and says what to do instead
    oneLine(
      dns,
      /^model:pull: cannot download the default model: https:\/\/huggingface\.invalid is unreachable \((ENOTFOUND|EAI_AGAIN)\); pass --model PATH\.gguf, set HF_ENDPOINT/,
    );
    const port = await freePort(); // nothing listens there
    const refused = await pull(["hf:tiny/repo/tiny.gguf", "--timeout", "5"], {
      HF_ENDPOINT: `http://127.0.0.1:${port}/`,
    });
    expect(refused.code).toBe(1);
    oneLine(refused, /^model:pull: offline: cannot reach http:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED\)/);
    // nothing left in the cache (its folder holds the download lock while the server is asked)
    expect(existsSync(join(dir, "cache")) ? readdirSync(join(dir, "cache")) : []).toEqual([]);
  });

  it("refuses a name it cannot read with exit 2", async () => {
    const result = await pull(["hf:user/repo"], {});
    expect(result.code).toBe(2);
    oneLine(result, /names a repository, not a file/);
  });

  it("downloads into the cache, checks the SHA-256, and skips a file already there", async () => {
    const first = await pull(["hf:tiny/repo/tiny.gguf"], { HF_ENDPOINT: hub });
    expect(first.code, first.stderr).toBe(0);
    const path = first.stdout.trim();
    expect(path.startsWith(join(dir, "cache"))).toBe(true);
    expect(createHash("sha256").update(readFileSync(path)).digest("hex")).toBe(sha256);
    expect(first.stderr).toMatch(/done, sha256 verified/);
    const written = statSync(path).mtimeMs;
    const again = await pull(["hf:tiny/repo/tiny.gguf"], { HF_ENDPOINT: hub });
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout.trim()).toBe(path);
    expect(again.stderr).toMatch(/already there, sha256 verified/);
    // skipped, not written again
    expect(statSync(path).mtimeMs).toBe(written);
  });

  it("removes a file whose checksum does not match, with one line and exit 1", async () => {
    const result = await pull(["hf:tiny/repo/bad.gguf"], { HF_ENDPOINT: hub });
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split("\n").at(-1)).toMatch(
      /^model:pull: checksum mismatch for .*bad\.gguf: expected sha256 0{64}, got [0-9a-f]{64}; the file was removed/,
    );
    expect(existsSync(join(dir, "cache", "bad.gguf"))).toBe(false);
  });
});

// The CI failure this guards against: ipull (node-llama-cpp's downloader) writes its resume record past the file's
// end and cuts it off when the download ends, without waiting for that write; on a loaded machine the write landed
// after the cut, and the download failed its checksum. Here the same order is forced: ipull's own writer, with its
// record write held back until its truncate is done (and its close waiting for that write, as a file handle does).
describe("pullModel when ipull's last resume record lands after its truncate", () => {
  interface Writer {
    _fileWriteFinished: boolean;
    saveMedataAfterFile(data: unknown): Promise<void>;
    ftruncate(size?: number): Promise<void>;
  }
  let proto: Writer;
  let original: Pick<Writer, "saveMedataAfterFile" | "ftruncate">;
  afterEach(() => Object.assign(proto, original));

  it("cuts the record off, and the file passes its checksum", async () => {
    const writerModule = new URL(
      "./download/download-engine/streams/download-engine-write-stream/download-engine-write-stream-nodejs.js",
      import.meta.resolve("ipull"),
    );
    proto = ((await import(writerModule.href)) as { default: { prototype: Writer } }).default.prototype;
    // kept to be put back on the prototype, where they are called with their `this`
    // eslint-disable-next-line @typescript-eslint/unbound-method
    original = { saveMedataAfterFile: proto.saveMedataAfterFile, ftruncate: proto.ftruncate };
    let truncated!: () => void;
    const afterTruncate = new Promise<void>((resolve) => (truncated = resolve));
    let lateRecord: Promise<void> = Promise.resolve();
    let lateRecords = 0;
    proto.saveMedataAfterFile = function (this: Writer, data: unknown) {
      if (this._fileWriteFinished) return original.saveMedataAfterFile.call(this, data);
      lateRecord = afterTruncate.then(async () => {
        this._fileWriteFinished = false;
        await original.saveMedataAfterFile.call(this, data);
        this._fileWriteFinished = true;
        lateRecords++;
      });
      return lateRecord;
    };
    proto.ftruncate = async function (this: Writer, size?: number) {
      await original.ftruncate.call(this, size);
      truncated();
      await lateRecord;
    };

    const plan = planPull("hf:tiny/repo/tiny.gguf", { HF_ENDPOINT: hub, POLYGLOT_MODELS_DIR: join(dir, "race") });
    const result = await pullModel(plan);
    expect(lateRecords).toBeGreaterThan(0);
    expect(result.verified).toBe("sha256");
    expect(readFileSync(result.path).equals(gguf)).toBe(true);
  });
});
