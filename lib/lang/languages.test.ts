import { describe, expect, it } from "vitest";
import { resolveLanguage, type LanguageInfo } from "./languages.js";

function ok(tag: string): LanguageInfo {
  const r = resolveLanguage(tag);
  if (!r.ok) throw new Error(`expected ${tag} to resolve: ${r.message}`);
  return r.lang;
}

describe("resolveLanguage", () => {
  it("canonicalises tags and names languages", () => {
    const es = ok("es");
    expect(es).toMatchObject({
      tag: "es",
      base: "es",
      englishName: "Spanish",
      nativeName: "español",
      scripts: ["Latn"],
      detectable: true,
    });
    expect(ok("EN-us")).toMatchObject({ tag: "en-US", base: "en", region: "US" });
    expect(ok("pt-BR")).toMatchObject({
      tag: "pt-BR",
      base: "pt",
      englishName: "Brazilian Portuguese",
      scripts: ["Latn"],
    });
    expect(ok("iw").tag).toBe("he");
    expect(ok("in").tag).toBe("id");
  });

  it("rejects unknown or malformed codes with a one-line message", () => {
    for (const bad of ["zz-bad", "zz", "qaa", "x-private", "und", "123", "english"]) {
      const r = resolveLanguage(bad);
      expect(r.ok, bad).toBe(false);
      if (!r.ok) {
        expect(r.message).toBe(`unknown language code "${bad}" (expected a BCP-47 tag such as es, fr, pt-BR, zh-Hans)`);
        expect(r.message).not.toContain("\n");
      }
    }
    const empty = resolveLanguage("");
    expect(empty.ok).toBe(false);
  });

  it("suggests the BCP-47 tag for a POSIX locale name (pt_BR → pt-BR)", () => {
    for (const [posix, tag] of [
      ["pt_BR", "pt-BR"],
      ["zh_Hant_TW", "zh-Hant-TW"],
      ["es_ES.UTF-8", "es-ES"],
    ] as const) {
      const r = resolveLanguage(posix);
      expect(r.ok, posix).toBe(false);
      if (!r.ok)
        expect(r.message).toMatch(
          new RegExp(`^unknown language code "${posix.replace(".", "\\.")}": did you mean "${tag}"\\?`),
        );
    }
    const nonsense = resolveLanguage("zz_QQ");
    expect(!nonsense.ok && nonsense.message).not.toMatch(/did you mean/);
  });

  it("knows the expected scripts", () => {
    expect(ok("zh-Hant").scripts).toEqual(["Hant"]);
    expect(ok("zh-Hans").scripts).toEqual(["Hans"]);
    expect(ok("zh-TW").scripts).toEqual(["Hant"]);
    expect(ok("zh").scripts).toEqual(["Hans", "Hant"]);
    expect(ok("sr").scripts).toEqual(["Cyrl", "Latn"]);
    expect(ok("sr-Latn").scripts).toEqual(["Latn"]);
    expect(ok("ja").scripts).toEqual(["Jpan"]);
    expect(ok("ko").scripts).toEqual(["Hang"]);
    expect(ok("hi").scripts).toEqual(["Deva"]);
    expect(ok("ur").scripts).toEqual(["Arab"]);
    expect(ok("ru").scripts).toEqual(["Cyrl"]);
  });

  it("says whether the detector supports a language, directly or through a close pair", () => {
    expect(ok("fr").detectable).toBe(true);
    const id = ok("id");
    expect(id.detectable).toBe(true);
    expect(id.detector.accept).toContain("ms");
    expect(id.detector.note).toMatch(/Malay/);
    expect(ok("nb").detector.accept).toEqual(expect.arrayContaining(["no", "da"]));
    expect(ok("bs").detectable).toBe(true);
    expect(ok("es").detector.siblings).toEqual(expect.arrayContaining(["ca", "pt"]));
  });

  it("keeps languages the detector does not know, and says so", () => {
    const sw = ok("sw");
    expect(sw).toMatchObject({ englishName: "Swahili", scripts: ["Latn"], detectable: false });
    expect(sw.detector.note).toMatch(/does not know sw/);
    expect(ok("gl").detectable).toBe(false);
    expect(ok("hi-Latn").detectable).toBe(false); // romanised Hindi: the detector's Hindi model is Devanagari
  });
});
