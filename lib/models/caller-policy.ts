/**
 * What a LangGraph Studio / API caller may choose of the models a run uses: what the operator allows, nothing
 * more. The dev server has no authentication, so the graph's context (provider, model, baseUrl, judge*) comes
 * from whoever reaches it. Before the factory builds a model from it:
 * - a server URL must be the provider's configured one (OPENAI_BASE_URL, ANTHROPIC_BASE_URL, OLLAMA_BASE_URL, or
 *   its public default) or listed in POLYGLOT_ALLOWED_BASE_URLS (comma-separated);
 * - an embedded model file must be the default model (no path) or listed in POLYGLOT_ALLOWED_MODELS
 *   (comma-separated .gguf files, or folders whose .gguf files are all allowed);
 * - keys go only to the host they were configured for (lib/models/remote.ts, keyOnlyToConfiguredHost).
 * A refusal is one line naming the setting and the variable that would allow it; it says nothing about whether
 * a path exists.
 */
import { realpathSync } from "node:fs";
import { isAbsolute, relative, resolve } from "node:path";
import { configuredBaseUrl, ModelConfigError } from "./errors.js";
import type { ModelSettings } from "./factory.js";
import { redactUrlCredentials } from "../security/redact.js";

export const ALLOWED_BASE_URLS_ENV = "POLYGLOT_ALLOWED_BASE_URLS";
export const ALLOWED_MODELS_ENV = "POLYGLOT_ALLOWED_MODELS";

/** A setting a caller may not choose: the user's (the caller's) to fix. */
export class CallerSettingRefused extends ModelConfigError {
  override name = "CallerSettingRefused";
}

const list = (value: string | undefined) =>
  (value ?? "")
    .split(",")
    .map((entry) => entry.trim())
    .filter(Boolean);

const normalUrl = (url: string) => url.trim().replace(/\/+$/, "");

/** The real path, or the resolved one when it does not exist (then it can only match a listed path literally). */
function realOrResolved(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return resolve(path);
  }
}

function modelAllowed(model: string, env: NodeJS.ProcessEnv): boolean {
  const wanted = realOrResolved(model);
  return list(env[ALLOWED_MODELS_ENV]).some((entry) => {
    const allowed = realOrResolved(entry);
    if (wanted === allowed) return true;
    // a folder: any .gguf file under it (after symlinks are resolved)
    const inside = relative(allowed, wanted);
    return (
      !entry.endsWith(".gguf") &&
      inside !== "" &&
      !inside.startsWith("..") &&
      !isAbsolute(inside) &&
      wanted.endsWith(".gguf")
    );
  });
}

/** Throws CallerSettingRefused unless the operator allows what `settings` (built from a caller's context) names. */
export function checkCallerModelSettings(
  settings: ModelSettings,
  what: "model" | "judge",
  env: NodeJS.ProcessEnv = process.env,
): void {
  const field = (name: "model" | "baseUrl") =>
    what === "judge" ? (name === "model" ? "judgeModelName" : "judgeBaseUrl") : name;
  if (settings.provider === "llama-cpp") {
    if (settings.model && !modelAllowed(settings.model, env)) {
      throw new CallerSettingRefused(
        `refused: ${field("model")} "${settings.model}" is not a model file the operator allows (list it in ${ALLOWED_MODELS_ENV} where the server runs)`,
      );
    }
    return;
  }
  if (settings.baseUrl) {
    const url = normalUrl(settings.baseUrl);
    const allowed = [configuredBaseUrl(settings.provider, env), ...list(env[ALLOWED_BASE_URLS_ENV])].map(normalUrl);
    if (!allowed.includes(url)) {
      throw new CallerSettingRefused(
        `refused: ${field("baseUrl")} ${redactUrlCredentials(url)} is not a server the operator allows (leave it empty for the configured server, or list it in ${ALLOWED_BASE_URLS_ENV} where the server runs)`,
      );
    }
  }
}
