import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { JournalLockedError, lockJournal, lockPath, processAlive, readHolder } from "./journal-lock.js";

const tempJournal = () => join(mkdtempSync(join(tmpdir(), "journal-lock-")), "out.jsonl");

/** The pid of a process that has ended (a real one, just run). */
function deadPid(): number {
  const child = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], { encoding: "utf8" });
  const pid = Number(child.stdout);
  expect(processAlive(pid)).toBe(false);
  return pid;
}

describe("one writer per journal", () => {
  it("a second lock is refused naming the holder; free again once released", async () => {
    const journal = tempJournal();
    const lock = await lockJournal(journal, {});
    expect(readHolder(journal)).toMatchObject({ pid: process.pid, host: hostname() });
    await expect(lockJournal(journal, {})).rejects.toThrow(JournalLockedError);
    await expect(lockJournal(journal, {})).rejects.toThrow(
      new RegExp(`out\\.jsonl is being written by another run \\(pid ${process.pid}, started `),
    );
    await lock.release();
    expect(existsSync(lockPath(journal))).toBe(false);
    const again = await lockJournal(journal, {});
    expect(again.tookOver).toBe(false);
    await again.release();
  });

  it("keeps the lock fresh while held (its holder.json does not count as a change of hands)", async () => {
    const journal = tempJournal();
    const compromised: Error[] = [];
    const lock = await lockJournal(journal, {
      staleMs: 2000,
      updateMs: 1000,
      onCompromised: (error) => compromised.push(error),
    });
    await new Promise((resolve) => setTimeout(resolve, 3500));
    expect(compromised).toEqual([]);
    await lock.release();
    expect(existsSync(lockPath(journal))).toBe(false);
  });

  it("waits for the holder when asked, telling so once", async () => {
    const journal = tempJournal();
    const lock = await lockJournal(journal, {});
    const told: string[] = [];
    const waiting = lockJournal(journal, { wait: true, onWait: (m) => told.push(m) });
    await new Promise((resolve) => setTimeout(resolve, 2500));
    expect(told).toHaveLength(1);
    expect(told[0]).toMatch(/waiting for it to finish/);
    await lock.release();
    const second = await waiting;
    expect(readHolder(journal)?.pid).toBe(process.pid);
    await second.release();
  });

  it("takes over at once the lock of a dead process on this host; not one of a live or unknown holder", async () => {
    const journal = tempJournal();
    mkdirSync(lockPath(journal));
    // no holder.json yet (a holder between its mkdir and its write): held
    await expect(lockJournal(journal, {})).rejects.toThrow(/a process that has just taken it/);
    writeFileSync(
      join(lockPath(journal), "holder.json"),
      JSON.stringify({ pid: 1, host: hostname(), started_at: "then" }),
    );
    await expect(lockJournal(journal, {})).rejects.toThrow(/pid 1, started then/); // pid 1 lives
    writeFileSync(
      join(lockPath(journal), "holder.json"),
      JSON.stringify({ pid: deadPid(), host: hostname(), started_at: "then" }),
    );
    const lock = await lockJournal(journal, {});
    expect(lock.tookOver).toBe(true);
    expect(readHolder(journal)?.pid).toBe(process.pid);
    await lock.release();
  });
});
