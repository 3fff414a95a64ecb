import { describe, expect, it } from "vitest";
import { resolveConfig } from "../../nodes/configuration.js";
import { ScriptedChatModel } from "../../testing/scripted-model.js";
import {
  ENGLISH_SOURCE_PERSONAS,
  SPANISH_ACCEPT,
  SPANISH_COMMON_GROUND,
  SPANISH_TURNS,
  spanishPersona,
} from "../../testing/spanish-script.js";
import { DialogueRecordSchema, type DialogueRecord } from "../../lib/records/schema.js";
import { type DialogueJob, generateDialogues, planJobs } from "../run/generate.js";
import { type CapturedRun, fakeLangSmith } from "../../testing/fake-langsmith.js";
import {
  createTracing,
  DEFAULT_ENDPOINT,
  DEFAULT_PROJECT,
  dialogueTraceLabels,
  tracingSettings,
  withoutTracing,
} from "./index.js";
import { TracingTransport } from "./transport.js";

// Spanish material for a scripted "model" that plays a well-behaved crowdworker (no engine, no network).
const TURNS = SPANISH_TURNS.slice(0, 4);
const COMMON_GROUND = JSON.stringify(SPANISH_COMMON_GROUND);
const ACCEPT = JSON.stringify(SPANISH_ACCEPT);

function crowdworker() {
  let personas = 0;
  let turns = 0;
  return new ScriptedChatModel(
    (call) => {
      switch (call.task) {
        case "persona":
          return spanishPersona(personas++ % 2 === 0 ? "Lucía" : "Marta");
        case "common_ground":
          return COMMON_GROUND;
        case "turn":
          return JSON.stringify({ utterance: TURNS[turns++ % TURNS.length], ends_conversation: false });
        case "critique":
          return ACCEPT;
        default:
          throw new Error(`unexpected task ${call.task}`);
      }
    },
    { modelName: "crowdworker" },
  );
}

const TRACING_ENV = {
  LANGSMITH_TRACING: "true",
  LANGSMITH_API_KEY: "test",
  LANGSMITH_ENDPOINT: "http://langsmith.test",
};
const context = { turnsMin: 4, turnsMax: 4 };
const config = resolveConfig(context);
const jobs: DialogueJob[] = planJobs({ languages: ["es"], n: 2, seed: 7 }).map((job) => ({
  ...job,
  sourcePersonas: ENGLISH_SOURCE_PERSONAS,
}));

/** The jobs' records, with the tracing's invoke options when given. */
async function generate(tracing?: ReturnType<typeof createTracing>): Promise<DialogueRecord[]> {
  const label = { config, provider: "scripted", model: "crowdworker" };
  const { written } = await generateDialogues({
    jobs,
    context: { ...context, chatModel: crowdworker() },
    ...(tracing ? { invokeOptions: (job: DialogueJob) => tracing.invokeOptions(dialogueTraceLabels(job, label)) } : {}),
  });
  await tracing?.flush();
  return written;
}

/** A record without what differs between two runs of the same job. */
function stable(record: DialogueRecord) {
  const { created_at: _c, duration_ms: _d, trace_id: _t, ...provenance } = record.provenance;
  return { ...record, provenance };
}

describe("tracingSettings", () => {
  it("is off unless a tracing flag is true", () => {
    expect(tracingSettings({})).toEqual({ enabled: false });
    expect(tracingSettings({ LANGSMITH_TRACING: "false", LANGSMITH_API_KEY: "k" })).toEqual({ enabled: false });
    expect(tracingSettings({ LANGSMITH_API_KEY: "k" })).toEqual({ enabled: false });
  });

  it("takes LANGSMITH_TRACING or LANGCHAIN_TRACING_V2, the key, the endpoint and the project", () => {
    expect(tracingSettings({ LANGSMITH_TRACING: "true", LANGSMITH_API_KEY: "k" })).toEqual({
      enabled: true,
      apiKey: "k",
      endpoint: DEFAULT_ENDPOINT,
      projectName: DEFAULT_PROJECT,
    });
    expect(
      tracingSettings({
        LANGCHAIN_TRACING_V2: "true",
        LANGCHAIN_API_KEY: "k",
        LANGSMITH_ENDPOINT: "http://127.0.0.1:1984/",
        LANGSMITH_PROJECT: "p",
      }),
    ).toEqual({ enabled: true, apiKey: "k", endpoint: "http://127.0.0.1:1984", projectName: "p" });
  });

  it("says why tracing that was asked for cannot start", () => {
    expect(tracingSettings({ LANGSMITH_TRACING: "true" })).toMatchObject({
      enabled: false,
      problem: expect.stringMatching(/LANGSMITH_API_KEY/),
    });
    expect(
      tracingSettings({ LANGSMITH_TRACING: "true", LANGSMITH_API_KEY: "k", LANGSMITH_ENDPOINT: "localhost:1984" }),
    ).toMatchObject({
      enabled: false,
      problem: expect.stringMatching(/LANGSMITH_ENDPOINT/),
    });
  });

  it("withoutTracing drops every tracing flag and nothing else", () => {
    const env = withoutTracing({
      LANGSMITH_TRACING: "true",
      LANGCHAIN_TRACING_V2: "true",
      LANGSMITH_API_KEY: "k",
      PATH: "/bin",
    });
    expect(env).toEqual({ LANGSMITH_API_KEY: "k", PATH: "/bin" });
  });
});

