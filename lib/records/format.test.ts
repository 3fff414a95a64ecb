import { describe, expect, it } from "vitest";
import { printable, recordedCommand } from "./format.js";

describe("printable", () => {
  it("shows control characters as \\uXXXX instead of sending them to the terminal; keeps newlines, tabs and text", () => {
    expect(printable("ok\u001b]52;c;cHduZWQ=\u0007 ¿sí?\n\tfin\u009b")).toBe(
      "ok\\u001b]52;c;cHduZWQ=\\u0007 ¿sí?\n\tfin\\u009b",
    );
  });
});

describe("recordedCommand", () => {
  it("records a command line shell-quoted, with URL passwords, token parameters and the environment's secrets hidden", () => {
    const env = { OPENAI_API_KEY: "sk-env-secret-123", PATH: "/usr/bin" };
    const argv = [
      "--judge-base-url",
      "http://judge:Pw-99x@10.0.0.2:8080/v1",
      "--base-url",
      "http://h/v1?api_key=sk-env-secret-123&x=1",
      "--note",
      "it's sk-env-secret-123",
    ];
    expect(recordedCommand("eval", argv, env)).toBe(
      "npm run eval -- --judge-base-url http://judge:***@10.0.0.2:8080/v1 --base-url 'http://h/v1?api_key=***&x=1' --note 'it'\\''s ***'",
    );
    expect(recordedCommand("export", ["--out", "a b.jsonl"], env)).toBe("npm run export -- --out 'a b.jsonl'");
  });
});
