import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { FakeServer } from "../testing/fake-llm-server.js";
import { startSpanishLlmServer } from "../testing/spanish-script.js";
import { writeTinyGguf } from "../lib/models/tiny-gguf.js";
import { type DialogueRecord, DialogueRecordSchema } from "../lib/records/schema.js";
import { freePort } from "../testing/ports.js";
import { processTable, startNpmScript, waitFor } from "../testing/processes.js";
import { type StudioServer, startStudio } from "../testing/studio-server.js";

// `npm run studio` for real: the pinned `langgraphjs dev` on a free port, offline, in its own process group.

const tinyDir = mkdtempSync(join(tmpdir(), "studio-int-"));
const tinyModel = join(tinyDir, "tiny.gguf");

describe("npm run studio (langgraphjs dev, offline)", () => {
  let studio: StudioServer;
  let base: string;
  let assistantId: string;
  let llm: FakeServer;

  async function api<T>(path: string, init?: RequestInit, timeoutMs = 30_000): Promise<T> {
    const response = await fetch(`${base}${path}`, { ...init, signal: AbortSignal.timeout(timeoutMs) });
    expect(response.status, `${path}: ${await response.clone().text()}`).toBe(200);
    return (await response.json()) as T;
  }

  beforeAll(async () => {
    await writeTinyGguf(tinyModel);
    // a local OpenAI-compatible stand-in that answers every structured call with valid Spanish JSON
    llm = await startSpanishLlmServer();
    // the operator allows the folder of the tiny model and the stand-in (lib/security/caller-policy.ts)
    studio = await startStudio({
      POLYGLOT_ALLOWED_MODELS: tinyDir,
      POLYGLOT_ALLOWED_BASE_URLS: llm.baseUrl,
      OPENAI_API_KEY: "sk-test",
    });
    base = studio.base;
  }, 120_000);

  afterAll(async () => {
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- unset when beforeAll failed
    await llm?.close();
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- unset when beforeAll failed
    if (studio) expect(await studio.stop()).toBe(true);
  }, 20_000);

  it("says how to open it in LangGraph Studio", () => {
    expect(studio.output()).toContain(`https://smith.langchain.com/studio/?baseUrl=${base}`);
  });

  it('lists the graph "dialogue", with its nodes', async () => {
    const assistants = await api<{ assistant_id: string; graph_id: string }[]>("/assistants/search", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ graph_id: "dialogue" }),
    });
    const assistant = assistants.find((a) => a.graph_id === "dialogue");
    expect(assistant).toBeDefined();
    assistantId = assistant!.assistant_id;
    const drawn = await api<{ nodes: { id: string }[] }>(`/assistants/${assistantId}/graph`);
    expect(drawn.nodes.map((node) => node.id)).toEqual(
      expect.arrayContaining(["rewritePersonas", "speakerTurn", "critiqueDialogue", "finalize"]),
    );
  });

  it("exposes the model, language, speech event and turn budget as settings Studio can set", async () => {
    type Schema = { properties: Record<string, { description?: string; enum?: string[] }> };
    const schemas = await api<{
      input_schema: Schema;
      output_schema: Schema;
      context_schema: Schema;
      config_schema: Schema;
    }>(`/assistants/${assistantId}/schemas`);
    // output: the whole state the nodes build, typed and described (DialogueStateSchema)
    expect(Object.keys(schemas.output_schema.properties)).toEqual(
      expect.arrayContaining(["personas", "speechEvent", "turns", "rejectionReasons", "record"]),
    );
    expect(schemas.output_schema.properties.turnFeedback!.description).toMatch(/retry/);
    // input: the request only, not the state built along the way
    // (history: what a later session of a series knows; optional, a single dialogue has none)
    expect(Object.keys(schemas.input_schema.properties).sort()).toEqual([
      "history",
      "index",
      "language",
      "seed",
      "sourcePersonas",
      "speechEventId",
    ]);
    expect(schemas.input_schema.properties.language!.description).toMatch(/language/i);
    expect(schemas.input_schema.properties.speechEventId!.enum).toContain("catching_up");
    // context: the run's settings
    const context = schemas.context_schema.properties;
    expect(context.model!.description).toMatch(/GGUF/);
    expect(Object.keys(context)).toEqual(
      expect.arrayContaining(["provider", "model", "turnsMin", "turnsMax", "promptVariant"]),
    );
    expect(context.turnsMin!.description).toMatch(/turns/i);
  });

  it("runs the GGUF model Studio names on the engine's prebuilt binary, to a record with the settings asked for", async () => {
    // random weights: a cheap gate rejects the gibberish before any turn; the turn budget is checked below
    const result = await api<{ record?: DialogueRecord | null }>(
      "/runs/wait",
      {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          assistant_id: "dialogue",
          input: { language: "fr", seed: 3, speechEventId: "making_plans" },
          context: { model: tinyModel, threads: 1, turnsMin: 2, turnsMax: 2, maxStructuredRetries: 0 },
        }),
      },
      150_000,
    );
    const record = DialogueRecordSchema.parse(result.record);
    expect(record).toMatchObject({ id: "fr-3-00000", language: "fr", speech_event: { id: "making_plans" } });
    expect(record.provenance).toMatchObject({ provider: "llama-cpp", model: "tiny.gguf" });
    // the engine loaded its prebuilt binary in the server (scripts/studio-server-setup.ts), no compiling
    expect(studio.output()).not.toMatch(/building from source/);
  }, 180_000);

  it("runs a dialogue with the model, language, speech event and turn budget set as Studio sets them", async () => {
    const before = llm.requests.length;
    const result = await api<{ record?: DialogueRecord | null }>(
      "/runs/wait",
      {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          assistant_id: "dialogue",
          input: { language: "es", seed: 3, speechEventId: "making_plans" },
          context: { provider: "openai", baseUrl: llm.baseUrl, model: "m", turnsMin: 3, turnsMax: 3 },
        }),
      },
      150_000,
    );
    const record = DialogueRecordSchema.parse(result.record);
    expect(record).toMatchObject({
      id: "es-3-00000",
      language: "es",
      speech_event: { id: "making_plans" },
      status: "accepted",
    });
    expect(record.provenance).toMatchObject({ provider: "openai", model: "m" });
    // the budget reached the turn loop: exactly three turns, alternating speakers
    expect(record.turns.map((turn) => turn.speaker)).toEqual(["A", "B", "A"]);
    // the model asked for wrote them: two personas, the common ground, three turns and the critique reached it
    expect(llm.requests.length - before).toBeGreaterThanOrEqual(2 + 1 + 3 + 1);
  }, 180_000);

  it("runs a whole default-length dialogue (14 turns) on a thread, as Studio does, to an accepted record", async () => {
    const json = { "content-type": "application/json" };
    const thread = await api<{ thread_id: string }>("/threads", {
      method: "POST",
      headers: json,
      body: JSON.stringify({}),
    });
    const state = await api<{ record?: DialogueRecord | null; turns?: unknown[] }>(
      `/threads/${thread.thread_id}/runs/wait`,
      {
        method: "POST",
        headers: json,
        body: JSON.stringify({
          assistant_id: "dialogue",
          input: { language: "es", seed: 1, speechEventId: "catching_up" },
          context: { provider: "openai", baseUrl: llm.baseUrl, model: "m", turnsMin: 14, turnsMax: 14 },
        }),
      },
      240_000,
    );
    expect(JSON.stringify(state)).not.toMatch(/GraphRecursionError|Recursion limit/);
    const record = DialogueRecordSchema.parse(state.record);
    expect(record.rejection_reasons).toEqual([]);
    expect(record.status).toBe("accepted");
    expect(record.turns).toHaveLength(14);
    expect(record.provenance).toMatchObject({ provider: "openai", model: "m" });
    // the thread keeps the final state: what Studio shows after the run
    const saved = await api<{ values: { record?: DialogueRecord | null } }>(`/threads/${thread.thread_id}/state`);
    expect(DialogueRecordSchema.parse(saved.values.record).id).toBe(record.id);
  }, 300_000);

  it("runs a multi-session series (graph series) on a thread, and its history shows it session by session", async () => {
    const json = { "content-type": "application/json" };
    const thread = await api<{ thread_id: string }>("/threads", {
      method: "POST",
      headers: json,
      body: JSON.stringify({}),
    });
    const before = llm.requests.length;
    const state = await api<{ record?: DialogueRecord | null }>(
      `/threads/${thread.thread_id}/runs/wait`,
      {
        method: "POST",
        headers: json,
        body: JSON.stringify({
          assistant_id: "series",
          input: { language: "es", seed: 5, sessions: 2, speechEventId: "getting_to_know_someone" },
          context: { provider: "openai", baseUrl: llm.baseUrl, model: "m", turnsMin: 4, turnsMax: 4 },
        }),
      },
      240_000,
    );
    const record = DialogueRecordSchema.parse(state.record);
    expect(record.status, JSON.stringify(record.rejection_reasons)).toBe("accepted");
    expect(record.sessions!.map((s) => [s.session, s.gap === null, s.turns.length])).toEqual([
      [1, true, 4],
      [2, false, 4],
    ]);
    expect(record.sessions![0]!.memory).toHaveLength(2);
    // the memory node wrote each speaker's memory of each session with its own prompt, through the model asked for
    const tasks = llm.requests.slice(before).map((request) => JSON.stringify(request.body));
    expect(tasks.filter((body) => body.includes("Write down what you will remember")).length).toBe(4);
    // the thread's history: a checkpoint after each step of the series, oldest last; the sessions written grow 0, 1, 2
    const history = await api<{ values: { written?: unknown[] }; next: string[] }[]>(
      `/threads/${thread.thread_id}/history`,
      { method: "POST", headers: json, body: JSON.stringify({ limit: 100 }) },
    );
    const written = [...new Set(history.map((h) => h.values.written?.length ?? 0))].sort();
    expect(written).toEqual([0, 1, 2]);
    const nexts = history.map((h) => h.next.join(","));
    expect(nexts.filter((n) => n === "runSession")).toHaveLength(2);
    expect(nexts.filter((n) => n === "writeMemory")).toHaveLength(2);
  }, 300_000);
});

