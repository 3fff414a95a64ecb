/**
 * The gates on real human dialogues (XPersona validation sets). Needs the shared data; skipped, with the
 * reason in the suite name, when it is not there.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_XPERSONA_DIR, XPERSONA_FILES, loadXPersona, measureFaults, measureHuman, type Corpus } from "../../scripts/bench/gates.js";

const dir = DEFAULT_XPERSONA_DIR;
const present = XPERSONA_FILES.every((f) => existsSync(join(dir, f.file)));
const title = present ? `gates on XPersona human data (${dir})` : `gates on XPersona human data — SKIPPED: ${dir} not found (set XPERSONA_DIR)`;

describe.skipIf(!present)(title, () => {
  let corpora: Corpus[] = [];
  beforeAll(() => {
    corpora = loadXPersona(dir);
  });

  it("rejects at most 1 % of human dialogues per language (checks other than repetition)", () => {
    for (const row of measureHuman(corpora)) {
      expect(row.rejected / row.dialogues, `${row.lang}: ${row.rejected}/${row.dialogues} rejected`).toBeLessThanOrEqual(0.01);
    }
  }, 120_000);

  it("catches at least 98 % of each injected fault with the right check", () => {
    for (const row of measureFaults(corpora, 1, 7)) {
      expect(row.caught / row.injected, `${row.lang} ${row.fault}: ${row.caught}/${row.injected}`).toBeGreaterThanOrEqual(0.98);
    }
  }, 120_000);
});
