import { execFile } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { type FakeServer, messagesOf, startFakeLlmServer, taskOf } from "../testing/fake-llm-server.js";
import { createSpanishScript, SPANISH_COMMON_GROUND, SPANISH_TURNS, turnIndexOf } from "../testing/spanish-script.js";
import { startOnTerminal } from "../testing/processes.js";

// `npm run graph` on a terminal (a pseudo-terminal from util-linux `script`) against a scripted OpenAI-compatible
// server: one dialogue in flight is shown as it is written. The server is where the test checks the order: it
// answers a speaker's turn only once the terminal shows the personas and every turn before it, and the critique
// only once it shows them all — so a display that waited for the end of the dialogue would hold the run forever
// (the test fails on the server's wait, never on a time bound of the command).

const root = fileURLToPath(new URL("..", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "live-"));
const env = {
  LANGSMITH_TRACING: "false",
  OPENAI_API_KEY: "sk-test",
  OPENAI_BASE_URL: "",
  POLYGLOT_MODELS_DIR: join(dir, "cache"),
};

let servers: FakeServer[] = [];
let runs: { child: { pid?: number | undefined; exitCode: number | null } }[] = [];
afterEach(async () => {
  for (const run of runs) if (run.child.exitCode === null && run.child.pid) process.kill(-run.child.pid, "SIGKILL");
  runs = [];
  await Promise.all(servers.map((s) => s.close()));
  servers = [];
});

/** What a terminal must show before the model is asked for a call (null: nothing to wait for). */
type Expectation = (task: string, messages: { role: string; content: string }[]) => string[] | null;

/**
 * A Spanish server that holds each answer until `screen()` shows what `expect` says it must; every wait that ended
 * without it is kept in `unmet` (the answer is then given anyway, so the run ends and the test can say what was missing).
 */
