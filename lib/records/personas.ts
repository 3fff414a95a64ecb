/**
 * Persona sources for `--personas FILE`.
 *
 * A persona is a short list of first-person sentences ("I work as a nurse.").
 * Three file formats are auto-detected:
 *   (a) PersonaChat / ConvAI2 / XPersona JSON: `[{ "persona": [...], "dialogue": ... }, ...]`
 *       (each entry's `persona` is one persona; other fields are ignored);
 *       a plain JSON array of sentence arrays is accepted too;
 *   (b) JSONL: one persona per line, either `["...", "..."]`,
 *       `{ "persona": [...] }` or `{ "sentences": [...] }` (blank lines skipped);
 *   (c) our own `data/personas.en.json`: `{ "version": 1, "personas": [[...], ...] }`.
 *
 * Sentences are tidied only minimally (trimmed, runs of whitespace collapsed):
 * PersonaChat's tokenised lower-case style ("i like to ski .") is kept as is.
 * Duplicate personas (same sentences, ignoring order, case and spacing) are
 * dropped, keeping the first occurrence.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { z } from "zod";

export type PersonaPool = string[][];

export const MIN_PERSONAS = 2;
export const MAX_SENTENCES_PER_PERSONA = 10;

export const BUILTIN_PERSONAS_PATH = fileURLToPath(new URL("../../data/personas.en.json", import.meta.url));

/** A persona file could not be used. The message is one line and names the file (and the JSONL line). */
export class PersonaFileError extends Error {
  override name = "PersonaFileError";
  constructor(
    readonly file: string,
    detail: string,
    readonly line?: number,
  ) {
    super(oneLine(`Persona file ${file}${line !== undefined ? ` line ${line}` : ""}: ${detail}`));
  }
}

/** Trim and collapse runs of whitespace; nothing else. */
export function tidySentence(sentence: string): string {
  return sentence.replace(/\s+/g, " ").trim();
}

const SentenceSchema = z
  .string({ invalid_type_error: "sentence must be a string" })
  .transform(tidySentence)
  .refine((s) => s.length > 0, "empty sentence");

export const PersonaSentencesSchema = z
  .array(SentenceSchema, { invalid_type_error: "persona must be an array of sentences" })
  .min(1, "persona has no sentences")
  .max(MAX_SENTENCES_PER_PERSONA, `persona has more than ${MAX_SENTENCES_PER_PERSONA} sentences`);

/** (a) PersonaChat / ConvAI2 / XPersona entries (other fields such as `dialogue` are ignored). */
export const PersonaChatFileSchema = z.array(z.object({ persona: PersonaSentencesSchema }).passthrough());

/** A plain JSON array of sentence arrays. */
export const PersonaArrayFileSchema = z.array(PersonaSentencesSchema);

/** (b) One JSONL line. */
export const PersonaJsonlLineSchema = z.union([
  PersonaSentencesSchema,
  z.object({ persona: PersonaSentencesSchema }).passthrough(),
  z.object({ sentences: PersonaSentencesSchema }).passthrough(),
]);

/** (c) Our own format (data/personas.en.json). */
export const OwnPersonaFileSchema = z.object({
  version: z.literal(1),
  personas: z.array(PersonaSentencesSchema),
});

export type PersonaFileFormat = "personachat" | "array" | "jsonl" | "own";

function oneLine(text: string): string {
  return text.replace(/\s+/g, " ").trim();
}

function formatPath(path: readonly (string | number)[]): string {
  if (path.length === 0) return "(root)";
  return path.map((p, i) => (typeof p === "number" ? `[${p}]` : i === 0 ? p : `.${p}`)).join("");
}

function formatIssues(error: z.ZodError, prefix: readonly (string | number)[] = [], max = 3): string {
  const parts = error.issues
    .slice(0, max)
    .map((issue) => `${formatPath([...prefix, ...issue.path])}: ${issue.message}`);
  const more = error.issues.length > max ? ` (+${error.issues.length - max} more)` : "";
  return parts.join("; ") + more;
}

function personaKey(sentences: readonly string[]): string {
  return sentences
    .map((s) => tidySentence(s).toLowerCase())
    .sort()
    .join("\n");
}

/** Drop personas identical to an earlier one (ignoring sentence order, case and spacing). */
export function dedupePersonas(personas: readonly (readonly string[])[]): PersonaPool {
  const seen = new Set<string>();
  const out: PersonaPool = [];
  for (const p of personas) {
    const key = personaKey(p);
    if (seen.has(key)) continue;
    seen.add(key);
    out.push([...p]);
  }
  return out;
}

