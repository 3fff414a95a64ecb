import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { dropTrailingResumeRecord } from "./pull.js";

const dir = mkdtempSync(join(tmpdir(), "pull-unit-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const model = Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 31) % 256));
function fileWith(name: string, tail: Buffer | string) {
  const path = join(dir, name);
  writeFileSync(path, Buffer.concat([model, Buffer.from(tail)]));
  return path;
}

describe("dropTrailingResumeRecord", () => {
  it("cuts ipull's resume record left past the published size", () => {
    // what ipull 3.9.5 writes after the file's last byte (seen on a loaded CI machine)
    const path = fileWith(
      "late-record.gguf",
      JSON.stringify({ part: 0, chunks: [2, 2, 2], chunkSize: 65536, parallelStreams: 3 }),
    );
    expect(dropTrailingResumeRecord(path, model.length)).toBe(true);
    expect(readFileSync(path).equals(model)).toBe(true);
  });

  it("leaves a file of the published size alone", () => {
    const path = fileWith("exact.gguf", "");
    expect(dropTrailingResumeRecord(path, model.length)).toBe(false);
    expect(readFileSync(path).equals(model)).toBe(true);
  });

  it("cuts nothing that is not a JSON record: other surplus, a short file, a JSON value that is not an object", () => {
    const bytes = fileWith("bytes.gguf", Buffer.from([1, 2, 3, 4]));
    expect(dropTrailingResumeRecord(bytes, model.length)).toBe(false);
    expect(readFileSync(bytes)).toHaveLength(model.length + 4);
    const short = fileWith("short.gguf", "");
    expect(dropTrailingResumeRecord(short, model.length + 10)).toBe(false);
    expect(readFileSync(short)).toHaveLength(model.length);
    const array = fileWith("array.gguf", "[1,2]");
    expect(dropTrailingResumeRecord(array, model.length)).toBe(false);
    expect(readFileSync(array)).toHaveLength(model.length + 5);
  });
});
