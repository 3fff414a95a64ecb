import { describe, expect, it } from "vitest";
import { CHECK_NAMES, dialogueGateFailures, turnGateFailures, type GateTurn } from "./index.js";

const dialogue: GateTurn[] = [
  { speaker: "A", text: "¡Hola! ¿Cómo estás hoy?" },
  { speaker: "B", text: "I am fine thanks, how about you my friend?" },
  { speaker: "A", text: "Usuario 2: me encanta [nombre]" },
  { speaker: "B", text: "Como modelo de lenguaje, no tengo mascotas." },
  { speaker: "B", text: "¡Hola! ¿Cómo estás hoy?" },
];

describe("dialogueGateFailures / turnGateFailures", () => {
  it("reports every failing turn with a stable check name and a short detail", () => {
    const f = dialogueGateFailures(dialogue, { lang: "es" });
    expect(f.map((x) => [x.turn, x.check])).toEqual([
      [1, "language"],
      [2, "placeholder"],
      [2, "speaker_label"],
      [3, "meta_text"],
      [4, "repetition"],
      [4, "alternation"],
    ]);
    for (const x of f) {
      expect(CHECK_NAMES).toContain(x.check);
      expect(x.detail.length).toBeGreaterThan(0);
      expect(x.detail).not.toContain("\n");
    }
  });

  it("turnGateFailures matches dialogueGateFailures for that turn", () => {
    const all = dialogueGateFailures(dialogue, { lang: "es" });
    for (let i = 0; i < dialogue.length; i++)
      expect(turnGateFailures(dialogue, i, { lang: "es" })).toEqual(all.filter((f) => f.turn === i));
  });

  it("runs only the requested checks", () => {
    expect(dialogueGateFailures(dialogue, { lang: "es", checks: ["meta_text"] }).map((f) => f.turn)).toEqual([3]);
    expect(dialogueGateFailures(dialogue, { lang: "es", checks: [] })).toEqual([]);
  });

  it("passes a clean dialogue", () => {
    const clean: GateTurn[] = [
      { speaker: "A", text: "Salut ! Tu fais quoi ce week-end ?" },
      { speaker: "B", text: "Je vais randonner avec mon chien, et toi ?" },
      { speaker: "A", text: "ok" },
      { speaker: "B", text: "😂" },
      { speaker: "A", text: "Je travaille dans l'intelligence artificielle, donc je code tout le week-end." },
    ];
    expect(dialogueGateFailures(clean, { lang: "fr" })).toEqual([]);
  });

  it("throws a one-line error for an unknown language or check", () => {
    expect(() => dialogueGateFailures(dialogue, { lang: "zz-bad" })).toThrow(
      'unknown language code "zz-bad" (expected a BCP-47 tag such as es, fr, pt-BR, zh-Hans)',
    );
    expect(() => dialogueGateFailures(dialogue, { lang: "es", checks: ["nope" as never] })).toThrow(
      /unknown check "nope"/,
    );
    expect(() => turnGateFailures(dialogue, 9, { lang: "es" })).toThrow(RangeError);
  });
});
