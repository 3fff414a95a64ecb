/**
 * The gates on real human dialogues (XPersona validation sets). Needs the shared data; skipped, with the
 * reason in the suite name, when it is not there.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import {
  DEFAULT_XPERSONA_DIR,
  XPERSONA_FILES,
  loadXPersona,
  measureFaults,
  measureHuman,
  selectHalf,
  type Corpus,
} from "../../scripts/bench/gates.js";

const dir = DEFAULT_XPERSONA_DIR;
const present = XPERSONA_FILES.every((f) => existsSync(join(dir, f.file)));
const title = present
  ? `gates on XPersona human data (${dir})`
  : `gates on XPersona human data — SKIPPED: ${dir} not found (set XPERSONA_DIR)`;

describe.skipIf(!present)(title, () => {
  let corpora: Corpus[] = [];
  beforeAll(() => {
    corpora = loadXPersona(dir);
  });

  it("splits each file into two fixed halves of about the same size", () => {
    const [a, b] = [selectHalf(corpora, "a"), selectHalf(corpora, "b")];
    corpora.forEach((c, i) => {
      expect(a[i]!.dialogues.length + b[i]!.dialogues.length).toBe(c.dialogues.length);
      expect(Math.abs(a[i]!.dialogues.length - b[i]!.dialogues.length) / c.dialogues.length, c.lang).toBeLessThan(0.15);
      const ids = new Set(a[i]!.dialogues.map((d) => d.id));
      expect(b[i]!.dialogues.some((d) => ids.has(d.id))).toBe(false);
    });
    // the split depends on the dialogue, not on the order of the file
    const reversed = corpora.map((c) => ({ lang: c.lang, dialogues: [...c.dialogues].reverse() }));
    expect(selectHalf(reversed, "a").map((c) => c.dialogues.map((d) => d.id).sort())).toEqual(
      a.map((c) => c.dialogues.map((d) => d.id).sort()),
    );
  });

  it("rejects at most 1 % of human dialogues per language and half (checks other than repetition)", () => {
    for (const half of ["a", "b"] as const) {
      for (const row of measureHuman(selectHalf(corpora, half))) {
        expect(
          row.rejected / row.dialogues,
          `half ${half} ${row.lang}: ${row.rejected}/${row.dialogues} rejected`,
        ).toBeLessThanOrEqual(0.01);
      }
    }
  }, 120_000);

  it("catches at least 98 % of each injected fault with the right check (held-out templates included)", () => {
    for (const row of measureFaults(corpora, 1, 7)) {
      expect(
        row.caught / row.injected,
        `${row.lang} ${row.fault}: ${row.caught}/${row.injected}`,
      ).toBeGreaterThanOrEqual(0.98);
    }
  }, 120_000);
});
