import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { cruise, type ICruiseOptions, type ICruiseResult } from "dependency-cruiser";
import extractDepcruiseOptions from "dependency-cruiser/config-utl/extract-depcruise-options";
import extractTSConfig from "dependency-cruiser/config-utl/extract-ts-config";
import ts from "typescript";
import { afterAll, describe, expect, it } from "vitest";

/**
 * The layers of .dependency-cruiser.cjs, checked with dependency-cruiser: the project breaks none of its rules, and
 * the rules do catch each kind of break (a small project written for that in a temporary directory).
 */
const root = fileURLToPath(new URL("..", import.meta.url));
const FOLDERS = ["app", "evals", "graphs", "lib", "nodes", "scripts", "testing"];

async function projectOptions(): Promise<ICruiseOptions> {
  return extractDepcruiseOptions(join(root, ".dependency-cruiser.cjs"));
}

function violations(result: ICruiseResult): string[] {
  return result.summary.violations.map(
    (v) => `${v.rule.name}: ${v.from} → ${v.to}${v.cycle ? ` (${v.cycle.map((c) => c.name).join(" → ")})` : ""}`,
  );
}

describe("code layout", () => {
  it("has no dependency that breaks the layers, no cycle between modules or folders, and no test support in production code", async () => {
    const cwd = process.cwd();
    process.chdir(root);
    try {
      const { output } = await cruise(FOLDERS, await projectOptions(), undefined, {
        tsConfig: extractTSConfig(join(root, "tsconfig.json")),
      });
      const result = output as ICruiseResult;
      expect(violations(result)).toEqual([]);
      // the cruise did see the project (a config that matched nothing would also report no violation)
      expect(result.summary.totalCruised).toBeGreaterThan(100);
      const graph = result.modules.find((m) => m.source === "graphs/dialogue/graph.ts");
      expect(graph?.dependencies.map((d) => d.resolved)).toContain("nodes/state.ts");
    } finally {
      process.chdir(cwd);
    }
  });

  describe("catches", () => {
    const dir = mkdtempSync(join(tmpdir(), "layout-"));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));
    const files: Record<string, string> = {
      "lib/plan.ts": 'import { state } from "../nodes/state.js";\nexport const plan = state;\n',
      "lib/plan.test.ts": 'import { run } from "../app/run/run.js";\nexport const t = run;\n',
      "nodes/state.ts": "export const state = 1;\n",
      "nodes/speaker-turn.ts":
        'import { state } from "./state.js";\nimport { draft } from "./write-dialogue.js";\nexport const turn = state + draft;\n',
      "nodes/write-dialogue.ts": 'import { state } from "./state.js";\nexport const draft = state;\n',
      "graphs/dialogue/graph.ts":
        'import { turn } from "../../nodes/speaker-turn.js";\nimport { run } from "../../app/run/run.js";\nexport const graph = turn + run;\n',
      "app/run/run.ts": 'import { scripted } from "../../testing/scripted.js";\nexport const run = scripted;\n',
      "app/cli/command.ts":
        'import { worker } from "../fleet/worker.js";\nexport const command = worker;\nexport const usage = 1;\n',
      "app/fleet/worker.ts": "export const worker = 1;\n",
      "app/fleet/coordinator.ts": 'import { usage } from "../cli/command.js";\nexport const coordinator = usage;\n',
      "testing/scripted.ts": "export const scripted = 1;\n",
      "scripts/bench/fleet.ts":
        'import { scripted } from "../../testing/scripted.js";\nexport const bench = scripted;\n',
    };
    for (const [path, text] of Object.entries(files)) {
      mkdirSync(dirname(join(dir, path)), { recursive: true });
      writeFileSync(join(dir, path), text);
    }

    it("a domain module that imports a node, a node that imports another, the graph importing the application, production code importing test support, and folders in a circle — but not tests or benchmarks that use what they need", async () => {
      const { tsConfig: _projectTsConfig, ...options } = await projectOptions();
      const cwd = process.cwd();
      process.chdir(dir);
      let found: string[];
      try {
        found = violations(
          (await cruise(["app", "graphs", "lib", "nodes", "scripts", "testing"], { ...options, baseDir: dir }))
            .output as ICruiseResult,
        );
      } finally {
        process.chdir(cwd);
      }
      // and nothing else: a node importing the state, a test importing the application and a benchmark using test
      // support are allowed
      expect(found.sort()).toEqual([
        "domain-below-graph-and-app: lib/plan.ts → nodes/state.ts",
        "graph-below-app: graphs/dialogue/graph.ts → app/run/run.ts",
        "no-folder-cycles: app/cli → app/fleet (app/fleet → app/cli)",
        "no-folder-cycles: app/fleet → app/cli (app/cli → app/fleet)",
        "no-test-support-in-production: app/run/run.ts → testing/scripted.ts",
        "nodes-apart: nodes/speaker-turn.ts → nodes/write-dialogue.ts",
      ]);
    });
  });
});

/**
 * Every name a module of the project declares and exports (not what it re-exports from another module), with the
 * modules that export it: tests excluded, as nothing imports them.
 */
