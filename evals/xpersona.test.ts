import { fileURLToPath } from "node:url";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { fromXPersona, loadDataset } from "./dialogues.js";
import { languageFromXPersonaName } from "../lib/gates/datasets.js";
import { runDatasetEval } from "./run.js";

// The XPersona files are read-only shared data (never copied into the repo): the test reads a slice from there.
const FILE = fileURLToPath(
  new URL("../../shared/data/xpersona/It_persona_split_valid_human_annotated.json", import.meta.url),
);
const present = existsSync(FILE);
if (!present) console.warn(`skipping the XPersona slice test: ${FILE} is absent`);

/** distinct-n computed from scratch, straight from the definition, without the eval's code. */
function independentDistinct(entries: { dialogue: string[][] }[], lang: string): { d1: number; d2: number } {
  const segmenter = new Intl.Segmenter(lang, { granularity: "word" });
  const uni = new Map<string, number>();
  const bi = new Map<string, number>();
  for (const entry of entries) {
    for (const pair of entry.dialogue) {
      for (const utterance of pair) {
        if (utterance === "__SILENCE__") continue;
        const words: string[] = [];
        for (const s of segmenter.segment(utterance)) if (s.isWordLike) words.push(s.segment.toLocaleLowerCase(lang));
        for (const w of words) uni.set(w, (uni.get(w) ?? 0) + 1);
        for (let i = 1; i < words.length; i++)
          bi.set(`${words[i - 1]} ${words[i]}`, (bi.get(`${words[i - 1]} ${words[i]}`) ?? 0) + 1);
      }
    }
  }
  const total = (m: Map<string, number>) => [...m.values()].reduce((a, b) => a + b, 0);
  return { d1: uni.size / total(uni), d2: bi.size / total(bi) };
}

describe.skipIf(!present)("XPersona (Italian, human post-edited): distinct-n equals its definition", () => {
  it("on a slice of 12 dialogues, the report's distinct_1 and distinct_2 match an independent computation", async () => {
    const slice = (JSON.parse(readFileSync(FILE, "utf8")) as { persona: string[]; dialogue: string[][] }[]).slice(
      0,
      12,
    );
    const dir = mkdtempSync(join(tmpdir(), "xpersona-slice-"));
    const file = join(dir, "It_slice.json");
    writeFileSync(file, JSON.stringify(slice));
    const results = await runDatasetEval({
      out: join(dir, "out"),
      command: "test",
      seed: 1,
      resamples: 200,
      scoreRejected: false,
      judge: null,
      dialogues: loadDataset(file, "xpersona", "it"),
      dataset: { path: file, format: "xpersona" },
    });
    const expected = independentDistinct(slice, "it");
    const group = results.groups[0]!;
    expect(group.variant).toBe("xpersona");
    expect(group.counts.dialogues).toBe(12);
    expect(group.metrics.distinct_1!.value).toBeCloseTo(expected.d1, 12);
    expect(group.metrics.distinct_2!.value).toBeCloseTo(expected.d2, 12);
    const written = JSON.parse(readFileSync(join(dir, "out", "results.json"), "utf8"));
    expect(written.groups[0].metrics.distinct_1.value).toBeCloseTo(expected.d1, 12);
    expect(readFileSync(join(dir, "out", "report.md"), "utf8")).toContain(`distinct-1 | ${expected.d1.toFixed(3)}`);
  });
});

describe("XPersona reading", () => {
  it("gives the persona to the replying speaker B, drops silences, and names the language from the file", () => {
    const [d] = fromXPersona(
      [
        {
          persona: ["ho due cani."],
          dialogue: [
            ["__SILENCE__", "ciao!"],
            ["come va?", "bene"],
          ],
        },
      ],
      "it",
    );
    expect(d!.turns).toEqual([
      { speaker: "B", text: "ciao!" },
      { speaker: "A", text: "come va?" },
      { speaker: "B", text: "bene" },
    ]);
    expect(d!.personas).toEqual({ A: null, B: ["ho due cani."] });
    expect(d!.commonGround).toBeNull();
    expect(d!.speechEvent).toBeNull();
    expect(languageFromXPersonaName("/x/Jp_persona_split_valid_human_annotated.json")).toBe("ja");
    expect(() => fromXPersona([{ dialogue: "no" }], "it")).toThrow(/not an XPersona file/);
  });
});
