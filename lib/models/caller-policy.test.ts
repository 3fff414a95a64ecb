import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { CallerSettingRefused, checkCallerModelSettings } from "./caller-policy.js";

const dir = mkdtempSync(join(tmpdir(), "caller-policy-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
mkdirSync(join(dir, "models"));
writeFileSync(join(dir, "models", "a.gguf"), "");
writeFileSync(join(dir, "b.gguf"), "");
symlinkSync(join(dir, "b.gguf"), join(dir, "models", "escape.gguf"));

const env = {
  POLYGLOT_ALLOWED_MODELS: `${join(dir, "models")}, /opt/one.gguf`,
  POLYGLOT_ALLOWED_BASE_URLS: "http://10.0.0.5:8000/v1/",
  OPENAI_BASE_URL: "http://vllm:8000/v1",
};
const refused = (fn: () => void) => {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(CallerSettingRefused);
    return (error as Error).message;
  }
  return "allowed";
};

describe("checkCallerModelSettings", () => {
  it("allows the default model, listed files and the .gguf files of listed folders", () => {
    expect(refused(() => checkCallerModelSettings({ provider: "llama-cpp" }, "model", env))).toBe("allowed");
    expect(
      refused(() =>
        checkCallerModelSettings({ provider: "llama-cpp", model: join(dir, "models", "a.gguf") }, "model", env),
      ),
    ).toBe("allowed");
    expect(
      refused(() => checkCallerModelSettings({ provider: "llama-cpp", model: "/opt/one.gguf" }, "model", env)),
    ).toBe("allowed");
  });

  it("refuses other paths, ../ and symlinks out of a listed folder, naming the judge's field for the judge", () => {
    for (const model of [
      join(dir, "b.gguf"),
      join(dir, "models", "..", "b.gguf"),
      join(dir, "models", "escape.gguf"),
      "/etc/passwd",
    ]) {
      expect(refused(() => checkCallerModelSettings({ provider: "llama-cpp", model }, "model", env))).toMatch(
        /^refused: model ".*" is not a model file the operator allows/,
      );
    }
    expect(refused(() => checkCallerModelSettings({ provider: "llama-cpp", model: "/x.gguf" }, "judge", env))).toMatch(
      /^refused: judgeModelName /,
    );
    expect(
      refused(() =>
        checkCallerModelSettings({ provider: "llama-cpp", model: join(dir, "models", "a.gguf") }, "model", {}),
      ),
    ).toMatch(/^refused/);
  });

  it("allows the configured server and listed ones (trailing slashes aside), refuses any other, without its password", () => {
    expect(
      refused(() =>
        checkCallerModelSettings({ provider: "openai", model: "m", baseUrl: "http://vllm:8000/v1/" }, "model", env),
      ),
    ).toBe("allowed");
    expect(
      refused(() =>
        checkCallerModelSettings({ provider: "openai", model: "m", baseUrl: "http://10.0.0.5:8000/v1" }, "model", env),
      ),
    ).toBe("allowed");
    expect(
      refused(() =>
        checkCallerModelSettings(
          { provider: "anthropic", model: "m", baseUrl: "https://api.anthropic.com" },
          "model",
          {},
        ),
      ),
    ).toBe("allowed");
    const message = refused(() =>
      checkCallerModelSettings({ provider: "ollama", model: "m", baseUrl: "http://u:pw@evil:1" }, "judge", env),
    );
    expect(message).toBe(
      "refused: judgeBaseUrl http://u:***@evil:1 is not a server the operator allows (leave it empty for the configured server, or list it in POLYGLOT_ALLOWED_BASE_URLS where the server runs)",
    );
  });
});
