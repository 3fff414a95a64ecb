import { readFileSync } from "node:fs";
import type { z } from "zod";
import { formatZodError } from "./records/schema.js";

/**
 * Reads a JSON data file and validates it with `schema`. Every failure — unreadable, not JSON, wrong shape —
 * becomes `toError` of one line that names the file (`what` says what kind of file it is).
 */
export function readJsonFile<S extends z.ZodTypeAny>(
  path: string,
  schema: S,
  what: string,
  toError: (message: string) => Error,
): z.infer<S> {
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
  if (!parsed.success)
    throw toError(oneLine(`${capitalise(what)} file ${path} has the wrong shape: ${formatZodError(parsed.error)}`));
  return parsed.data as z.infer<S>;
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/**
 * A loader that parses each file once per process and reuses the result: nodes call the data loaders on every
 * step, which should cost neither a read nor a stat (the prompt sets are cached the same way). A load that
 * throws is not cached.
 */
export function cachedPerPath<T>(load: (path: string) => T): (path: string) => T {
  const loaded = new Map<string, T>();
  return (path) => {
    if (loaded.has(path)) return loaded.get(path)!;
    const value = load(path);
    loaded.set(path, value);
    return value;
  };
}
