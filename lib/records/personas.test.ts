import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import {
  PersonaFileError,
  dedupePersonas,
  loadBuiltinPersonas,
  loadPersonaFile,
  parsePersonaText,
} from "./personas.js";

const dir = mkdtempSync(join(tmpdir(), "personas-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let counter = 0;
function tempFile(content: string, ext = "json"): string {
  const path = join(dir, `file-${++counter}.${ext}`);
  writeFileSync(path, content);
  return path;
}

function errorOf(fn: () => unknown): PersonaFileError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(PersonaFileError);
    const error = e as PersonaFileError;
    expect(error.message).not.toMatch(/[\r\n]/);
    return error;
  }
  throw new Error("expected a PersonaFileError, nothing was thrown");
}

const P1 = ["I like to ski.", "I have two dogs."];
const P2 = ["I work as a nurse.", "I bake bread on Sundays."];
const P3 = ["I am a student.", "I play the guitar.", "I live by the sea."];

describe("loadPersonaFile: formats", () => {
  it("(a) PersonaChat / XPersona JSON, with minimal tidying and dedupe", () => {
    const path = tempFile(
      JSON.stringify([
        { persona: ["  i like to ski .", "i have   two dogs ."], dialogue: [["__SILENCE__", "hi"]] },
        { persona: ["i am a nurse ."], dialogue: [] },
        // same persona as the first, different order and spacing: a duplicate
        { persona: ["i have two dogs .", "i like to ski ."], dialogue: [["a", "b"]] },
      ]),
    );
    expect(loadPersonaFile(path)).toEqual([["i like to ski .", "i have two dogs ."], ["i am a nurse ."]]);
    expect(parsePersonaText(path, JSON.stringify([{ persona: P1 }, { persona: P2 }])).format).toBe("personachat");
  });

  it("(a') a plain JSON array of sentence arrays", () => {
    const path = tempFile(JSON.stringify([P1, P2, P1]));
    expect(loadPersonaFile(path)).toEqual([P1, P2]);
  });

  it("(b) JSONL with arrays, {persona} and {sentences}, blank lines skipped", () => {
    const content = [
      JSON.stringify(P1),
      "",
      JSON.stringify({ persona: P2 }),
      JSON.stringify({ sentences: P3, id: 7 }),
      "",
    ].join("\n");
    expect(loadPersonaFile(tempFile(content, "jsonl"))).toEqual([P1, P2, P3]);
    // detected by content too, whatever the extension
    const asTxt = tempFile(content, "txt");
    expect(parsePersonaText(asTxt, content).format).toBe("jsonl");
    expect(loadPersonaFile(asTxt)).toEqual([P1, P2, P3]);
  });

  it("(c) our own data/personas.en.json format", () => {
    const path = tempFile(JSON.stringify({ version: 1, personas: [P1, P2, P3] }));
    expect(loadPersonaFile(path)).toEqual([P1, P2, P3]);
  });
});

