import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { join } from "node:path";

/**
 * Prompts are plain text files under prompts/<variant>/<name>.md, loaded by variant name.
 * A variant may hold only the files it changes; the others come from `baseline`.
 * A file is a list of named sections, each opened by a line `=== name ===` (`system`, `user`, and whatever
 * short pieces the node adds to a message, such as a retry note), with `{{slots}}` that the node fills in. The hash covers every file the variant resolves to,
 * so a record says exactly which wording produced it.
 */

export const PROMPTS_DIR = fileURLToPath(new URL("../../prompts/", import.meta.url));
export const BASE_VARIANT = "baseline";
const VARIANT_NAME = /^[a-z0-9][a-z0-9-]*$/;

export interface PromptTemplate {
  name: string;
  /** the text of a section; throws when the file has no such section */
  section(key: string): string;
  has(key: string): boolean;
}

export interface PromptSet {
  variant: string;
  /** sha256 over the resolved files (name + text), first 12 hex digits */
  hash: string;
  get(name: string): PromptTemplate;
}

export class PromptError extends Error {
  override name = "PromptError";
}

export function listVariants(dir = PROMPTS_DIR): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && VARIANT_NAME.test(entry.name))
    .map((entry) => entry.name)
    .sort();
}

function readVariantFiles(dir: string, variant: string): Map<string, string> {
  const folder = join(dir, variant);
  const files = new Map<string, string>();
  for (const file of readdirSync(folder).filter((f) => f.endsWith(".md")).sort()) {
    files.set(file.slice(0, -3), readFileSync(join(folder, file), "utf8"));
  }
  return files;
}

const SECTION_LINE = /^=== ([a-z][a-z0-9_-]*) ===[ \t]*$/gm;

export function parseTemplate(name: string, text: string): PromptTemplate {
  const body = text.replace(/^\uFEFF/, "");
  const sections = new Map<string, string>();
  const heads = [...body.matchAll(SECTION_LINE)];
  if (heads.length === 0 || body.slice(0, heads[0]!.index).trim() !== "") {
    throw new PromptError(`prompt "${name}" must start with a section line such as "=== system ==="`);
  }
  heads.forEach((head, i) => {
    const start = head.index + head[0].length;
    const end = i + 1 < heads.length ? heads[i + 1]!.index : body.length;
    if (sections.has(head[1]!)) throw new PromptError(`prompt "${name}" has two "${head[1]}" sections`);
    sections.set(head[1]!, body.slice(start, end).trim());
  });
  return {
    name,
    has: (key) => sections.has(key),
    section(key) {
      const value = sections.get(key);
      if (value === undefined) throw new PromptError(`prompt "${name}" has no "${key}" section`);
      return value;
    },
  };
}

const cache = new Map<string, PromptSet>();

export function loadPromptSet(variant: string, dir = PROMPTS_DIR): PromptSet {
  const key = `${dir}\0${variant}`;
  const cached = cache.get(key);
  if (cached) return cached;
  if (!VARIANT_NAME.test(variant) || !existsSync(join(dir, variant))) {
    throw new PromptError(`unknown prompt variant "${variant}" (available: ${listVariants(dir).join(", ")})`);
  }
  const files = readVariantFiles(dir, BASE_VARIANT);
  if (variant !== BASE_VARIANT) for (const [name, text] of readVariantFiles(dir, variant)) files.set(name, text);
  const templates = new Map<string, PromptTemplate>();
  const hash = createHash("sha256");
  for (const [name, text] of [...files].sort(([a], [b]) => a.localeCompare(b))) {
    templates.set(name, parseTemplate(name, text));
    hash.update(`${name}\0${text}\0`);
  }
  const set: PromptSet = {
    variant,
    hash: hash.digest("hex").slice(0, 12),
    get(name) {
      const template = templates.get(name);
      if (!template) throw new PromptError(`prompt variant "${variant}" has no "${name}" prompt`);
      return template;
    },
  };
  cache.set(key, set);
  return set;
}

/** Fills `{{slot}}`s. A slot the template names but the caller did not give is a bug, so it throws. */
export function fillSlots(template: string, slots: Record<string, string | number>): string {
  return template.replace(/\{\{\s*([a-z_][a-z0-9_]*)\s*\}\}/gi, (_, slot: string) => {
    const value = slots[slot];
    if (value === undefined) throw new PromptError(`prompt slot {{${slot}}} has no value`);
    return String(value);
  });
}
