import { spawnSync } from "node:child_process";
import { appendFileSync, existsSync, lstatSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { makeRecord } from "../../testing/records.js";
import { checkedRecord, parseDialogueRecord } from "../../lib/records/schema.js";
import { planJobs } from "./generate.js";
import { RecordFile, RecordFileError } from "./record-file.js";

/** A small valid (rejected) record. */
const record = (id: string) => makeRecord(id, "es", [], "rejected");

/** The line with one byte of its common ground replaced by 0xff (not UTF-8). */
function withBadByte(line: Buffer): Buffer {
  const copy = Buffer.from(line);
  const at = copy.indexOf('"common_ground":"') + '"common_ground":"'.length;
  copy[at] = 0xff;
  return copy;
}

const tempFile = () => join(mkdtempSync(join(tmpdir(), "records-")), "out.jsonl");

describe("RecordFile", () => {
  it("appends whole lines and knows which ids are done when reopened", () => {
    const path = tempFile();
    const first = RecordFile.open(path).file;
    first.append(record("es-1-00000"));
    first.append(record("es-1-00001"));
    first.append(record("es-1-00001"));
    first.close();
    const lines = readFileSync(path, "utf8").split("\n");
    expect(lines).toHaveLength(3);
    expect(lines[2]).toBe("");
    const reopened = RecordFile.open(path);
    expect([...reopened.file.done]).toEqual(["es-1-00000", "es-1-00001"]);
    expect(reopened.repaired).toBe(false);
    reopened.file.close();
  });

  it("cuts off a torn last line left by a crash", () => {
    const path = tempFile();
    const file = RecordFile.open(path).file;
    file.append(record("es-1-00000"));
    file.close();
    appendFileSync(path, JSON.stringify(record("es-1-00001")).slice(0, 50));
    const reopened = RecordFile.open(path);
    expect(reopened.repaired).toBe(true);
    expect([...reopened.file.done]).toEqual(["es-1-00000"]);
    reopened.file.append(record("es-1-00001"));
    reopened.file.close();
    expect(
      readFileSync(path, "utf8")
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l).id),
    ).toEqual(["es-1-00000", "es-1-00001"]);
  });

  it("refuses to append to a file that is not ours, naming the line", () => {
    const path = tempFile();
    writeFileSync(path, `${JSON.stringify(record("es-1-00000"))}\n{"hello": "world"}\n`);
    expect(() => RecordFile.open(path)).toThrow(RecordFileError);
    expect(() => RecordFile.open(path)).toThrow(/line 2 is not a dialogue record/);
  });

  it("never reads, repairs or appends through a symbolic link planted at the journal path", () => {
    const dir = mkdtempSync(join(tmpdir(), "records-"));
    // a file of the victim's that happens to look like a journal with a torn last line: following the link would
    // cut it and append to it
    const victim = join(dir, "victim.jsonl");
    const victimText = `${JSON.stringify(record("es-1-00000"))}\n{"id":"es-1-0`;
    writeFileSync(victim, victimText);
    const link = join(dir, "out.jsonl");
    symlinkSync(victim, link);
    expect(() => RecordFile.open(link)).toThrow(
      new RecordFileError(
        `${link} is a symbolic link: refusing to read or append to what it points to (pass that file's own path)`,
      ),
    );
    expect(readFileSync(victim, "utf8")).toBe(victimText);
    // a dangling link: following it would create the file it names
    const dangling = join(dir, "dangling.jsonl");
    const target = join(dir, "would-be-created");
    symlinkSync(target, dangling);
    expect(() => RecordFile.open(dangling)).toThrow(/is a symbolic link: refusing/);
    expect(existsSync(target)).toBe(false);
    expect(lstatSync(dangling).isSymbolicLink()).toBe(true);
  });

  it("refuses a folder or a pipe as the journal in one line, without blocking on the pipe", () => {
    const dir = mkdtempSync(join(tmpdir(), "records-"));
    expect(() => RecordFile.open(dir)).toThrow(new RecordFileError(`${dir} is a folder, not an output file`));
    const fifo = join(dir, "out.jsonl");
    if (spawnSync("mkfifo", [fifo]).status !== 0) return; // no mkfifo here: the folder case still ran
    expect(() => RecordFile.open(fifo)).toThrow(/is not a regular file \(a pipe or a device\?\): refusing/);
  });

  it("keeps a whole last record that only lacks its newline, and appends after it on a line of its own", () => {
    const path = tempFile();
    writeFileSync(path, `${JSON.stringify(record("es-1-00000"))}\n${JSON.stringify(record("es-1-00001"))}`);
    const reopened = RecordFile.open(path);
    expect(reopened.repaired).toBe(false);
    expect(reopened.notes.join("\n")).toMatch(/added the newline missing after its last record/);
    expect([...reopened.file.done]).toEqual(["es-1-00000", "es-1-00001"]);
    reopened.file.append(record("es-1-00002"));
    reopened.file.close();
    expect(
      readFileSync(path, "utf8")
        .split("\n")
        .filter(Boolean)
        .map((l) => JSON.parse(l).id),
    ).toEqual(["es-1-00000", "es-1-00001", "es-1-00002"]);
  });

  it("never truncates nor appends to a one-line file that is not ours", () => {
    for (const text of ["my notes", "my notes\n", "[1,2,3]"]) {
      const path = tempFile();
      writeFileSync(path, text);
      expect(() => RecordFile.open(path)).toThrow(/line 1 is not (JSON|a dialogue record)/);
      expect(readFileSync(path, "utf8")).toBe(text);
    }
  });

  it("cuts a torn tail on bytes: an invalid UTF-8 byte earlier does not shift the cut", () => {
    const path = tempFile();
    const line = Buffer.from(`${JSON.stringify({ ...record("es-1-00000"), common_ground: "abc" })}\n`);
    // a bad byte inside the first record's text (a disk error): 0xff decodes to U+FFFD, 3 bytes, not 1
    writeFileSync(
      path,
      Buffer.concat([withBadByte(line), Buffer.from(JSON.stringify(record("es-1-00001")).slice(0, 40))]),
    );
    const reopened = RecordFile.open(path);
    expect(reopened.repaired).toBe(true);
    expect(reopened.notes.join("\n")).toMatch(/not UTF-8/);
    reopened.file.append(record("es-1-00001"));
    reopened.file.close();
    const bytes = readFileSync(path);
    expect(bytes.subarray(0, line.length).equals(withBadByte(line))).toBe(true);
    expect(JSON.parse(bytes.subarray(line.length).toString("utf8")).id).toBe("es-1-00001");
  });

  it("refuses a journal holding an id twice, and leaves it as it is", () => {
    const path = tempFile();
    const text = [record("es-1-00000"), record("es-1-00001"), record("es-1-00000")]
      .map((r) => `${JSON.stringify(r)}\n`)
      .join("");
    writeFileSync(path, text);
    expect(() => RecordFile.open(path)).toThrow(/holds dialogue es-1-00000 twice \(records 1 and 3\)/);
    expect(readFileSync(path, "utf8")).toBe(text);
  });

  it("parses a record built by parseDialogueRecord once (where it was built), and any other object on append", async () => {
    const path = tempFile();
    const file = RecordFile.open(path).file;
    const built = parseDialogueRecord(record("x"));
    const plain = record("y");
    // the built record is passed through as it is; another object is parsed (zod returns a copy)
    expect(checkedRecord(built)).toEqual({ success: true, data: built });
    expect((checkedRecord(built) as { data: unknown }).data).toBe(built);
    expect((checkedRecord(plain) as { data: unknown }).data).not.toBe(plain);
    await file.appendAsync(built);
    // a copy changed after the check is a new object: parsed, and refused
    await expect(file.appendAsync({ ...built, id: "z", status: "accepted" })).rejects.toThrow(
      /refusing to write an invalid record z/,
    );
    await file.closeAsync();
    expect(
      readFileSync(path, "utf8")
        .trim()
        .split("\n")
        .map((line) => JSON.parse(line) as unknown),
    ).toEqual([built]);
  });

  it("refuses to write an invalid record", () => {
    const file = RecordFile.open(tempFile()).file;
    expect(() => file.append({ ...record("x"), status: "accepted" })).toThrow(
      /accepted record has no rejection reasons/,
    );
    file.close();
  });
});

describe("planJobs", () => {
  it("gives every dialogue a reproducible id and persona pair", () => {
    const pool = [["a"], ["b"], ["c"], ["d"]];
    const jobs = planJobs({ languages: ["es", "fr"], n: 3, seed: 9, personas: pool });
    // interleaved across languages, so that a partial run covers every language (lib/plan.ts)
    expect(jobs.map((j) => j.id)).toEqual([
      "es-9-00000",
      "fr-9-00000",
      "es-9-00001",
      "fr-9-00001",
      "es-9-00002",
      "fr-9-00002",
    ]);
    expect(planJobs({ languages: ["es", "fr"], n: 3, seed: 9, personas: pool })).toEqual(jobs);
    for (const job of jobs) expect(job.sourcePersonas![0]).not.toEqual(job.sourcePersonas![1]);
  });
});
