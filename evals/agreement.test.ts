import { describe, expect, it } from "vitest";
import { averageRanks, krippendorffAlpha, spearman, type Unit } from "./agreement.js";

/** Columns of the reliability data of Krippendorff (2011), 4 observers × 12 units, `null` = not coded. */
const OBSERVERS: (number | null)[][] = [
  [1, 2, 3, 3, 2, 1, 4, 1, 2, null, null, null],
  [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, null, 3],
  [null, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, null],
  [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, null],
];
const PAPER_UNITS: Unit[] = OBSERVERS[0]!.map((_, u) =>
  OBSERVERS.map((o) => o[u]).filter((v): v is number => v !== null),
);

describe("Krippendorff's alpha", () => {
  it("reproduces the published figures of Krippendorff (2011): nominal 0.743, ordinal 0.815, interval 0.849", () => {
    expect(krippendorffAlpha(PAPER_UNITS, "nominal")).toBeCloseTo(0.743, 3);
    expect(krippendorffAlpha(PAPER_UNITS, "ordinal")).toBeCloseTo(0.815, 3);
    expect(krippendorffAlpha(PAPER_UNITS, "interval")).toBeCloseTo(0.849, 3);
  });

  it("matches a table computed by hand: two annotators, units (1,1) (2,3) (3,3), ordinal", () => {
    // values 1, 2, 3 with n_1 = 2, n_2 = 1, n_3 = 3 (n = 6); o_23 = o_32 = 1, the rest on the diagonal.
    // δ²(2,3) = (n_2 + n_3 − (n_2 + n_3)/2)² = (4 − 2)² = 4; δ²(1,2) = (3 − 1.5)² = 2.25; δ²(1,3) = (6 − 2.5)² = 12.25.
    // observed Σ o δ² = 2 · 4 = 8; expected Σ n_c n_k δ² = 2 · (2·1·2.25 + 2·3·12.25 + 1·3·4) = 2 · 90 = 180.
    // α = 1 − (6 − 1) · 8 / 180 = 0.7778
    expect(
      krippendorffAlpha(
        [
          [1, 1],
          [2, 3],
          [3, 3],
        ],
        "ordinal",
      ),
    ).toBeCloseTo(1 - (5 * 8) / 180, 10);
  });

  it("is 1 for perfect agreement, ignores units with one value, and is undefined without variation", () => {
    expect(krippendorffAlpha([[1, 1, 1], [3, 3], [5, 5, 5], [2]], "ordinal")).toBe(1);
    expect(
      krippendorffAlpha(
        [
          [4, 4],
          [4, 4, 4],
        ],
        "ordinal",
      ),
    ).toBeNull();
    expect(krippendorffAlpha([[4], [2]], "ordinal")).toBeNull();
  });

  it("falls below 0 when annotators systematically disagree", () => {
    expect(
      krippendorffAlpha(
        [
          [1, 5],
          [5, 1],
          [1, 5],
          [5, 1],
        ],
        "ordinal",
      )!,
    ).toBeLessThan(0);
  });
});

describe("Spearman's rho", () => {
  it("gives tied values the mean of their ranks", () => {
    expect(averageRanks([5, 6, 7, 8, 7])).toEqual([1, 2, 3.5, 5, 3.5]);
  });

  it("matches a value computed by hand with ties", () => {
    // ranks x 1..5, ranks y 1,2,3.5,5,3.5: Σ dx·dy = 8, Σ dx² = 10, Σ dy² = 9.5 → ρ = 8 / √95
    expect(spearman([1, 2, 3, 4, 5], [5, 6, 7, 8, 7])).toBeCloseTo(8 / Math.sqrt(95), 12);
  });

  it("is ±1 for monotone relations, null for constants or too few pairs", () => {
    expect(spearman([1, 2, 3, 4], [10, 20, 40, 80])).toBeCloseTo(1, 12);
    expect(spearman([1, 2, 3, 4], [4, 3, 2, 1])).toBeCloseTo(-1, 12);
    expect(spearman([1, 2, 3], [2, 2, 2])).toBeNull();
    expect(spearman([1, 2], [1, 2])).toBeNull();
  });
});
