import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { fillSlots, listVariants, loadPromptSet, parseTemplate, PromptError } from "./loader.js";

function promptsDir(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "prompts-"));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(dir, path, ".."), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}

describe("prompt loader", () => {
  it("splits a file into named sections", () => {
    const t = parseTemplate("x", "=== system ===\nYou are {{name}}.\n\n=== user ===\nHi\n=== retry ===\nAgain: {{feedback}}\n");
    expect(t.section("system")).toBe("You are {{name}}.");
    expect(t.section("user")).toBe("Hi");
    expect(t.section("retry")).toBe("Again: {{feedback}}");
    expect(t.has("repair")).toBe(false);
    expect(() => t.section("repair")).toThrow(/no "repair" section/);
  });

  it("refuses text before the first section and duplicate sections", () => {
    expect(() => parseTemplate("x", "hello\n=== system ===\nA")).toThrow(PromptError);
    expect(() => parseTemplate("x", "=== user ===\nA\n=== user ===\nB")).toThrow(/two "user" sections/);
  });

  it("fills slots and refuses a slot without a value", () => {
    expect(fillSlots("{{a}} and {{ b }}", { a: 1, b: "two" })).toBe("1 and two");
    expect(() => fillSlots("{{missing}}", {})).toThrow(/\{\{missing\}\} has no value/);
  });

  it("loads a variant over baseline and hashes what it resolved to", () => {
    const dir = promptsDir({
      "baseline/a.md": "=== system ===\nbase a\n=== user ===\nu",
      "baseline/b.md": "=== system ===\nbase b\n=== user ===\nu",
      "short/a.md": "=== system ===\nshort a\n=== user ===\nu",
    });
    const base = loadPromptSet("baseline", dir);
    const short = loadPromptSet("short", dir);
    expect(short.get("a").section("system")).toBe("short a");
    expect(short.get("b").section("system")).toBe("base b");
    expect(short.hash).toMatch(/^[0-9a-f]{12}$/);
    expect(short.hash).not.toBe(base.hash);
    expect(listVariants(dir)).toEqual(["baseline", "short"]);
    expect(() => loadPromptSet("nope", dir)).toThrow(/unknown prompt variant "nope" \(available: baseline, short\)/);
    expect(() => base.get("c")).toThrow(/no "c" prompt/);
  });

  it("the shipped baseline has every prompt the graph asks for", () => {
    const set = loadPromptSet("baseline");
    for (const [name, sections] of Object.entries({
      "rewrite-persona": ["system", "user", "retry"],
      "common-ground": ["system", "user", "retry"],
      "speaker-turn": ["system", "opening", "progress", "closing-hint", "retry", "repair", "demonstration"],
      critique: ["system", "user", "retry"],
    })) {
      for (const section of sections) expect(set.get(name).has(section), `${name}/${section}`).toBe(true);
    }
  });
});
