import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { BASELINE_MANIFEST, fillSlots, JUDGES_DIR, listVariants, loadPromptSet, parseTemplate, PromptError } from "./loader.js";

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

  it("reads a variant's manifest (zod-checked, baseline defaults, part of the hash) and reserves prompts/judges", () => {
    const dir = promptsDir({
      "baseline/a.md": "=== system ===\nbase a",
      "whole/variant.json": '{"mode": "whole-dialogue"}',
      "whole2/variant.json": '{"mode": "whole-dialogue", "description": "same, described"}',
      "typo/variant.json": '{"commonGrund": false}',
      "broken/variant.json": "{",
      "judges/baseline/j.md": "=== system ===\njudge",
    });
    expect(loadPromptSet("baseline", dir).manifest).toEqual(BASELINE_MANIFEST);
    expect(BASELINE_MANIFEST).toEqual({ commonGround: true, speechEvent: true, mode: "turn-by-turn" });
    const whole = loadPromptSet("whole", dir);
    expect(whole.manifest).toEqual({ commonGround: true, speechEvent: true, mode: "whole-dialogue" });
    expect(whole.get("a").section("system")).toBe("base a");
    expect(whole.hash).not.toBe(loadPromptSet("baseline", dir).hash);
    expect(loadPromptSet("whole2", dir).hash).not.toBe(whole.hash);
    expect(() => loadPromptSet("typo", dir)).toThrow(/variant "typo": variant.json: .*commonGrund/);
    expect(() => loadPromptSet("broken", dir)).toThrow(/variant "broken": variant.json is not valid JSON/);
    expect(listVariants(dir)).not.toContain("judges");
    expect(() => loadPromptSet("judges", dir)).toThrow(/unknown prompt variant "judges"/);
  });

  it("ships the evaluation variants with their manifests, and judge prompts beside them", () => {
    expect(listVariants()).toEqual(expect.arrayContaining(["baseline", "no-common-ground", "no-speech-event", "whole-dialogue"]));
    expect(loadPromptSet("no-common-ground").manifest).toMatchObject({ commonGround: false, speechEvent: true, mode: "turn-by-turn" });
    expect(loadPromptSet("no-speech-event").manifest).toMatchObject({ commonGround: true, speechEvent: false, mode: "turn-by-turn" });
    expect(loadPromptSet("whole-dialogue").manifest).toMatchObject({ commonGround: true, speechEvent: true, mode: "whole-dialogue" });
    expect(loadPromptSet("baseline").get("whole-dialogue").has("demonstration")).toBe(true);
    expect(listVariants(JUDGES_DIR)).toContain("baseline");
  });
});
