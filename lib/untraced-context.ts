/**
 * A cheaper run context for runnables that are not traced.
 *
 * Every LangChain/LangGraph runnable call goes through `AsyncLocalStorageProviderSingleton.runWithConfig`, which
 * puts the call's config into an AsyncLocalStorage so that nested calls inherit it. When no LangSmith tracer is
 * among the callbacks, @langchain/core (1.4) still wraps that config in a fresh langsmith `RunTree` with tracing
 * disabled: a uuid7 from `crypto.getRandomValues`, a dozen environment reads and ~30 properties, about 30 µs —
 * some 110 times per dialogue (each node, channel write, edge and stream chunk). `npm run bench -- batch`
 * measured it at a third of the CPU of a dialogue at concurrency 64 (32 → 20 ms), the difference between an
 * event loop that keeps up with 64 dialogues in flight and one that does not. Upstream knows it
 * (langchain-ai/langchainjs#10043, "avoid initiating RunTree if tracing is disabled", not merged).
 *
 * installUntracedRunContext() replaces that one method: with a tracer it calls the original (traces are
 * unchanged); without one it stores the config in a plain object of the same shape the readers use
 * (`extra[lc:child_config]`, and the context variables carried over), so nested runnables, LangGraph's
 * `getConfig()` and context variables see exactly what they saw before. Idempotent; does nothing if the
 * method is not the one it was written for.
 */
import { CallbackManager } from "@langchain/core/callbacks/manager";
import type { RunnableConfig } from "@langchain/core/runnables";
import { AsyncLocalStorageProviderSingleton } from "@langchain/core/singletons";

const CHILD_CONFIG_KEY = Symbol.for("lc:child_config");
const CONTEXT_VARIABLES_KEY = Symbol.for("lc:context_variables");
const INSTALLED = Symbol.for("polyglot-personachat:untraced-run-context");

type RunWithConfig = (
  config: RunnableConfig | undefined,
  callback: () => unknown,
  avoidCreatingRootRunTree?: boolean,
) => unknown;

interface Provider {
  runWithConfig: RunWithConfig & { [INSTALLED]?: true };
  getInstance(): { getStore(): unknown; run(store: unknown, callback: () => unknown): unknown };
}

/**
 * Whether the config's callbacks include a LangSmith tracer with a parent run (the case the original handles).
 * `_configureSync` gives its manager a parent run only from a CallbackManager among the callbacks or from the id
 * of the run tree in the async context; with neither there is none, and the answer is no without building a
 * manager (which reads five environment variables: most of this check's cost, ~110 times a dialogue).
 */
function hasTracer(config: RunnableConfig | undefined, store: { id?: unknown } | undefined): boolean {
  const callbacks = config?.callbacks;
  if ((callbacks === undefined || Array.isArray(callbacks)) && store?.id === undefined) return false;
  const manager = CallbackManager._configureSync(
    config?.callbacks,
    undefined,
    config?.tags,
    undefined,
    config?.metadata,
  );
  return (
    manager !== undefined &&
    manager.getParentRunId() !== undefined &&
    manager.handlers.some((handler) => handler.name === "langchain_tracer")
  );
}

/** Installs the cheaper context; returns whether it is in place. */
export function installUntracedRunContext(): boolean {
  const provider = AsyncLocalStorageProviderSingleton as unknown as Provider;
  const original = provider.runWithConfig;
  if (original[INSTALLED]) return true;
  if (typeof original !== "function" || original.length !== 3 || typeof provider.getInstance !== "function")
    return false;
  const bound = original.bind(provider) as RunWithConfig;
  const runWithConfig: Provider["runWithConfig"] = (config, callback, avoidCreatingRootRunTree) => {
    const storage = provider.getInstance();
    const previous = storage.getStore() as (Record<symbol, unknown> & { id?: unknown }) | undefined;
    if (avoidCreatingRootRunTree || hasTracer(config, previous))
      return bound(config, callback, avoidCreatingRootRunTree);
    const store: Record<PropertyKey, unknown> = { extra: { [CHILD_CONFIG_KEY]: config } };
    if (previous?.[CONTEXT_VARIABLES_KEY] !== undefined) store[CONTEXT_VARIABLES_KEY] = previous[CONTEXT_VARIABLES_KEY];
    return storage.run(store, callback);
  };
  runWithConfig[INSTALLED] = true;
  provider.runWithConfig = runWithConfig;
  return true;
}