async function gatedServer(screen: () => string, expectation: Expectation) {
  const script = createSpanishScript();
  const unmet: string[] = [];
  const server = await startFakeLlmServer("openai", async (request) => {
    const task = taskOf(request);
    const messages = messagesOf(request);
    const wanted = expectation(task, messages) ?? [];
    for (let waited = 0; wanted.some((text) => !screen().includes(text)); waited += 50) {
      if (waited > 30_000) {
        unmet.push(`${task}: ${wanted.filter((text) => !screen().includes(text)).join(" | ")}`);
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const schema = (request.body.response_format as { json_schema?: { schema?: unknown } } | undefined)?.json_schema
      ?.schema;
    return { text: script(task, messages, schema) };
  });
  servers.push(server);
  return { server, unmet };
}

const graphArgs = (server: FakeServer, extra: string[] = []) => [
  "--provider",
  "openai",
  "--base-url",
  server.baseUrl,
  "--model",
  "m",
  "--lang",
  "es",
  "--seed",
  "1",
  "--turns",
  "4-4",
  ...extra,
];

describe("npm run graph on a terminal", () => {
  it("shows the personas, then each turn, before the dialogue ends", async () => {
    let screen = () => "";
    const { server, unmet } = await gatedServer(
      () => screen(),
      (task, messages) => {
        if (task === "common_ground") return ["A Lucía: ", "B Marta: "];
        if (task === "turn")
          return [
            "Speech event: ",
            `Common ground: ${SPANISH_COMMON_GROUND.relationship}`,
            ...SPANISH_TURNS.slice(0, turnIndexOf(messages)),
          ];
        if (task === "critique") return SPANISH_TURNS.slice(0, 4);
        return null;
      },
    );
    const run = startOnTerminal("scripts/graph.ts", graphArgs(server), env);
    runs.push(run);
    screen = run.screen;
    const result = await run.done;
    expect(unmet).toEqual([]);
    expect(result.code, run.screen()).toBe(0);
    const text = run.screen();
    // in the order they were written, each turn on its speaker's line
    const at = (needle: string) => {
      const index = text.indexOf(needle);
      expect(index, `${needle} in:\n${text}`).toBeGreaterThanOrEqual(0);
      return index;
    };
    const order = [
      at("── es-1-00000 · es\n"),
      at("A Lucía: "),
      at("B Marta: "),
      at("Speech event: "),
      at("Common ground: "),
      ...SPANISH_TURNS.slice(0, 4).map((turn) => at(turn)),
      at("Critique: "),
      at("· 4 turns · accepted"),
    ];
    expect(order).toEqual([...order].sort((a, b) => a - b));
    expect(text).toMatch(new RegExp(`\\nLucía  ${SPANISH_TURNS[0]!.replace(/[?¿!¡.]/g, "\\$&")}\\n`));
    expect(text).toMatch(new RegExp(`\\nMarta  ${SPANISH_TURNS[1]!.replace(/[?¿!¡.]/g, "\\$&")}\\n`));
    // the dialogue is shown once: not again as a whole at the end
    expect(text.split(SPANISH_TURNS[0]!)).toHaveLength(2);
  });

  it("shows a multi-session series session by session, each later one headed by its gap, as it is written", async () => {
    let screen = () => "";
    const later = (messages: { content: string }[]) =>
      messages.some((m) => m.content.includes("conversation number 2"));
    const { server, unmet } = await gatedServer(
      () => screen(),
      (task, messages) => {
        // session 2 starts only once session 1 is on the screen, and its header; its critique once its turns are
        if (task === "common_ground" && later(messages))
          return ["Critique: ", ...SPANISH_TURNS.slice(0, 4), "── session 2 · "];
        if (task === "turn" && later(messages)) return ["── session 2 · "];
        return null;
      },
    );
    const run = startOnTerminal("scripts/graph.ts", graphArgs(server, ["--sessions", "2"]), env);
    runs.push(run);
    screen = run.screen;
    const result = await run.done;
    expect(unmet).toEqual([]);
    expect(result.code, run.screen()).toBe(0);
    const text = run.screen();
    const header = text.search(/── session 2 · \d+ \w+ later\n/);
    expect(header, text).toBeGreaterThan(0);
    // session 1's turns before the header, session 2's after it, each once, on their speakers' lines
    for (const turn of SPANISH_TURNS.slice(0, 4)) {
      expect(text.indexOf(turn), turn).toBeLessThan(header);
      expect(text.indexOf(turn, header), turn).toBeGreaterThan(header);
      expect(text.split(turn)).toHaveLength(3);
    }
    expect(text).toMatch(/── es-1-00000 · es · 2 sessions · 8 turns · accepted/);
  });

  it("keeps today's output with two dialogues in flight, with --quiet, and off a terminal", async () => {
    const { server } = await gatedServer(
      () => "",
      () => null,
    );
    // two in flight on a terminal: each dialogue printed whole when it is finished
    const two = startOnTerminal("scripts/graph.ts", graphArgs(server, ["--n", "2", "--concurrency", "2"]), env);
    runs.push(two);
    expect((await two.done).code, two.screen()).toBe(0);
    for (const id of ["es-1-00000", "es-1-00001"])
      expect(two.screen()).toMatch(new RegExp(`── ${id} · es · .* · 4 turns · (accepted|rejected).*\\nA \\S+: `));
    expect(two.screen()).not.toMatch(/── es-1-0000\d · es\n/);
    // --quiet on a terminal: one line per dialogue
    const quiet = startOnTerminal("scripts/graph.ts", graphArgs(server, ["--quiet"]), env);
    runs.push(quiet);
    expect((await quiet.done).code, quiet.screen()).toBe(0);
    expect(quiet.screen()).toMatch(/^es-1-00000 · es · .* · 4 turns · (accepted|rejected)/m);
    expect(quiet.screen()).not.toContain(SPANISH_TURNS[0]);
    // stdout a pipe: the whole dialogue at the end, no live header
    const piped = await new Promise<{ stdout: string; code: number }>((resolve) =>
      execFile(
        process.execPath,
        ["--import", "tsx", "scripts/graph.ts", ...graphArgs(server)],
        { cwd: root, env: { ...process.env, ...env } },
        (error, stdout) => resolve({ stdout, code: error ? ((error as { code?: number }).code ?? -1) : 0 }),
      ),
    );
    expect(piped.code).toBe(0);
    expect(piped.stdout).toMatch(/^── es-1-00000 · es · .* · 4 turns · (accepted|rejected).*\nA \S+: /);
    expect(piped.stdout).toMatch(new RegExp(`\\n\\S+ +${SPANISH_TURNS[0]!.replace(/[?¿!¡.]/g, "\\$&")}\\n`));
  });
});
