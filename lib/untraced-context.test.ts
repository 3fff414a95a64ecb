import { RunnableLambda } from "@langchain/core/runnables";
import { AsyncLocalStorageProviderSingleton } from "@langchain/core/singletons";
import { getContextVariable, setContextVariable } from "@langchain/core/context";
import { Annotation, END, getConfig, START, StateGraph } from "@langchain/langgraph";
import { Client, RunTree } from "langsmith";
import { describe, expect, it } from "vitest";
import { fakeLangSmith } from "../testing/fake-langsmith.js";
import { createTracing } from "../app/tracing/index.js";
import { installUntracedRunContext } from "./untraced-context.js";

const TRACING_ENV = {
  LANGSMITH_TRACING: "true",
  LANGSMITH_API_KEY: "test",
  LANGSMITH_ENDPOINT: "http://langsmith.test",
};

const store = () => AsyncLocalStorageProviderSingleton.getInstance().getStore() as unknown;

describe("untraced run context", () => {
  it("is installed, once", () => {
    expect(installUntracedRunContext()).toBe(true);
    // compared by identity, never called
    // eslint-disable-next-line @typescript-eslint/unbound-method
    const method = AsyncLocalStorageProviderSingleton.runWithConfig;
    expect(installUntracedRunContext()).toBe(true);
    // eslint-disable-next-line @typescript-eslint/unbound-method
    expect(AsyncLocalStorageProviderSingleton.runWithConfig).toBe(method);
  });

  it("untraced: no placeholder RunTree, and nested runnables still inherit the caller's config", async () => {
    installUntracedRunContext();
    const inner = RunnableLambda.from((_: number, config) => ({
      store: store(),
      metadata: config.metadata,
      tags: config.tags,
    }));
    // the inner runnable is invoked without a config: it gets the outer's through the async context
    const outer = RunnableLambda.from(async (x: number) => inner.invoke(x));
    const seen = await outer.invoke(1, { metadata: { dialogue: "es-7" }, tags: ["bench"] });
    expect(seen.store).toBeDefined();
    expect(seen.store).not.toBeInstanceOf(RunTree);
    expect(seen.metadata).toMatchObject({ dialogue: "es-7" });
    expect(seen.tags).toContain("bench");
  });

  it("untraced: LangGraph's getConfig() and context variables work inside nodes", async () => {
    installUntracedRunContext();
    const State = Annotation.Root({ seen: Annotation<string> });
    const graph = new StateGraph(State)
      .addNode("read", async () => {
        const config = getConfig();
        return { seen: `${String(config.metadata?.["run"])}:${String(getContextVariable("label"))}` };
      })
      .addEdge(START, "read")
      .addEdge("read", END)
      .compile();
    const outer = RunnableLambda.from(async () => {
      setContextVariable("label", "carried");
      return graph.invoke({}, { metadata: { run: "r1" } });
    });
    expect((await outer.invoke(null)).seen).toBe("r1:carried");
  });

  it("traced: a tracer's run tree is still the context, so nested runs are children of the caller's run", async () => {
    installUntracedRunContext();
    const fake = fakeLangSmith({ apiKey: "test" });
    const tracing = createTracing({ env: TRACING_ENV, fetch: fake.fetch, warn: () => {} });
    const inner = RunnableLambda.from(() => store()).withConfig({ runName: "inner" });
    const outer = RunnableLambda.from(async () => inner.invoke(null)).withConfig({ runName: "outer" });
    const seen = await outer.invoke(null, tracing.invokeOptions({ tags: [], metadata: {} }));
    await tracing.flush();
    expect(seen).toBeInstanceOf(RunTree);
    const runs = fake.runs();
    const outerRun = runs.find((run) => run.name === "outer");
    const innerRun = runs.find((run) => run.name === "inner");
    expect(outerRun).toBeDefined();
    expect(innerRun?.parent_run_id).toBe(outerRun?.id);
  });

  it("traced by a langsmith traceable: a runnable called with no callbacks inside its run tree is its child", async () => {
    installUntracedRunContext();
    const fake = fakeLangSmith({ apiKey: "test" });
    const client = new Client({
      apiUrl: "http://langsmith.test",
      apiKey: "test",
      fetchImplementation: fake.fetch,
      autoBatchTracing: false,
    });
    const parent = new RunTree({ name: "traceable", tracingEnabled: true, client, project_name: "p" });
    const inner = RunnableLambda.from(() => store()).withConfig({ runName: "inner" });
    const seen = await AsyncLocalStorageProviderSingleton.getInstance().run(parent, () => inner.invoke(null));
    expect(seen).toBeInstanceOf(RunTree);
    expect((seen as RunTree).parent_run_id).toBe(parent.id);
    // the context of a call with no callbacks at all (the cheap check's case) is still the traced run's tree
    const direct = AsyncLocalStorageProviderSingleton.getInstance().run(parent, () =>
      AsyncLocalStorageProviderSingleton.runWithConfig({ tags: [] }, store),
    );
    expect(direct).toBeInstanceOf(RunTree);
  });
});
