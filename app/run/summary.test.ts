import { describe, expect, it } from "vitest";
import { makeRecord } from "../../testing/records.js";
import { formatSummaryTable, summarize } from "./summary.js";

describe("run summary", () => {
  it("counts per language: accepted, rejected by deciding reason, mean turns, tokens, cost", () => {
    const nearCopy = makeRecord("es-1-00002", "es", ["a", "b"], "rejected");
    nearCopy.rejection_reasons = [{ check: "near_duplicate", detail: "similar to es-1-00000 (J≈0.91)" }];
    const records = [
      makeRecord("es-1-00000", "es", ["a", "b", "c", "d"]),
      makeRecord("es-1-00001", "es", ["a", "b"]),
      nearCopy,
      makeRecord("fr-1-00000", "fr", ["x"], "rejected"),
    ];
    const summary = summarize(records, { price: { input: 1, output: 2 }, wallMs: 90_000 });
    expect(summary.languages.es).toMatchObject({
      dialogues: 3,
      accepted: 2,
      rejected: 1,
      rejected_by_reason: { near_duplicate: 1 },
      acceptance_rate: 0.6667,
      mean_turns: 3,
      tokens: { input: 30, output: 15 },
      cost_usd: 0.0001,
    });
    expect(summary.languages.fr).toMatchObject({
      dialogues: 1,
      accepted: 0,
      rejected_by_reason: { language: 1 },
      mean_turns: 1,
    });
    expect(summary.total).toMatchObject({ dialogues: 4, accepted: 2, rejected: 2 });
    expect(summary.wall_time_s).toBe(90);
    const table = formatSummaryTable(summary);
    expect(table).toMatch(/^lang +dialogues +accepted +rate/);
    expect(table).toMatch(/\nes +3 +2 +66\.7% +3\.0 +30\/15 +\$0\.0001 +near_duplicate 1/);
    expect(table).toMatch(/\nall +4 +2 +50\.0%/);
    expect(table).toMatch(/wall time 1m30s \(all sessions\) · 160 dialogues\/hour/);
  });

  it("leaves the cost out without --price", () => {
    expect(summarize([makeRecord("es-1-00000", "es", ["a"])]).total.cost_usd).toBeNull();
  });
});
