import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { type FakeServer, messagesOf, startFakeLlmServer, taskOf } from "../testing/fake-llm-server.js";
import { createSpanishScript, SPANISH_MEMORY } from "../testing/spanish-script.js";
import { DialogueRecordSchema } from "../lib/records/schema.js";
import { fineTuningProblems } from "../testing/fine-tuning.js";
import { startScript } from "../testing/processes.js";

// `npm run graph -- --sessions 3` end to end against a scripted OpenAI-compatible server: one record per series,
// a rerun resumes, a rerun with another --sessions is refused, and the training exports hold every session.

const dir = mkdtempSync(join(tmpdir(), "graph-series-"));
let server: FakeServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function spanishServer(): Promise<FakeServer> {
  const script = createSpanishScript();
  return startFakeLlmServer("openai", (request) => {
    const schema = (request.body.response_format as { json_schema?: { schema?: unknown } } | undefined)?.json_schema
      ?.schema;
    return { text: script(taskOf(request), messagesOf(request), schema) };
  });
}

const graph = (fake: FakeServer, args: string[]) => startGraph(fake, args).done;

const startGraph = (fake: FakeServer, args: string[]) =>
  startScript(
    "scripts/graph.ts",
    [
      "--provider",
      "openai",
      "--base-url",
      fake.baseUrl,
      "--model",
      "m",
      "--lang",
      "es",
      "--seed",
      "3",
      "--turns",
      "4-4",
      ...args,
    ],
    {
      OPENAI_API_KEY: "sk-test",
      POLYGLOT_MODELS_DIR: join(dir, "cache"),
    },
  );

describe("npm run graph --sessions (scripted OpenAI-compatible server)", () => {
  it("writes one record per series, resumes, refuses another --sessions, exports every session", async () => {
    server = await spanishServer();
    const out = join(dir, "series.jsonl");
    const first = await graph(server, [
      "--sessions",
      "3",
      "--n",
      "2",
      "--out",
      out,
      "--format",
      "jsonl,messages,personachat",
      "--include-rejected",
    ]);
    expect(first.code, first.stderr).toBe(0);
    const records = readFileSync(out, "utf8")
      .trim()
      .split("\n")
      .map((line) => DialogueRecordSchema.parse(JSON.parse(line)));
    expect(records.map((r) => r.id)).toEqual(["es-3-00000", "es-3-00001"]);
    // the scripted server writes every series alike: the second is caught as a near-duplicate of the first
    expect(records[0]!.status, JSON.stringify(records[0]!.rejection_reasons)).toBe("accepted");
    expect(records[1]!.rejection_reasons).toEqual([
      { check: "near_duplicate", detail: expect.stringContaining("es-3-00000") },
    ]);
    for (const record of records) {
      expect(record.sessions!.map((s) => s.session)).toEqual([1, 2, 3]);
      expect(record.sessions!.map((s) => s.gap === null)).toEqual([true, false, false]);
      expect(record.sessions![2]!.memory.map((m) => m.summary)).toEqual([
        SPANISH_MEMORY.summary,
        SPANISH_MEMORY.summary,
      ]);
    }
    // the printout shows every session
    expect(first.stdout).toMatch(/── session 2 · \d+ \w+ later · /);
    expect(first.stdout).toContain("── session 3");
    const requests = server.requests.length;
    expect(new Set(server.requests.map(taskOf))).toEqual(
      new Set(["persona", "common_ground", "turn", "critique", "memory"]),
    );

    // messages: one example per speaker per session; later sessions carry the speaker's memory and the gap
    const examples = readFileSync(out.replace(/\.jsonl$/, ".messages.jsonl"), "utf8")
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line));
    expect(examples).toHaveLength(2 * 3 * 2);
    for (const example of examples) expect(fineTuningProblems(example)).toEqual([]);
    const system = (i: number) => String(examples[i].messages[0].content);
    expect(system(0)).not.toContain(SPANISH_MEMORY.summary);
    expect(system(2)).toContain(SPANISH_MEMORY.summary);
    expect(system(2)).toContain(SPANISH_MEMORY.partner_facts[0]);
    expect(system(2)).toMatch(/passed since your last conversation/);
    // personachat: one entry per session
    const personachat = JSON.parse(readFileSync(out.replace(/\.jsonl$/, ".personachat.json"), "utf8")) as unknown[];
    expect(personachat).toHaveLength(2 * 3);

    // the same command again: nothing left to write, no model call
    const again = await graph(server, ["--sessions", "3", "--n", "2", "--out", out]);
    expect(again.code, again.stderr).toBe(0);
    expect(server.requests.length).toBe(requests);

    // another number of sessions into the same journal is another run: refused in one line
    const other = await graph(server, ["--sessions", "2", "--n", "2", "--out", out]);
    expect(other.code).toBe(2);
    expect(other.stderr).toMatch(/sessions/);
    expect(other.stderr).not.toMatch(/\n\s+at /);
  });

  it("resumes a series killed after session 2 at session 3 (its checkpoints on disk beside the journal)", async () => {
    const script = createSpanishScript();
    let memories = 0;
    let sessionThree!: () => void;
    const reachedSessionThree = new Promise<void>((resolve) => (sessionThree = resolve));
    // the first run's server answers sessions 1 and 2 (two memories each), then hangs at session 3's first call
    server = await startFakeLlmServer("openai", (request) => {
      const task = taskOf(request);
      if (task === "memory") memories++;
      if (memories === 4 && task === "common_ground") {
        sessionThree();
        return new Promise(() => undefined);
      }
      const schema = (request.body.response_format as { json_schema?: { schema?: unknown } } | undefined)?.json_schema
        ?.schema;
      return { text: script(task, messagesOf(request), schema) };
    });
    const out = join(dir, "killed.jsonl");
    const args = ["--sessions", "3", "--n", "1", "--out", out];
    const first = startGraph(server, args);
    await reachedSessionThree;
    process.kill(-first.child.pid!, "SIGKILL");
    const killed = await first.done;
    expect(killed.signal).toBe("SIGKILL");
    // nothing in the journal yet (a series is one record, written when it ends); its progress is on disk
    expect(existsSync(out) ? readFileSync(out, "utf8").trim() : "").toBe("");
    expect(existsSync(`${out}.series.sqlite`)).toBe(true);
    await server.close();

    server = await spanishServer();
    const again = await graph(server, args);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toMatch(/1 series stopped part-way; each resumes where it stopped/);
    const [record] = readFileSync(out, "utf8")
      .trim()
      .split("\n")
      .map((line) => DialogueRecordSchema.parse(JSON.parse(line)));
    expect(record!.status, JSON.stringify(record!.rejection_reasons)).toBe("accepted");
    expect(record!.sessions!.map((s) => s.session)).toEqual([1, 2, 3]);
    // the rerun wrote session 3 only: no persona, one common ground, session 3's two memories
    const tasks = server.requests.map(taskOf);
    expect(tasks.filter((t) => t === "persona")).toHaveLength(0);
    expect(tasks.filter((t) => t === "common_ground")).toHaveLength(1);
    expect(tasks.filter((t) => t === "memory")).toHaveLength(2);
    // the series is in the journal: its checkpoints are gone
    expect(existsSync(`${out}.series.sqlite`)).toBe(false);
  });
});
