import { mkdtempSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ReviewStore, ReviewStoreError } from "./store.js";

const major = Number(process.versions.node.split(".")[0]);
const minor = Number(process.versions.node.split(".")[1]);
const hasSqlite = major > 22 || (major === 22 && minor >= 13);

describe.skipIf(!hasSqlite)("the review database is opened only as a regular file (real node:sqlite)", () => {
  it("opens a new database, then refuses a link planted at it or beside it, leaving the target untouched", async () => {
    const dir = mkdtempSync(join(tmpdir(), "review-store-"));
    const fresh = join(dir, "data.reviews.sqlite");
    await expect(ReviewStore.open(fresh)).resolves.toBeInstanceOf(ReviewStore);

    const target = join(dir, "elsewhere.txt");
    writeFileSync(target, "not yours\n");
    const linked = join(dir, "linked.reviews.sqlite");
    symlinkSync(target, linked);
    await expect(ReviewStore.open(linked)).rejects.toThrow(ReviewStoreError);
    await expect(ReviewStore.open(linked)).rejects.toThrow(/linked\.reviews\.sqlite is a symbolic link/);

    const walLinked = join(dir, "wal.reviews.sqlite");
    symlinkSync(target, `${walLinked}-wal`);
    await expect(ReviewStore.open(walLinked)).rejects.toThrow(/wal\.reviews\.sqlite-wal is a symbolic link/);
    expect(readFileSync(target, "utf8")).toBe("not yours\n");
  });
});
