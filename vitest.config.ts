import { defineConfig } from "vitest/config";

/** Tests never trace to LangSmith unless a test turns it on against a local stand-in (child processes inherit this). */
const NO_TRACING = {
  LANGSMITH_TRACING: "false",
  LANGSMITH_TRACING_V2: "false",
  LANGCHAIN_TRACING_V2: "false",
  LANGCHAIN_TRACING: "false",
};

// Three modes, as in the deepagentsjs template:
//   unit — pure logic, scripted fake chat models, no engine, no network (fast)
//   int  — the real llama.cpp engine on a tiny random-weight GGUF, real child processes, real local servers
//   eval — prompt regression checks (langsmith/vitest: local without LangSmith, an experiment with it);
//          `npm run test:eval`, not part of `npm test`
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "unit",
          include: ["**/*.test.ts"],
          exclude: ["**/*.int.test.ts", "**/*.eval.test.ts", "node_modules/**"],
          testTimeout: 20_000,
          env: NO_TRACING,
        },
      },
      {
        test: {
          name: "int",
          include: ["**/*.int.test.ts"],
          exclude: ["node_modules/**"],
          testTimeout: 240_000,
          hookTimeout: 240_000,
          // the engine is CPU-bound: one file at a time on a 2-core machine
          fileParallelism: false,
          env: NO_TRACING,
        },
      },
      {
        test: {
          name: "eval",
          include: ["**/*.eval.test.ts"],
          exclude: ["node_modules/**"],
          testTimeout: 120_000,
        },
      },
    ],
  },
});
