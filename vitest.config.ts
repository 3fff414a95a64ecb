import { defineConfig } from "vitest/config";

// Two modes, as in the deepagentsjs template:
//   unit — pure logic, scripted fake chat models, no engine, no network (fast)
//   int  — the real llama.cpp engine on a tiny random-weight GGUF, real child processes, real local servers
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "unit",
          include: ["**/*.test.ts"],
          exclude: ["**/*.int.test.ts", "**/*.eval.test.ts", "node_modules/**"],
          testTimeout: 20_000,
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
        },
      },
    ],
  },
});
