import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { join } from "node:path";
import { z } from "zod";

/**
 * Prompts are plain text files under prompts/<variant>/<name>.md, loaded by variant name.
 * A variant may hold only the files it changes; the others come from `baseline`.
 * A file is a list of named sections, each opened by a line `=== name ===` (`system`, `user`, and whatever
 * short pieces the node adds to a message, such as a retry note), with `{{slots}}` that the node fills in. The hash
 * covers every file the variant resolves to, so a record says exactly which wording produced it.
 *
 * A variant may also hold a `variant.json` manifest (see VariantManifestSchema) that changes what the graph does:
 * skip the common ground, drop the speech event, write the whole dialogue in one call. It is the variant's own
 * (never inherited from baseline), every key defaults to baseline behaviour, and it is part of the hash.
 *
 * `prompts/judges/` is not a generation variant: it holds the evaluation judges' prompts, as variants of their own
 * (`loadPromptSet(name, JUDGES_DIR)`, see evals/judges.ts); nor is `prompts/export/`, the wording of the training
 * exports (`loadPromptSet("baseline", EXPORT_DIR)`, see lib/run/training.ts); nor is `prompts/series/`, the memory
 * and history wording of multi-session series (`loadPromptSet("baseline", SERIES_DIR)`, see graphs/series/), kept
 * apart so that single dialogues keep their prompt hash.
 */

export const PROMPTS_DIR = fileURLToPath(new URL("../../prompts/", import.meta.url));
export const JUDGES_DIR = join(PROMPTS_DIR, "judges");
/** the wording of the training exports (the system message of `--format messages`), app/run/training.ts */
export const EXPORT_DIR = join(PROMPTS_DIR, "export");
/** the wording of multi-session series (the memory node, the history shown to later sessions), graphs/series/ */
export const SERIES_DIR = join(PROMPTS_DIR, "series");
export const BASE_VARIANT = "baseline";
const VARIANT_NAME = /^[a-z0-9][a-z0-9-]*$/;
/** folder names under prompts/ that are not variants */
const RESERVED = new Set(["judges", "export", "series"]);
export const MANIFEST_FILE = "variant.json";

// ── variant manifest ─────────────────────────────────────────────────────────────────────────────
export const VariantManifestSchema = z
  .object({
    description: z.string().max(500).optional(),
    /** write the common ground (an LLM call) and show it to the speakers and the critique */
    commonGround: z.boolean().default(true),
    /** show the speech event to the speakers, the common-ground writer and the critique */
    speechEvent: z.boolean().default(true),
    /** turn by turn (one call per turn, gated per turn) or the whole dialogue in one structured call */
    mode: z.enum(["turn-by-turn", "whole-dialogue"]).default("turn-by-turn"),
  })
  .strict();
export type VariantManifest = z.infer<typeof VariantManifestSchema>;
export const BASELINE_MANIFEST: VariantManifest = VariantManifestSchema.parse({});

function readManifest(dir: string, variant: string): { manifest: VariantManifest; text: string | null } {
  const path = join(dir, variant, MANIFEST_FILE);
  if (!existsSync(path)) return { manifest: BASELINE_MANIFEST, text: null };
  const text = readFileSync(path, "utf8");
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new PromptError(`prompt variant "${variant}": ${MANIFEST_FILE} is not valid JSON: ${(error as Error).message.split("\n")[0]}`);
  }
  const parsed = VariantManifestSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new PromptError(`prompt variant "${variant}": ${MANIFEST_FILE}: ${issue.path.join(".") || "(root)"}: ${issue.message}`);
  }
  return { manifest: parsed.data, text };
}
// ─────────────────────────────────────────────────────────────────────────────────────────────────

export interface PromptTemplate {
  name: string;
  /** the text of a section; throws when the file has no such section */
  section(key: string): string;
  has(key: string): boolean;
}

export interface PromptSet {
  variant: string;
  /** sha256 over the resolved files (name + text) and the manifest, first 12 hex digits */
  hash: string;
  /** what the graph does with this variant (baseline behaviour when the variant has no variant.json) */
  manifest: VariantManifest;
  get(name: string): PromptTemplate;
}

export class PromptError extends Error {
  override name = "PromptError";
}

export function listVariants(dir = PROMPTS_DIR): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && VARIANT_NAME.test(entry.name) && !RESERVED.has(entry.name))
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
  if (!VARIANT_NAME.test(variant) || RESERVED.has(variant) || !existsSync(join(dir, variant))) {
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
  const { manifest, text: manifestText } = readManifest(dir, variant);
  if (manifestText !== null) hash.update(`${MANIFEST_FILE}\0${manifestText}\0`);
  const set: PromptSet = {
    variant,
    hash: hash.digest("hex").slice(0, 12),
    manifest,
    get(name) {
      const template = templates.get(name);
      if (!template) throw new PromptError(`prompt variant "${variant}" has no "${name}" prompt`);
      return template;
    },
  };
  cache.set(key, set);
  return set;
}

const SLOT = /\{\{\s*([a-z_][a-z0-9_]*)\s*\}\}/gi;
/** Each template split once into its text and its slot names (odd places), as String.split gives them. */
const splitTemplates = new Map<string, string[]>();

/** Fills `{{slot}}`s. A slot the template names but the caller did not give is a bug, so it throws. */
export function fillSlots(template: string, slots: Record<string, string | number>): string {
  let parts = splitTemplates.get(template);
  if (!parts) splitTemplates.set(template, (parts = template.split(SLOT)));
  let out = parts[0]!;
  for (let i = 1; i < parts.length; i += 2) {
    const value = slots[parts[i]!];
    if (value === undefined) throw new PromptError(`prompt slot {{${parts[i]!}}} has no value`);
    out += String(value) + parts[i + 1]!;
  }
  return out;
}
