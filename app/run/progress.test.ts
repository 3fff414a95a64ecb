import { describe, expect, it } from "vitest";
import { makeRecord } from "../../testing/records.js";
import { Progress } from "./progress.js";

function fakeStream(isTTY: boolean) {
  const chunks: string[] = [];
  return {
    chunks,
    stream: { isTTY, columns: 200, write: (s: string) => (chunks.push(s), true) } as unknown as NodeJS.WriteStream,
  };
}

describe("Progress", () => {
  it("prints plain lines at most every few seconds off a terminal, and one at the end", () => {
    const err = fakeStream(false);
    const out = fakeStream(false);
    let t = 0;
    const progress = new Progress({
      languages: ["es", "fr"],
      planned: { es: 3, fr: 3 },
      initial: { es: { done: 1, accepted: 1, tokens: 15 } },
      stream: err.stream,
      out: out.stream,
      now: () => t,
      plainIntervalMs: 5000,
    });
    expect(progress.tty).toBe(false);
    for (let i = 0; i < 4; i++) {
      t += 1000;
      progress.started();
      progress.finished(makeRecord(`es-1-0000${i}`, i % 2 ? "fr" : "es", ["hola"], i === 3 ? "rejected" : "accepted"));
    }
    expect(err.chunks).toHaveLength(0);
    t += 1500;
    progress.finished(makeRecord("fr-1-00009", "fr", ["salut"]));
    expect(err.chunks).toHaveLength(1);
    expect(err.chunks[0]).toMatch(
      /^\[progress 6s\] es 3\/3 \(3 accepted, 0 rejected, ETA done\) · fr 3\/3 \(2 accepted, 1 rejected, ETA done\)/,
    );
    progress.log("a dialogue");
    expect(out.chunks).toEqual(["a dialogue\n"]);
    t += 1000;
    progress.stop();
    expect(err.chunks).toHaveLength(2);
    expect(err.chunks[1]).toMatch(/^\[progress 7s\]/);
    expect(err.chunks.every((c) => !c.includes("\x1b"))).toBe(true);
  });

  it("draws a bar per language on a terminal and keeps printed dialogues above it", () => {
    const err = fakeStream(true);
    const out = fakeStream(true);
    let t = 0;
    const progress = new Progress({
      languages: ["es"],
      planned: { es: 10 },
      stream: err.stream,
      out: out.stream,
      tty: true,
      now: () => t,
    });
    t += 60_000;
    progress.started();
    progress.finished(makeRecord("es-1-00000", "es", ["hola"]));
    const [header, es] = progress.lines();
    expect(header).toMatch(/^1\/10 dialogues · 0 in flight · 1\.0\/min/);
    expect(es).toMatch(/^es {3}██░{18} {2}1\/10 {2}✓ 1 {2}✗ 0 {2}1\.0\/min {2}ETA 9m00s {2}15 tok$/);
    progress.log("dialogue text");
    expect(out.chunks).toEqual(["dialogue text\n"]);
    expect(err.chunks.join("")).toContain("\x1b[2F\x1b[J");
    progress.stop();
  });

  it("takes the bars away while a line of a dialogue is being written, and draws them again under it once it ends", () => {
    const err = fakeStream(true);
    const out = fakeStream(true);
    const progress = new Progress({
      languages: ["es"],
      planned: { es: 1 },
      stream: err.stream,
      out: out.stream,
      tty: true,
      now: () => 0,
    });
    const drawn = () => err.chunks.filter((c) => c.includes("dialogues ·")).length;
    const before = drawn();
    progress.write("Ana  Hol");
    expect(err.chunks.at(-1)).toBe("\x1b[2F\x1b[J"); // the bars (header + es) erased before the line starts
    progress.write("a, ¿qué");
    progress.started(); // would redraw: not in the middle of a line
    (progress as unknown as { redraw(): void }).redraw(); // nor from the timer
    expect(drawn()).toBe(before);
    progress.write(" tal?\n");
    expect(drawn()).toBe(before + 1);
    expect(out.chunks.join("")).toBe("Ana  Hola, ¿qué tal?\n");
    // a message while a line is open ends the line first (both go to one terminal)
    progress.write("Bea  Bi");
    progress.message("model: 429 Too Many Requests, retrying in 2s");
    expect(out.chunks.join("")).toBe("Ana  Hola, ¿qué tal?\nBea  Bi\n");
    expect(err.chunks.join("")).toContain("model: 429 Too Many Requests, retrying in 2s\n");
    progress.write("en\n");
    progress.stop();
  });
});