describe("loadPersonaFile: errors are one-line PersonaFileErrors naming the file", () => {
  it("unreadable file", () => {
    const missing = join(dir, "missing.json");
    const e = errorOf(() => loadPersonaFile(missing));
    expect(e.message).toContain(missing);
    expect(e.message).toMatch(/cannot read file \(no such file\)/);
    const sub = join(dir, "a-directory");
    mkdirSync(sub);
    expect(errorOf(() => loadPersonaFile(sub)).message).toMatch(/is a directory/);
  });

  it("empty file", () => {
    const path = tempFile("  \n");
    expect(errorOf(() => loadPersonaFile(path)).message).toBe(`Persona file ${path}: file is empty`);
  });

  it("invalid JSON", () => {
    const path = tempFile('{"version": 1, "personas": [\n["a"],\n');
    const e = errorOf(() => loadPersonaFile(path));
    expect(e.message).toContain(path);
    expect(e.message).toMatch(/invalid JSON/);
    expect(e.line).toBeUndefined();
  });

  it("wrong shape: PersonaChat entry without a persona array", () => {
    const path = tempFile(JSON.stringify([{ persona: P1 }, { dialogue: [] }]));
    const e = errorOf(() => loadPersonaFile(path));
    expect(e.message).toContain(path);
    expect(e.message).toMatch(/\[1\]\.persona/);
  });

  it("wrong shape: unrecognised object", () => {
    const path = tempFile(JSON.stringify({ people: [P1, P2] }));
    expect(errorOf(() => loadPersonaFile(path)).message).toMatch(
      new RegExp(`^Persona file ${path}: unrecognised format`),
    );
  });

  it("wrong shape: own format with a bad version or an empty sentence", () => {
    const bad = tempFile(JSON.stringify({ version: 2, personas: [P1, P2] }));
    expect(errorOf(() => loadPersonaFile(bad)).message).toMatch(/version/);
    const empty = tempFile(JSON.stringify({ version: 1, personas: [P1, ["I sing.", "   "]] }));
    expect(errorOf(() => loadPersonaFile(empty)).message).toMatch(/personas\[1\]\[1\]: empty sentence/);
  });

  it("a persona with 0 or more than 10 sentences", () => {
    const none = tempFile(JSON.stringify([P1, []]));
    expect(errorOf(() => loadPersonaFile(none)).message).toMatch(/no sentences/);
    const eleven = Array.from({ length: 11 }, (_, i) => `I have ${i} hats.`);
    const many = tempFile(JSON.stringify({ version: 1, personas: [P1, eleven] }));
    expect(errorOf(() => loadPersonaFile(many)).message).toMatch(/more than 10 sentences/);
  });

  it("fewer than two distinct personas", () => {
    const path = tempFile(JSON.stringify([{ persona: P1 }, { persona: [...P1].reverse() }]));
    const e = errorOf(() => loadPersonaFile(path));
    expect(e.message).toContain(path);
    expect(e.message).toMatch(/at least 2 distinct personas, found 1/);
  });

  it("JSONL: invalid JSON names the line", () => {
    const path = tempFile([JSON.stringify(P1), JSON.stringify(P2), '["I am broken",'].join("\n"), "jsonl");
    const e = errorOf(() => loadPersonaFile(path));
    expect(e.line).toBe(3);
    expect(e.message).toMatch(new RegExp(`^Persona file ${path} line 3: invalid JSON`));
  });

  it("JSONL: wrong shape names the line", () => {
    const path = tempFile(
      [JSON.stringify(P1), "", JSON.stringify({ name: "x" }), JSON.stringify(P2)].join("\n"),
      "jsonl",
    );
    const e = errorOf(() => loadPersonaFile(path));
    expect(e.line).toBe(3);
    expect(e.message).toMatch(/line 3: expected a JSON array of sentences/);
    const numbers = tempFile([JSON.stringify(P1), JSON.stringify({ sentences: [1, 2] })].join("\n"), "jsonl");
    expect(errorOf(() => loadPersonaFile(numbers)).message).toMatch(
      /line 2: sentences\[0\]: sentence must be a string/,
    );
    const notArray = tempFile([JSON.stringify(P1), JSON.stringify({ persona: "I ski." })].join("\n"), "jsonl");
    expect(errorOf(() => loadPersonaFile(notArray)).message).toMatch(
      /line 2: persona: persona must be an array of sentences/,
    );
  });

  it("JSONL detected by content: a bad later line is reported with its number", () => {
    const path = tempFile([JSON.stringify(P1), JSON.stringify(P2), "not json"].join("\n"), "txt");
    expect(errorOf(() => loadPersonaFile(path)).message).toMatch(/line 3: invalid JSON/);
  });
});

describe("dedupePersonas", () => {
  it("ignores order, case and spacing and keeps the first occurrence", () => {
    expect(dedupePersonas([P1, ["i HAVE two  dogs.", "I like to ski."], P2])).toEqual([P1, P2]);
  });
});

describe("loadBuiltinPersonas", () => {
  it("loads at least 48 distinct personas of 4-5 sentences", () => {
    const pool = loadBuiltinPersonas();
    expect(pool.length).toBeGreaterThanOrEqual(48);
    for (const p of pool) {
      expect(p.length).toBeGreaterThanOrEqual(4);
      expect(p.length).toBeLessThanOrEqual(5);
      for (const s of p) expect(s).toMatch(/^[A-Z].*[.!?]$/);
    }
  });
});

// The shared XPersona data lives next to the repository: <repo>/../shared/data/xpersona
const repoRoot = fileURLToPath(new URL("../../", import.meta.url));
const xpersonaDir = join(dirname(repoRoot), "shared", "data", "xpersona");
const enValid = join(xpersonaDir, "En_persona_valid.json");
const haveXPersona = existsSync(enValid);

describe.skipIf(!haveXPersona)(
  haveXPersona ? `XPersona data (${xpersonaDir})` : `XPersona data (SKIPPED: ${enValid} not found)`,
  () => {
    it("En_persona_valid.json loads more than 100 distinct personas", () => {
      const pool = loadPersonaFile(enValid);
      expect(pool.length).toBeGreaterThan(100);
      expect(new Set(pool.map((p) => p.join("\n"))).size).toBe(pool.length);
      for (const p of pool) {
        expect(p.length).toBeGreaterThanOrEqual(1);
        for (const s of p) expect(s).toBe(s.trim());
      }
    });

    it("every XPersona file loads", () => {
      for (const name of readdirSync(xpersonaDir).filter((f) => f.endsWith(".json"))) {
        expect(loadPersonaFile(join(xpersonaDir, name)).length, name).toBeGreaterThan(10);
      }
    });
  },
);
