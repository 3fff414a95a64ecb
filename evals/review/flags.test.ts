import { describe, expect, it } from "vitest";
import { parseReviewFlags } from "./flags.js";

const error = (argv: string[], env: NodeJS.ProcessEnv = {}) => {
  try {
    parseReviewFlags(argv, env);
  } catch (e) {
    return (e as Error).message;
  }
  return "no error";
};

describe("npm run review's flags", () => {
  it("reads a dataset and the defaults", () => {
    expect(parseReviewFlags(["d.jsonl"], {})).toMatchObject({
      data: "d.jsonl",
      seed: 1,
      status: "accepted",
      port: 8765,
      host: "127.0.0.1",
    });
    expect(parseReviewFlags(["--help"], {})).toBeNull();
  });
  it("takes the token from REVIEW_TOKEN when no flag gives one", () => {
    expect(parseReviewFlags(["d.jsonl"], { REVIEW_TOKEN: "0123456789abcdef0123" })!.token).toBe("0123456789abcdef0123");
    expect(
      parseReviewFlags(["d.jsonl", "--token", "fedcba9876543210fedc"], { REVIEW_TOKEN: "0123456789abcdef0123" })!.token,
    ).toBe("fedcba9876543210fedc");
  });
  it("answers mistakes in one line that names the flag", () => {
    expect(error([])).toMatch(/name the dataset/);
    expect(error(["a.jsonl", "b.jsonl"])).toMatch(/one dataset at a time/);
    expect(error(["d.jsonl", "--sample", "0"])).toMatch(/--sample/);
    expect(error(["d.jsonl", "--export", "r.xlsx"])).toMatch(/--export writes a \.csv or a \.jsonl/);
    expect(error(["d.jsonl", "--token", "short"])).toMatch(/--token needs at least 16/);
    expect(error(["d.jsonl", "--status", "some"])).toMatch(/--status is accepted or all/);
    expect(error(["d.jsonl", "--colour"])).toMatch(/colour/);
  });
});
