/**
 * One writer per journal: `X.jsonl` is locked for the whole session with proper-lockfile (an `X.jsonl.lock`
 * directory made atomically with mkdir and touched every few seconds; one left by a process that stopped
 * touching it is stale after `STALE_MS` and taken over). The holder writes its pid, host and start time into
 * the lock (`X.jsonl.lock/holder.json`), so a second run is refused in one line naming it — or waits for it
 * with --wait. A lock whose holder is a dead process on this host (killed with -9) is taken over at once
 * instead of after the stale delay.
 */
import * as fs from "node:fs";
import { readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import lockfile from "proper-lockfile";
import { RecordFileError } from "./record-file.js";

/** A journal another run is writing: one line for the user, exit code 2. */
export class JournalLockedError extends RecordFileError {
  override name = "JournalLockedError";
}

/** Who holds a journal. */
export interface LockHolder {
  pid: number;
  host: string;
  started_at: string;
}

/**
 * A lock not touched for this long is stale (its holder is gone or hung). Long, because a holder whose event
 * loop stalls past it (a loaded machine) loses its lock; on this host a dead holder is taken over at once anyway.
 */
const STALE_MS = 120_000;
const UPDATE_MS = 10_000;

export const lockPath = (journal: string) => `${journal}.lock`;
const holderPath = (journal: string) => join(lockPath(journal), "holder.json");

/** The holder of a journal's lock; null when there is no lock or its holder has not written itself in yet. */
export function readHolder(journal: string): LockHolder | null {
  try {
    const json = JSON.parse(readFileSync(holderPath(journal), "utf8")) as Partial<LockHolder>;
    return typeof json.pid === "number" && typeof json.host === "string"
      ? { pid: json.pid, host: json.host, started_at: String(json.started_at) }
      : null;
  } catch {
    return null;
  }
}

/**
 * The file system proper-lockfile works through (its `fs` option), with two changes: holder.json is written as
 * soon as the lock directory is made — before proper-lockfile reads the directory's mtime, which it watches (a
 * file created later would change it, and the lock would count as compromised) — and removing the lock removes
 * the directory with its holder.json (proper-lockfile uses rmdir).
 */
const lockFs = {
  ...fs,
  mkdir: (path: string, callback: (error: NodeJS.ErrnoException | null) => void) =>
    fs.mkdir(path, (error) => {
      if (error) {
        callback(error);
        return;
      }
      try {
        const holder: LockHolder = { pid: process.pid, host: hostname(), started_at: new Date().toISOString() };
        writeFileSync(join(path, "holder.json"), `${JSON.stringify(holder)}\n`);
      } catch (writeError) {
        fs.rm(path, { recursive: true, force: true }, () => callback(writeError as NodeJS.ErrnoException));
        return;
      }
      callback(null);
    }),
  rmdir: (path: string, callback: (error: Error | null) => void) =>
    fs.rm(path, { recursive: true, force: true }, callback),
};

/** Whether a process with this pid runs on this machine (EPERM: it runs, as another user). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** A holder on this host whose process is gone. */
export const holderDead = (holder: LockHolder | null): boolean =>
  holder !== null && holder.host === hostname() && !processAlive(holder.pid);

const describe = (holder: LockHolder | null) =>
  holder
    ? `pid ${holder.pid}${holder.host === hostname() ? "" : ` on ${holder.host}`}, started ${holder.started_at}`
    : "a process that has just taken it";

export interface JournalLock {
  /** the lock was taken over from a dead process */
  tookOver: boolean;
  release(): Promise<void>;
}

/**
 * Locks `journal` (which need not exist yet) for this process. Held: refused with a JournalLockedError naming
 * the holder, or, with `wait`, retried every second until free
 * (`onWait` is told once). `onCompromised`: the lock was lost while held (its directory removed or not touched
 * in time): the run must stop writing.
 */
export async function lockJournal(
  journal: string,
  options: {
    staleMs?: number;
    updateMs?: number;
    wait?: boolean;
    onWait?: (message: string) => void;
    onCompromised?: (error: Error) => void;
  },
): Promise<JournalLock> {
  let told = false;
  let tookOver = false;
  for (;;) {
    try {
      const release = await lockfile.lock(journal, {
        realpath: false,
        lockfilePath: lockPath(journal),
        stale: options.staleMs ?? STALE_MS,
        update: options.updateMs ?? UPDATE_MS,
        fs: lockFs,
        onCompromised: (error) =>
          (
            options.onCompromised ??
            ((e: Error) => {
              throw e;
            })
          )(error),
      });
      return { tookOver, release: () => release().catch(() => undefined) };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ELOCKED") {
        throw new RecordFileError(`cannot lock ${journal}: ${(error as Error).message.split("\n")[0]}`);
      }
    }
    const holder = readHolder(journal);
    if (holderDead(holder) && takeOver(journal)) {
      tookOver = true;
      continue;
    }
    if (!options.wait) {
      throw new JournalLockedError(
        `${journal} is being written by another run (${describe(holder)}); wait for it to finish, stop it, or add --wait`,
      );
    }
    if (!told)
      options.onWait?.(`${journal} is being written by another run (${describe(holder)}): waiting for it to finish`);
    told = true;
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

/**
 * Removes the lock directory of a dead holder. Renamed away first and checked to be the same directory (inode)
 * that was judged stale, so a lock another process took meanwhile is put back, not removed.
 */
function takeOver(journal: string): boolean {
  const path = lockPath(journal);
  let inode: number;
  try {
    inode = statSync(path).ino;
  } catch {
    return true; // already gone: try again
  }
  const aside = `${path}.stale-${process.pid}-${Date.now()}`;
  try {
    renameSync(path, aside);
  } catch {
    return true;
  }
  if (statSync(aside).ino !== inode) {
    try {
      renameSync(aside, path);
    } catch {
      // the path was taken again meanwhile: that holder is live
    }
    return false;
  }
  rmSync(aside, { recursive: true, force: true });
  return true;
}