function parseJsonl(file: string, text: string): PersonaPool {
  const personas: PersonaPool = [];
  const lines = text.split(/\r?\n/);
  lines.forEach((raw, index) => {
    const lineNo = index + 1;
    if (raw.trim() === "") return;
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch (err) {
      throw new PersonaFileError(file, `invalid JSON: ${(err as Error).message}`, lineNo);
    }
    const parsed = PersonaJsonlLineSchema.safeParse(value);
    if (parsed.success) {
      const data = parsed.data;
      const sentences: unknown = Array.isArray(data) ? data : "persona" in data ? data.persona : data.sentences;
      personas.push(PersonaSentencesSchema.parse(sentences));
      return;
    }
    // The union's own message is unhelpful: re-validate against the branch the line looks like.
    let detail: string;
    if (Array.isArray(value)) {
      const r = PersonaSentencesSchema.safeParse(value);
      detail = r.success ? "invalid persona" : formatIssues(r.error);
    } else if (value !== null && typeof value === "object" && ("persona" in value || "sentences" in value)) {
      const key = "persona" in value ? "persona" : "sentences";
      const r = PersonaSentencesSchema.safeParse((value as Record<string, unknown>)[key]);
      detail = r.success ? "invalid persona" : formatIssues(r.error, [key]);
    } else {
      detail = 'expected a JSON array of sentences or an object with a "persona" or "sentences" array';
    }
    throw new PersonaFileError(file, detail, lineNo);
  });
  return personas;
}

function parseJson(file: string, value: unknown): { format: PersonaFileFormat; personas: PersonaPool } {
  if (Array.isArray(value)) {
    const looksLikePersonaChat = value.some((v) => v !== null && typeof v === "object" && !Array.isArray(v));
    if (looksLikePersonaChat) {
      const r = PersonaChatFileSchema.safeParse(value);
      if (!r.success) {
        throw new PersonaFileError(file, `not a PersonaChat/XPersona file: ${formatIssues(r.error)}`);
      }
      return { format: "personachat", personas: r.data.map((entry) => entry.persona) };
    }
    const r = PersonaArrayFileSchema.safeParse(value);
    if (!r.success) {
      throw new PersonaFileError(file, `not an array of personas: ${formatIssues(r.error)}`);
    }
    return { format: "array", personas: r.data };
  }
  if (value !== null && typeof value === "object" && "personas" in value) {
    const r = OwnPersonaFileSchema.safeParse(value);
    if (!r.success) {
      throw new PersonaFileError(file, `not a personas file: ${formatIssues(r.error)}`);
    }
    return { format: "own", personas: r.data.personas };
  }
  throw new PersonaFileError(
    file,
    'unrecognised format: expected a PersonaChat/XPersona array of {"persona": [...]}, a {"version": 1, "personas": [...]} object, or JSONL with one persona per line',
  );
}

/** Parse persona file contents (exposed for tests and callers that already hold the text). */
export function parsePersonaText(file: string, text: string): { format: PersonaFileFormat; personas: PersonaPool } {
  const body = text.replace(/^\uFEFF/, "");
  if (body.trim() === "") {
    throw new PersonaFileError(file, "file is empty");
  }
  let result: { format: PersonaFileFormat; personas: PersonaPool };
  if (/\.jsonl$/i.test(file)) {
    result = { format: "jsonl", personas: parseJsonl(file, body) };
  } else {
    let value: unknown;
    let jsonError: Error | undefined;
    try {
      value = JSON.parse(body);
    } catch (err) {
      jsonError = err as Error;
    }
    if (jsonError === undefined) {
      result = parseJson(file, value);
    } else {
      // Not one JSON document: JSONL if the first non-blank line is JSON on its own.
      const firstLine = body.split(/\r?\n/).find((l) => l.trim() !== "") ?? "";
      let firstIsJson: boolean;
      try {
        JSON.parse(firstLine);
        firstIsJson = true;
      } catch {
        firstIsJson = false;
      }
      if (!firstIsJson) {
        throw new PersonaFileError(file, `invalid JSON: ${jsonError.message}`);
      }
      result = { format: "jsonl", personas: parseJsonl(file, body) };
    }
  }
  const personas = dedupePersonas(result.personas);
  if (personas.length < MIN_PERSONAS) {
    throw new PersonaFileError(
      file,
      `needs at least ${MIN_PERSONAS} distinct personas, found ${personas.length} (format: ${result.format})`,
    );
  }
  return { format: result.format, personas };
}

/** Load a persona file in any supported format (auto-detected), validated and deduplicated. */
export function loadPersonaFile(path: string): PersonaPool {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const reason = code === "ENOENT" ? "no such file" : code === "EISDIR" ? "is a directory" : (err as Error).message;
    throw new PersonaFileError(path, `cannot read file (${reason})`);
  }
  return parsePersonaText(path, text).personas;
}

let builtin: PersonaPool | undefined;

/** The built-in English source personas (data/personas.en.json), read once; a copy, free to modify. */
export function loadBuiltinPersonas(): PersonaPool {
  builtin ??= loadPersonaFile(BUILTIN_PERSONAS_PATH);
  return builtin.map((persona) => [...persona]);
}
