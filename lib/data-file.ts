import { readFileSync, statSync } from "node:fs";
import type { z } from "zod";
import { formatZodError } from "./records/schema.js";

/**
 * Reads a JSON data file and validates it with `schema`. Every failure — unreadable, not JSON, wrong shape —
 * becomes `toError` of one line that names the file (`what` says what kind of file it is).
 */
export function readJsonFile<S extends z.ZodTypeAny>(path: string, schema: S, what: string, toError: (message: string) => Error): z.infer<S> {
  const oneLine = (text: string) => text.replace(/\s+/g, " ").trim();
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    throw toError(oneLine(`Cannot read ${what} file ${path}: ${(err as Error).message}`));
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw toError(oneLine(`${capitalise(what)} file ${path} is not valid JSON: ${(err as Error).message}`));
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) throw toError(oneLine(`${capitalise(what)} file ${path} has the wrong shape: ${formatZodError(parsed.error)}`));
  return parsed.data;
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/**
 * A loader that parses a file once and reuses the result while the file's modification time stays the same
 * (nodes call the data loaders on every step).
 */
export function cachedByModificationTime<T>(load: (path: string) => T): (path: string) => T {
  const loaded = new Map<string, { mtimeMs: number; value: T }>();
  return (path) => {
    const mtimeMs = statSync(path, { throwIfNoEntry: false })?.mtimeMs;
    const cached = loaded.get(path);
    if (cached && cached.mtimeMs === mtimeMs) return cached.value;
    const value = load(path);
    if (mtimeMs !== undefined) loaded.set(path, { mtimeMs, value });
    return value;
  };
}
