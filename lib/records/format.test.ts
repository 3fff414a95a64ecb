import { describe, expect, it } from "vitest";
import { printable } from "./format.js";

describe("printable", () => {
  it("shows control characters as \\uXXXX instead of sending them to the terminal; keeps newlines, tabs and text", () => {
    expect(printable("ok\u001b]52;c;cHduZWQ=\u0007 ¿sí?\n\tfin\u009b")).toBe("ok\\u001b]52;c;cHduZWQ=\\u0007 ¿sí?\n\tfin\\u009b");
  });
});
