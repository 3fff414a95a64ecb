import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { fromRecord } from "./dialogues.js";
import { mdCode, mdText } from "./report.js";
import { runDatasetEval } from "./run.js";
import { makeRecord } from "../testing/records.js";

describe("report.md keeps text from a dataset inert", () => {
  it("escapes HTML and Markdown markup, and fences code spans so they cannot be closed", () => {
    expect(mdText("<img src=x onerror=alert(1)>")).toBe("&lt;img src=x onerror=alert(1)&gt;");
    expect(mdText("a|b *c* [d](e) `f` [0.1, 0.2] snake_case")).toBe(
      "a\\|b \\*c\\* \\[d](e) \\`f\\` [0.1, 0.2] snake_case",
    );
    // CommonMark strips one space on each side of a code span that starts or ends with a backtick
    expect(mdCode("npm run x -- --a `rm -rf`")).toBe("`` npm run x -- --a `rm -rf` ``");
    expect(mdCode("plain")).toBe("`plain`");
  });

  it("a variant named with HTML and a rejection reason with a pipe reach report.md as text", async () => {
    const hostile = "<img src=x onerror=alert(1)>";
    const rejected = makeRecord("es-1-00001", "es", ["hola"], "rejected");
    const records = [
      {
        ...makeRecord("es-1-00000", "es", ["hola", "¿qué tal?"]),
        provenance: { ...rejected.provenance, prompt_variant: hostile },
      },
      {
        ...rejected,
        provenance: { ...rejected.provenance, prompt_variant: hostile },
        rejection_reasons: [{ check: "<b>x</b>|y", detail: "z" }],
      },
    ];
    const dir = mkdtempSync(join(tmpdir(), "report-md-"));
    await runDatasetEval({
      out: dir,
      command: "npm run eval -- --dataset `x`",
      seed: 1,
      resamples: 100,
      scoreRejected: false,
      judge: null,
      dialogues: records.map(fromRecord),
      dataset: { path: "d.jsonl", format: "jsonl" },
    });
    const md = readFileSync(join(dir, "report.md"), "utf8");
    expect(md).not.toContain("<img");
    expect(md).not.toContain("<b>");
    expect(md).toContain("&lt;img src=x onerror=alert(1)&gt;");
    expect(md).toContain("&lt;b&gt;x&lt;/b&gt;\\|y 1");
    expect(md).toContain("by `` npm run eval -- --dataset `x` ``.");
  });
});
