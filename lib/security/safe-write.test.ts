import { lstatSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { temporaryName, writeFileSafely } from "./safe-write.js";

const dir = mkdtempSync(join(tmpdir(), "safe-write-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("writeFileSafely", () => {
  it("replaces a symlink planted at the target instead of writing through it", () => {
    const victim = join(dir, "victim.txt");
    writeFileSync(victim, "precious");
    const target = join(dir, "run.summary.json");
    symlinkSync(victim, target);
    writeFileSafely(target, "{}\n");
    expect(readFileSync(victim, "utf8")).toBe("precious");
    expect(lstatSync(target).isSymbolicLink()).toBe(false);
    expect(readFileSync(target, "utf8")).toBe("{}\n");
    expect(readdirSync(dir).filter((name) => name.includes(".tmp-"))).toEqual([]);
  });

  it("uses temporary names nobody can guess", () => {
    expect(temporaryName("/x/a.json")).not.toBe(temporaryName("/x/a.json"));
    expect(temporaryName("/x/a.json")).toMatch(/^\/x\/a\.json\.tmp-[0-9a-f]{16}$/);
  });
});