describe("createTracing", () => {
  it("creates nothing when tracing is not configured", async () => {
    const warnings: string[] = [];
    const tracing = createTracing({ env: {}, warn: (line) => warnings.push(line) });
    expect(tracing.enabled).toBe(false);
    expect(tracing.invokeOptions({ metadata: {}, tags: [] })).toEqual({});
    await tracing.flush();
    expect(warnings).toEqual([]);
  });

  it("warns once and switches LangChain's env-driven tracer off when tracing is asked for without a key", () => {
    const warnings: string[] = [];
    const env: Record<string, string | undefined> = { LANGSMITH_TRACING: "true", LANGCHAIN_TRACING_V2: "true" };
    const tracing = createTracing({ env, warn: (line) => warnings.push(line) });
    expect(tracing.enabled).toBe(false);
    expect(warnings).toEqual([
      expect.stringMatching(/^tracing: LANGSMITH_TRACING is set but LANGSMITH_API_KEY is not/),
    ]);
    expect(env).toEqual({ LANGSMITH_TRACING: "false", LANGCHAIN_TRACING_V2: "false" });
  });

  it("makes each dialogue one trace: graph run, node runs, LLM runs, with labels and the trace id in the record", async () => {
    const fake = fakeLangSmith({ apiKey: "test" });
    const warnings: string[] = [];
    const records = await generate(
      createTracing({ env: TRACING_ENV, fetch: fake.fetch, warn: (line) => warnings.push(line) }),
    );
    expect(warnings).toEqual([]);
    const runs = fake.runs();
    const roots = runs.filter((run) => !run.parent_run_id);
    expect(roots).toHaveLength(2);

    for (const record of records) {
      DialogueRecordSchema.parse(record);
      const root = roots.find((run) => run.id === record.provenance.trace_id)!;
      expect(root).toBeDefined();
      expect(root).toMatchObject({
        name: "polyglot-personachat",
        run_type: "chain",
        trace_id: root.id,
        session_name: DEFAULT_PROJECT,
      });
      expect(root.end_time).toBeDefined();
      expect(root.extra?.metadata).toMatchObject({
        dialogue_id: record.id,
        language: "es",
        seed: 7,
        prompt_variant: "baseline",
        // named upfront by the same seeded plan the graph follows
        speech_event_id: record.speech_event.id,
        provider: "scripted",
        model: "crowdworker",
      });
      expect(root.tags).toEqual(
        expect.arrayContaining(["lang:es", `speech_event:${record.speech_event.id}`, "variant:baseline", "seed:7"]),
      );
      expect((root.outputs as { record?: { id?: string } }).record?.id).toBe(record.id);

      const trace = runs.filter((run) => run.trace_id === root.id);
      const children = (parent: CapturedRun) => trace.filter((run) => run.parent_run_id === parent.id);
      const visible = (run: CapturedRun) =>
        !run.tags?.includes("langsmith:hidden") && run.run_type === "chain" && run.name !== "RunnableLambda";
      const nodes = children(root).filter(visible);
      expect(new Set(nodes.map((run) => run.name))).toEqual(
        new Set([
          "rewritePersonas",
          "selectSpeechEvent",
          "writeCommonGround",
          "speakerTurn",
          "critiqueDialogue",
          "finalize",
        ]),
      );
      expect(nodes.filter((run) => run.name === "speakerTurn")).toHaveLength(4);
      // the turn check: a traced step of its own inside each speakerTurn, with the turn it judged and its verdict
      const inOrder = (runs: CapturedRun[]) =>
        [...runs].sort((a, b) => String(a.dotted_order).localeCompare(String(b.dotted_order)));
      const checks = inOrder(nodes.filter((run) => run.name === "speakerTurn")).map((node) =>
        children(node).filter((run) => run.name === "checkTurn"),
      );
      expect(checks.map((runs) => runs.length)).toEqual([1, 1, 1, 1]);
      checks.flat().forEach((check, turn) => {
        expect(check.run_type).toBe("chain");
        expect((check.inputs as { candidate?: { text?: string } }).candidate?.text).toBe(record.turns[turn]!.text);
        expect((check.outputs as { turns?: unknown[] }).turns).toHaveLength(turn + 1);
        expect(check.end_time).toBeDefined();
      });

      const llmUnder = (node: string) =>
        nodes
          .filter((run) => run.name === node)
          .flatMap(children)
          .filter((run) => run.run_type === "llm");
      expect(llmUnder("rewritePersonas").map((run) => run.name)).toEqual(["persona", "persona"]);
      expect(llmUnder("writeCommonGround").map((run) => run.name)).toEqual(["common_ground"]);
      expect(llmUnder("speakerTurn")).toHaveLength(4);
      expect(llmUnder("critiqueDialogue").map((run) => run.name)).toEqual(["critique"]);
      expect(llmUnder("selectSpeechEvent")).toEqual([]);
      const llm = llmUnder("critiqueDialogue")[0]!;
      expect(JSON.stringify(llm.inputs)).toContain("Lucía");
      expect(JSON.stringify(llm.outputs)).toContain("accept");
      expect(llm.extra?.metadata).toMatchObject({
        language: "es",
        dialogue_id: record.id,
        ls_provider: "scripted",
        ls_model_name: "crowdworker",
      });
    }
  });

  it("an unreachable endpoint changes no record, warns once and is tried once (no retries, no waits)", async () => {
    const plain = await generate();
    expect(plain.every((record) => record.provenance.trace_id === undefined)).toBe(true);

    const warnings: string[] = [];
    let calls = 0;
    const offline = async () => {
      calls++;
      throw new TypeError("fetch failed", {
        cause: Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" }),
      });
    };
    const traced = await generate(
      createTracing({ env: TRACING_ENV, fetch: offline, warn: (line) => warnings.push(line) }),
    );
    expect(traced.map(stable)).toEqual(plain.map(stable));
    expect(traced.every((record) => typeof record.provenance.trace_id === "string")).toBe(true);
    expect(warnings).toEqual([
      expect.stringMatching(
        /^tracing: LangSmith at http:\/\/langsmith\.test refused the connection; continuing without traces/,
      ),
    ]);
    // the breaker kept the rest of the run off the network
    expect(calls).toBe(1);
  });

  it("a rejected key changes no record and warns once", async () => {
    const fake = fakeLangSmith({ apiKey: "the-right-one" });
    const warnings: string[] = [];
    const traced = await generate(
      createTracing({ env: TRACING_ENV, fetch: fake.fetch, warn: (line) => warnings.push(line) }),
    );
    expect(traced).toHaveLength(2);
    expect(warnings).toEqual([expect.stringMatching(/answered HTTP 401 \(check LANGSMITH_API_KEY\)/)]);
    expect(fake.requests).toHaveLength(1);
  });
});

