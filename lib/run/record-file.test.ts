import { appendFileSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { makeRecord } from "./fixtures.js";
import { planJobs } from "./generate.js";
import { RecordFile, RecordFileError } from "./record-file.js";

/** A small valid (rejected) record. */
const record = (id: string) => makeRecord(id, "es", [], "rejected");

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
    expect(readFileSync(path, "utf8").trim().split("\n").map((l) => JSON.parse(l).id)).toEqual(["es-1-00000", "es-1-00001"]);
  });

  it("refuses to append to a file that is not ours, naming the line", () => {
    const path = tempFile();
    writeFileSync(path, `${JSON.stringify(record("es-1-00000"))}\n{"hello": "world"}\n`);
    expect(() => RecordFile.open(path)).toThrow(RecordFileError);
    expect(() => RecordFile.open(path)).toThrow(/line 2 is not a dialogue record/);
  });

  it("refuses to write an invalid record", () => {
    const file = RecordFile.open(tempFile()).file;
    expect(() => file.append({ ...record("x"), status: "accepted" })).toThrow(/accepted record has no rejection reasons/);
    file.close();
  });
});

describe("planJobs", () => {
  it("gives every dialogue a reproducible id and persona pair", () => {
    const pool = [["a"], ["b"], ["c"], ["d"]];
    const jobs = planJobs({ languages: ["es", "fr"], n: 3, seed: 9, personas: pool });
    // interleaved across languages, so that a partial run covers every language (lib/run/plan.ts)
    expect(jobs.map((j) => j.id)).toEqual(["es-9-00000", "fr-9-00000", "es-9-00001", "fr-9-00001", "es-9-00002", "fr-9-00002"]);
    expect(planJobs({ languages: ["es", "fr"], n: 3, seed: 9, personas: pool })).toEqual(jobs);
    for (const job of jobs) expect(job.sourcePersonas![0]).not.toEqual(job.sourcePersonas![1]);
  });
});
