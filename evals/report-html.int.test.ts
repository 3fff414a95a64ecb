import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadJudgePrompts } from "./judges.js";
import { runGenerateEval } from "./run.js";
import { scriptedJudge, scriptedWriter } from "../testing/scripted-eval-models.js";

// The HTML report opened in a real browser: Debian's chromium, headless. CI installs it (apt-get install -y
// chromium); where it is absent the test is skipped and says why.
const CHROMIUM = "/usr/bin/chromium";
const present = existsSync(CHROMIUM);
if (!present)
  console.warn(`skipping the HTML report browser test: ${CHROMIUM} is absent (apt-get install -y chromium)`);

function chromium(args: string[], profile: string): string {
  return execFileSync(
    CHROMIUM,
    [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--no-first-run",
      "--disable-component-update",
      "--disable-sync",
      `--user-data-dir=${profile}`,
      ...args,
    ],
    { encoding: "utf8", timeout: 90_000, stdio: ["ignore", "pipe", "ignore"] },
  );
}

describe.skipIf(!present)("the HTML report in headless Chromium", () => {
  it("lays out its charts: every measured metric has an SVG chart with drawn bars", async () => {
    const out = mkdtempSync(join(tmpdir(), "eval-html-"));
    const results = await runGenerateEval({
      out,
      command: "html test",
      seed: 1,
      resamples: 200,
      scoreRejected: false,
      judge: { model: scriptedJudge(), prompts: loadJudgePrompts("baseline"), label: "scripted:judge" },
      variants: ["baseline", "no-common-ground"],
      languages: ["es"],
      n: 2,
      chatModel: scriptedWriter(),
      modelLabel: "scripted",
      context: { turnsMin: 4, turnsMax: 4 },
      concurrency: 1,
      langsmith: null,
    });
    const page = `file://${join(out, "report.html")}`;
    const dom = chromium(["--virtual-time-budget=5000", "--dump-dom", page], mkdtempSync(join(tmpdir(), "chromium-")));
    const body = /<body([^>]*)>/.exec(dom)![1]!;
    const charts = Number(/data-charts="(\d+)"/.exec(body)![1]);
    const drawn = Number(/data-rendered-bars="(\d+)"/.exec(body)![1]);
    const measured = results.metrics.filter((m) => results.groups.some((g) => g.metrics[m.key]?.value != null)).length;
    const bars = results.groups.reduce(
      (n, g) => n + Object.values(g.metrics).filter((e) => e.value !== null).length,
      0,
    );
    expect(charts).toBe(measured);
    expect((dom.match(/<svg class="chart"/g) ?? []).length).toBe(measured);
    // the page's script counted the bars the browser laid out with a non-empty box
    expect(drawn).toBe(bars);
    expect(drawn).toBeGreaterThan(20);

    const shot = join(out, "report.png");
    chromium(["--window-size=1200,2400", `--screenshot=${shot}`, page], mkdtempSync(join(tmpdir(), "chromium-")));
    expect(statSync(shot).size).toBeGreaterThan(20_000);
    expect(readFileSync(shot).subarray(1, 4).toString()).toBe("PNG");
  });
});
