/**
 * Files we create cannot be redirected: the text goes to a temporary file with an unpredictable name, created
 * exclusively (`wx`: an existing file or symlink of that name is an error, never followed), synced, then renamed
 * over the target — a rename replaces a symlink at the target instead of writing through it.
 */
import { randomBytes } from "node:crypto";
import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from "node:fs";

/** `path` plus an unpredictable suffix, for a temporary file next to it. */
export function temporaryName(path: string): string {
  return `${path}.tmp-${randomBytes(8).toString("hex")}`;
}

/** Writes `text` whole to `path` (a reader never sees half a file), never through a symlink. */
export function writeFileSafely(path: string, text: string | Uint8Array): void {
  const tmp = temporaryName(path);
  const fd = openSync(tmp, "wx", 0o644);
  try {
    try {
      if (typeof text === "string") writeSync(fd, text);
      else writeSync(fd, text);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  } catch (error) {
    rmSync(tmp, { force: true });
    throw error;
  }
}
