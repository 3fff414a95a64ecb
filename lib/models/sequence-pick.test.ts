import { describe, expect, it } from "vitest";
import { commonPrefixLength, pickSequence, type SlotView } from "./sequence-pick.js";
import { physicalCoresFromCpuinfo } from "./threads.js";

const range = (from: number, n: number) => Array.from({ length: n }, (_, i) => from + i);
const idle = (tokens: number[], lastUsed: number): SlotView => ({ pending: 0, lastUsed, tokens });
const busy = (tokens: number[], lastUsed: number, pending = 1): SlotView => ({ pending, lastUsed, tokens });

// prompts as token ids: two speakers share only the chat template's first tokens
const TEMPLATE = [1, 2, 3];
const speakerA = [...TEMPLATE, ...range(100, 200)];
const speakerB = [...TEMPLATE, ...range(500, 200)];

describe("pickSequence", () => {
  it("sends a growing prompt back to the sequence that holds its prefix", () => {
    const slots = [idle(speakerA, 3), idle(speakerB, 4), idle([], 0), idle([], 0)];
    expect(pickSequence(slots, [...speakerA, ...range(900, 20)])).toBe(0);
    expect(pickSequence(slots, [...speakerB, ...range(900, 20)])).toBe(1);
  });

  it("gives an unrelated prompt the coldest sequence, not one that shares only the template", () => {
    const slots = [idle(speakerA, 5), idle([], 0), idle(speakerB, 6), idle([...TEMPLATE, 7], 2)];
    expect(pickSequence(slots, [...TEMPLATE, ...range(700, 100)])).toBe(1);
    // all warm: the least recently used
    const warm = [idle(speakerA, 5), idle([9, 9], 1), idle(speakerB, 6), idle([8], 3)];
    expect(pickSequence(warm, [...TEMPLATE, ...range(700, 100)])).toBe(1);
  });

  it("breaks ties in prefix length by least recent use", () => {
    expect(pickSequence([idle(speakerA, 9), idle(speakerA, 2)], speakerA)).toBe(1);
  });

  it("waits for a busy sequence that shares the prompt, rather than evaluate it all again", () => {
    const slots = [busy(speakerA, 5), idle([], 0)];
    expect(pickSequence(slots, [...speakerA, 1, 2])).toBe(0);
    // an unrelated prompt runs beside it, on the idle sequence
    expect(pickSequence(slots, speakerB)).toBe(1);
  });

  it("queues on the least busy sequence when all are busy", () => {
    expect(pickSequence([busy([5], 1, 3), busy([6], 2, 1), busy([7], 0, 1)], speakerB)).toBe(2);
  });

  it("measures the common prefix", () => {
    expect(commonPrefixLength([1, 2, 3], [1, 2, 4])).toBe(2);
    expect(commonPrefixLength([], [1])).toBe(0);
    expect(commonPrefixLength([1, 2], [1, 2, 3])).toBe(2);
  });
});

describe("physicalCoresFromCpuinfo", () => {
  const cpu = (physical: number, core: number) => `processor\t: x\nphysical id\t: ${physical}\ncore id\t\t: ${core}\n`;
  it("counts distinct (physical id, core id): SMT siblings are one core", () => {
    expect(physicalCoresFromCpuinfo([cpu(0, 0), cpu(0, 1), cpu(0, 0), cpu(0, 1)].join("\n"))).toBe(2);
    expect(physicalCoresFromCpuinfo([cpu(0, 0), cpu(1, 0)].join("\n"))).toBe(2);
    expect(physicalCoresFromCpuinfo("processor : 0\nmodel name : arm\n")).toBeNull();
  });
});
