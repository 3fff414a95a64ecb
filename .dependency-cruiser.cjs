// The project's layers, checked by dependency-cruiser (testing/layout.test.ts runs it on every `npm test`).
//
//   app/, evals/, scripts/   the application: command bodies, batch runner, fleet, tracing set-up, evaluation
//        ↓
//   graphs/dialogue/         the graph: nodes wired by routes, its Studio entry and diagram
//        ↓
//   nodes/                   the graph's steps, one file each, and the state and context they read and write
//        ↓
//   lib/                     the domain: records, gates, languages, models, prompts, planning, randomness, security
//
//   testing/                 test support (scripted models, stand-in servers, local Redis, fixtures, fault injection):
//                            used by tests and by the dev tools in scripts/bench/, never by production code
//
// Every arrow points one way, and no folder reaches back into one that depends on it (folder-level cycles).

const TEST_FILE = "\\.(int\\.|eval\\.)?test\\.ts$";
/** What nodes share, none of them a graph node: the state, the context, the events a dialogue reports, small helpers,
 * and the turn check (a traced step inside speakerTurn since it stopped being a node of its own). */
const NODES_SHARED = "^nodes/(shared|state|configuration|events|check-turn|series-[a-z]+)\\.ts$";
/** Dev tools that may use test support: the benchmarks (scripted models, local Redis, a built llama-server) and the
 * builder of the test suite's llama-server (testing/llama-server.ts; `npm run llama-server:build`). */
const DEV_TOOLS = ["^scripts/bench(\\.ts$|/)", "^scripts/llama-server-build\\.ts$"];

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: "no-circular",
      severity: "error",
      comment: "Modules do not import each other in a circle.",
      from: {},
      to: { circular: true },
    },
    {
      name: "no-folder-cycles",
      severity: "error",
      comment: "Folders do not depend on each other in a circle (a folder counts with its subfolders).",
      scope: "folder",
      from: {},
      to: { circular: true },
    },
    {
      name: "domain-below-graph-and-app",
      severity: "error",
      comment:
        "lib/ is the domain: it imports neither the graph (graphs/, nodes/) nor the application (app/, evals/, scripts/).",
      from: { path: "^lib/" },
      to: { path: "^(graphs|nodes|app|evals|scripts)/" },
    },
    {
      name: "graph-below-app",
      severity: "error",
      comment:
        "The graph (graphs/, nodes/) imports only the domain (lib/), never the application (app/, evals/, scripts/).",
      from: { path: "^(graphs|nodes)/" },
      to: { path: "^(app|evals|scripts)/" },
    },
    {
      name: "nodes-below-graph",
      severity: "error",
      comment: "Nodes do not import the graph that wires them.",
      from: { path: "^nodes/" },
      to: { path: "^graphs/" },
    },
    {
      name: "nodes-apart",
      severity: "error",
      comment:
        "A node does not import another node: what two nodes share lives in nodes/shared.ts, state.ts, configuration.ts, events.ts, check-turn.ts (a step, not a node) or lib/.",
      from: { path: "^nodes/([^/]+)\\.ts$", pathNot: [TEST_FILE, NODES_SHARED] },
      to: { path: "^nodes/", pathNot: [NODES_SHARED, "^nodes/$1\\.ts$"] },
    },
    {
      name: "app-below-evals",
      severity: "error",
      comment:
        "The batch runner, fleet, CLI bodies and tracing set-up (app/) do not import the evaluation (evals/), which is built on them.",
      from: { path: "^app/" },
      to: { path: "^evals/" },
    },
    {
      name: "no-test-support-in-production",
      severity: "error",
      comment:
        "Production code never imports test support (testing/): tests and dev tools inject what they need instead.",
      from: { pathNot: ["^testing/", TEST_FILE, ...DEV_TOOLS] },
      to: { path: "^testing/" },
    },
    {
      name: "not-to-unresolvable",
      severity: "error",
      comment: "Every import resolves (a path that moved and was not followed).",
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    includeOnly: "^(app|evals|graphs|lib|nodes|prompts|scripts|testing)/",
    // tests sit on top of every layer: they may import what they test from anywhere
    exclude: { path: TEST_FILE },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    enhancedResolveOptions: {
      exportsFields: ["exports"],
      conditionNames: ["import", "require", "node", "default", "types"],
      extensions: [".ts", ".js", ".mjs", ".cjs", ".json", ".d.ts"],
    },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