describe("TracingTransport", () => {
  const problems: string[] = [];
  const transport = (
    fetch: (input: string | URL | Request, init?: RequestInit) => Promise<Response>,
    cooldownMs = 60_000,
  ) =>
    new TracingTransport({
      endpoint: "http://ls",
      requestTimeoutMs: 200,
      cooldownMs,
      onProblem: (p) => problems.push(p),
      fetch,
    });

  it("passes answers through, and the 404 of /runs/multipart (the client then falls back to /runs/batch)", async () => {
    const t = transport(
      async (input) =>
        new Response("{}", {
          status: (input instanceof Request ? input.url : input.toString()).endsWith("/runs/multipart") ? 404 : 200,
        }),
    );
    expect((await t.fetch("http://ls/info")).status).toBe(200);
    expect((await t.fetch("http://ls/runs/multipart", { method: "POST" })).status).toBe(404);
    expect(t.failed).toBe(false);
  });

  it("answers for a server that does not, then stays off the network while the breaker is open", async () => {
    problems.length = 0;
    let calls = 0;
    const t = transport(async (_input, init) => {
      calls++;
      // never answers: only the transport's timeout ends it
      return new Promise<Response>((_resolve, reject) =>
        init?.signal?.addEventListener("abort", () => reject(init.signal!.reason as Error)),
      );
    });
    const info = await t.fetch("http://ls/info");
    expect(info.status).toBe(200);
    expect(await info.json()).toEqual({});
    expect((await t.fetch("http://ls/runs/multipart", { method: "POST" })).status).toBe(202);
    expect(calls).toBe(1);
    expect(problems).toEqual(["LangSmith at http://ls did not answer within 0.2 s"]);
  });

  it("tries again after the cool-down, except after a rejected key", async () => {
    let calls = 0;
    const flaky = transport(async () => (calls++ === 0 ? new Response("", { status: 503 }) : new Response("{}")), 0);
    await flaky.fetch("http://ls/runs/batch");
    expect((await flaky.fetch("http://ls/runs/batch")).status).toBe(200);
    expect(calls).toBe(2);

    let keyCalls = 0;
    const badKey = transport(async () => (keyCalls++, new Response("", { status: 403 })), 0);
    await badKey.fetch("http://ls/runs/batch");
    await badKey.fetch("http://ls/runs/batch");
    expect(keyCalls).toBe(1);
  });

  it("close() aborts what is in flight and answers the rest at once", async () => {
    problems.length = 0;
    let calls = 0;
    const t = transport(async (_input, init) => {
      calls++;
      return new Promise<Response>((_resolve, reject) =>
        init?.signal?.addEventListener("abort", () => reject(init.signal!.reason as Error)),
      );
    });
    const pending = t.fetch("http://ls/runs/multipart", { method: "POST" });
    t.close();
    expect((await pending).status).toBe(202);
    expect((await t.fetch("http://ls/runs/multipart")).status).toBe(202);
    expect(calls).toBe(1);
    expect(problems).toEqual([]);
  });
});