function exportedNames(base: string, folders: readonly string[]): Map<string, string[]> {
  const found = new Map<string, string[]>();
  const add = (name: string, file: string) => found.set(name, [...(found.get(name) ?? []), file]);
  for (const folder of folders) {
    for (const entry of readdirSync(join(base, folder), { recursive: true, encoding: "utf8" })) {
      if (!entry.endsWith(".ts") || entry.endsWith(".test.ts") || entry.endsWith(".d.ts")) continue;
      const file = join(folder, entry);
      const source = ts.createSourceFile(file, readFileSync(join(base, file), "utf8"), ts.ScriptTarget.Latest);
      const imported = new Set<string>();
      for (const statement of source.statements) {
        const clause = ts.isImportDeclaration(statement) ? statement.importClause : undefined;
        if (clause?.name) imported.add(clause.name.text);
        if (clause?.namedBindings && ts.isNamedImports(clause.namedBindings))
          for (const element of clause.namedBindings.elements) imported.add(element.name.text);
        if (clause?.namedBindings && ts.isNamespaceImport(clause.namedBindings))
          imported.add(clause.namedBindings.name.text);
      }
      for (const statement of source.statements) {
        if (ts.isExportDeclaration(statement)) {
          // `export { a, b as c }` of the module's own names (`export … from "…"`, or of an imported name, re-exports)
          if (!statement.moduleSpecifier && statement.exportClause && ts.isNamedExports(statement.exportClause))
            for (const element of statement.exportClause.elements)
              if (!imported.has((element.propertyName ?? element.name).text)) add(element.name.text, file);
          continue;
        }
        const modifiers = ts.canHaveModifiers(statement) ? (ts.getModifiers(statement) ?? []) : [];
        if (!modifiers.some((m) => m.kind === ts.SyntaxKind.ExportKeyword)) continue;
        if (modifiers.some((m) => m.kind === ts.SyntaxKind.DefaultKeyword)) continue;
        if (ts.isVariableStatement(statement)) {
          for (const declaration of statement.declarationList.declarations)
            if (ts.isIdentifier(declaration.name)) add(declaration.name.text, file);
        } else if (
          (ts.isFunctionDeclaration(statement) ||
            ts.isClassDeclaration(statement) ||
            ts.isInterfaceDeclaration(statement) ||
            ts.isTypeAliasDeclaration(statement) ||
            ts.isEnumDeclaration(statement)) &&
          statement.name
        ) {
          add(statement.name.text, file);
        }
      }
    }
  }
  return found;
}

/** Names exported by more than one module, each with its modules, except the ones `allowed` for those modules. */
function sharedNames(found: Map<string, string[]>, allowed: Record<string, RegExp>): string[] {
  return [...found]
    .filter(([name, files]) => files.length > 1 && !files.every((file) => allowed[name]?.test(file)))
    .map(([name, files]) => `${name}: ${files.sort().join(", ")}`)
    .sort();
}

/** The one deliberate repeat: every benchmark module exports `run(argv)`, the contract of scripts/bench.ts. */
const SHARED_BY_DESIGN: Record<string, RegExp> = { run: /^scripts\/bench\/[^/]+\.ts$/ };

describe("exported names", () => {
  it("are unique across the project: no two modules export the same name", () => {
    const found = exportedNames(root, FOLDERS);
    expect(sharedNames(found, SHARED_BY_DESIGN)).toEqual([]);
    // the walk did read the project
    expect(found.get("runDialogue")).toEqual([join("graphs", "dialogue", "graph.ts")]);
    expect(found.size).toBeGreaterThan(500);
  });

  it("catches a name two modules declare, but not a re-export, a test, or a benchmark's run", () => {
    const dir = mkdtempSync(join(tmpdir(), "names-"));
    try {
      const files: Record<string, string> = {
        "lib/records.ts": "export interface Turn { text: string }\nexport const SILENCE = 1;\n",
        "lib/gates.ts": "export type Turn = { speaker: string };\nconst SILENCE = 2;\nexport { SILENCE };\n",
        "graphs/studio.ts":
          'export { Turn } from "../lib/records.js";\nimport { SILENCE } from "../lib/gates.js";\nexport { SILENCE as graph };\n',
        "graphs/graph.ts": "export const graph = 1;\n",
        "lib/gates.test.ts": "export const Turn = 3;\n",
        "scripts/bench/a.ts": "export function run() {}\n",
        "scripts/bench/b.ts": "export async function run() {}\n",
        "scripts/c.ts": "export function run() {}\n",
      };
      for (const [path, text] of Object.entries(files)) {
        mkdirSync(dirname(join(dir, path)), { recursive: true });
        writeFileSync(join(dir, path), text);
      }
      expect(sharedNames(exportedNames(dir, ["lib", "graphs", "scripts"]), SHARED_BY_DESIGN)).toEqual([
        `SILENCE: ${join("lib", "gates.ts")}, ${join("lib", "records.ts")}`,
        `Turn: ${join("lib", "gates.ts")}, ${join("lib", "records.ts")}`,
        `run: ${join("scripts", "bench", "a.ts")}, ${join("scripts", "bench", "b.ts")}, ${join("scripts", "c.ts")}`,
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
