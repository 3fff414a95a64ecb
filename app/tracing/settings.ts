/** Whether and where to trace, from the environment alone (no LangSmith or LangChain import here). */

/** Any of these set to "true" turns tracing on (the names LangChain itself reads). */
export const TRACING_FLAGS = [
  "LANGSMITH_TRACING",
  "LANGSMITH_TRACING_V2",
  "LANGCHAIN_TRACING_V2",
  "LANGCHAIN_TRACING",
] as const;
export const DEFAULT_ENDPOINT = "https://api.smith.langchain.com";
export const DEFAULT_PROJECT = "polyglot-personachat";

export type TracingEnv = Record<string, string | undefined>;

export type TracingSettings =
  | { enabled: true; apiKey: string; endpoint: string; projectName: string }
  | { enabled: false; /** tracing was asked for but cannot start: why (one line) */ problem?: string };

const isOn = (value: string | undefined) => /^(true|1)$/i.test(value?.trim() ?? "");

/** Whether and where to trace, from the environment. */
export function tracingSettings(env: TracingEnv): TracingSettings {
  const flag = TRACING_FLAGS.find((name) => isOn(env[name]));
  if (!flag) return { enabled: false };
  const apiKey = (env.LANGSMITH_API_KEY || env.LANGCHAIN_API_KEY || "").trim();
  if (!apiKey) return { enabled: false, problem: `${flag} is set but LANGSMITH_API_KEY is not, so tracing is off` };
  const endpoint = (env.LANGSMITH_ENDPOINT || env.LANGCHAIN_ENDPOINT || DEFAULT_ENDPOINT).trim().replace(/\/+$/, "");
  let protocol = "";
  try {
    protocol = new URL(endpoint).protocol;
  } catch {
    // reported below
  }
  if (protocol !== "http:" && protocol !== "https:") {
    return { enabled: false, problem: `LANGSMITH_ENDPOINT "${endpoint}" is not an http(s) URL, so tracing is off` };
  }
  const projectName = (env.LANGSMITH_PROJECT || env.LANGCHAIN_PROJECT || DEFAULT_PROJECT).trim();
  return { enabled: true, apiKey, endpoint, projectName };
}

/** A copy of `env` in which nothing asks for tracing (for child processes and tests). */
export function withoutTracing<T extends TracingEnv>(env: T): T {
  const flags: readonly string[] = TRACING_FLAGS;
  return Object.fromEntries(Object.entries(env).filter(([name]) => !flags.includes(name))) as T;
}
