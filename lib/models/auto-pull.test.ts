import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { afterAll, describe, expect, it } from "vitest";
import { DownloadProgress, downloadsDisabled, ensureDefaultModel, freeBytes } from "./auto-pull.js";
import { ModelConfigError } from "./errors.js";

const dir = mkdtempSync(join(tmpdir(), "auto-pull-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function capture() {
  const stream = new PassThrough();
  let text = "";
  stream.on("data", (chunk: Buffer) => (text += chunk.toString()));
  return { stream, text: () => text };
}

describe("DownloadProgress", () => {
  it("off a terminal: a plain line at most every 5 s, never a carriage return", () => {
    let now = 0;
    const out = capture();
    const progress = new DownloadProgress(out.stream, false, "x: ", 5000, () => now);
    const total = 1_000_000_000;
    for (let t = 0; t <= 20_000; t += 250) {
      now = t;
      progress.update({ downloadedSize: (t / 20_000) * total, totalSize: total });
    }
    progress.end();
    const lines = out.text().trim().split("\n");
    expect(lines).toHaveLength(4); // at 5, 10, 15 and 20 s
    expect(lines[0]).toBe("x: downloading: 25% (250.0 MB / 1.00 GB · 50.0 MB/s · 15 s left)");
    expect(lines[3]).toMatch(/^x: downloading: 100% \(1\.00 GB \/ 1\.00 GB · 50\.0 MB\/s · 0 s left\)$/);
    expect(out.text()).not.toContain("\r");
  });

  it("on a terminal: one bar redrawn in place, cleared at the end; a resumed download's rate counts only this session", () => {
    let now = 0;
    const out = capture();
    const progress = new DownloadProgress(out.stream, true, "", 5000, () => now, 500_000_000);
    now = 1000;
    progress.update({ downloadedSize: 600_000_000, totalSize: 1_000_000_000 });
    now = 1100; // too soon for another redraw
    progress.update({ downloadedSize: 610_000_000, totalSize: 1_000_000_000 });
    progress.end();
    const frames = out.text().split("\r\x1b[2K").filter(Boolean);
    expect(frames).toEqual([`${"█".repeat(14)}${"░".repeat(10)}  60%  600.0 MB / 1.00 GB · 100.0 MB/s · 4 s left`]);
    expect(out.text().endsWith("\r\x1b[2K")).toBe(true);
  });
});

describe("ensureDefaultModel", () => {
  it("with downloads off (flag or POLYGLOT_NO_DOWNLOAD) gives the one-line 'not found' error and creates nothing", async () => {
    const cache = join(dir, "off");
    for (const options of [
      { noDownload: true, env: { POLYGLOT_MODELS_DIR: cache } },
      { env: { POLYGLOT_MODELS_DIR: cache, POLYGLOT_NO_DOWNLOAD: "1" } },
    ]) {
      const error = await ensureDefaultModel(options).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ModelConfigError);
      expect((error as Error).message).toMatch(
        /^default model not found at .*; download it once with: npm run model:pull/,
      );
    }
    expect(freeBytes(cache)).toBeGreaterThan(0); // the nearest existing parent's filesystem
  });

  it("reads POLYGLOT_NO_DOWNLOAD as a switch", () => {
    for (const on of ["1", "true", "YES", " on "]) expect(downloadsDisabled({ POLYGLOT_NO_DOWNLOAD: on })).toBe(true);
    for (const off of [undefined, "", "0", "false", "no"])
      expect(downloadsDisabled({ POLYGLOT_NO_DOWNLOAD: off })).toBe(false);
  });
});
