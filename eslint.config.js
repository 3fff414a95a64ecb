// @ts-check
// typescript-eslint's strict type-checked set: the project is strict TypeScript already (noUncheckedIndexedAccess),
// and the type-aware rules catch what tsc lets through (floating promises, `any` leaking from JSON and libraries,
// values that cannot be nullish checked as if they could, `undefined` printed into messages).
import eslint from "@eslint/js";
import { defineConfig } from "eslint/config";
import stylistic from "@stylistic/eslint-plugin";
import tseslint from "typescript-eslint";

export default defineConfig(
  // .dependency-cruiser.cjs: CommonJS configuration, read and checked by dependency-cruiser itself
  { ignores: ["node_modules/", "dist/", ".langgraph_api/", "data/", "**/*.d.ts", ".dependency-cruiser.cjs"] },
  eslint.configs.recommended,
  tseslint.configs.strictTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        projectService: { allowDefaultProject: ["eslint.config.js"] },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      // With noUncheckedIndexedAccess every `xs[i]` is `T | undefined`; after a length check or a zod parse,
      // `xs[i]!` states what the code already knows. Replacing each with a runtime throw adds noise, not safety.
      "@typescript-eslint/no-non-null-assertion": "off",
      // Numbers in messages (`${n} dialogues`) are the CLI's and reports' ordinary formatting; nullable and object
      // values stay forbidden, since they print "undefined" or "[object Object]".
      "@typescript-eslint/restrict-template-expressions": ["error", { allowNumber: true }],
      // `() => resolve()` in callbacks is idiomatic; a void returned from a block body or used as a value is still flagged.
      "@typescript-eslint/no-confusing-void-expression": ["error", { ignoreArrowShorthand: true }],
      // LangGraph nodes, stand-ins for async interfaces (fake clients, servers) and `main()`s are async by contract:
      // an async function without `await` is how such an implementation keeps the contract's signature.
      "@typescript-eslint/require-await": "off",
      // A leading underscore marks a deliberately unused binding; `const { a, ...rest }` drops `a` on purpose.
      "@typescript-eslint/no-unused-vars": [
        "error",
        { argsIgnorePattern: "^_", varsIgnorePattern: "^_", caughtErrorsIgnorePattern: "^_", ignoreRestSiblings: true },
      ],
    },
  },
  {
    // Prettier lays out the code at 120 columns; what it cannot break (messages, patterns, URLs) may run to 140, and
    // comments are wrapped by hand
    plugins: { "@stylistic": stylistic },
    rules: {
      "@stylistic/max-len": [
        "error",
        { code: 140, ignoreStrings: true, ignoreTemplateLiterals: true, ignoreRegExpLiterals: true, ignoreUrls: true },
      ],
    },
  },
  {
    files: ["**/*.test.ts"],
    rules: {
      // Tests read the files and answers they assert on with JSON.parse and hand them to expect(), whose matchers are
      // the check; typing each parsed value first would restate the assertion. Production code stays fully checked.
      "@typescript-eslint/no-unsafe-assignment": "off",
      "@typescript-eslint/no-unsafe-member-access": "off",
      "@typescript-eslint/no-unsafe-call": "off",
      "@typescript-eslint/no-unsafe-return": "off",
      "@typescript-eslint/no-unsafe-argument": "off",
    },
  },
);