describe("npm run studio stopped by the npm pid a shell gives ($!)", () => {
  it("SIGTERM to npm: the dev server and every process under it end with it, no orphan", async () => {
    let port = await freePort();
    while (port === 2024) port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const answers = () =>
      fetch(`${base}/ok`, { signal: AbortSignal.timeout(2_000) }).then(
        (r) => r.ok,
        () => false,
      );
    const run = startNpmScript("studio", ["--port", String(port)]);
    const npm = run.child.pid!;
    try {
      const deadline = Date.now() + 120_000;
      while (!(await answers())) {
        if (run.child.exitCode !== null || Date.now() > deadline)
          throw new Error(`the dev server did not come up on ${base}:\n${run.output()}`);
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
      // everything npm started, the dev server (in a process group of its own) included
      const table = processTable();
      const tree = new Set([npm]);
      for (let grew = true; grew;) {
        grew = false;
        for (const p of table) {
          if (tree.has(p.ppid) && !tree.has(p.pid)) {
            tree.add(p.pid);
            grew = true;
          }
        }
      }
      const server = table.filter((p) => tree.has(p.pid) && p.pgid !== npm);
      expect(server.length, "the dev server runs in a process group of its own").toBeGreaterThan(0);

      process.kill(npm, "SIGTERM");
      // npm's exit, not its pipes' close (an orphan would hold them open)
      if (run.child.exitCode === null && run.child.signalCode === null)
        await new Promise((resolve) => run.child.once("exit", resolve));
      const alive = () => processTable().filter((p) => tree.has(p.pid));
      await waitFor("every process of npm run studio to end", () => alive().length === 0 || undefined, 20_000).catch(
        () => undefined,
      );
      expect(alive()).toEqual([]);
      expect(await answers()).toBe(false);
    } finally {
      try {
        process.kill(-npm, "SIGKILL");
      } catch {
        // already gone
      }
    }
  }, 180_000);
});
