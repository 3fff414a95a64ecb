import { Client, type Example } from "langsmith";
import { describe, expect, it, vi } from "vitest";
import { runDialogue } from "../graphs/dialogue/graph.js";
import type { DialogueJob } from "../app/run/generate.js";
import { datasetExamples, evalDatasetName, runExperiment } from "./langsmith.js";
import { metricTable } from "./metrics.js";
import { evalJobs, Scorer } from "./run.js";
import { scriptedWriter } from "../testing/scripted-eval-models.js";

/**
 * runExperiment drives langsmith's real evaluate() here, but against an in-process stand-in for the LangSmith
 * API that accepts every request (no socket, no network): it shows the target runs once per example with the
 * example's job, and which feedback goes out. It is not a test against a real LangSmith.
 */
function permissiveApi() {
  const feedback: { key: string; score: number }[] = [];
  const requests: string[] = [];
  const fetch = async (input: string | URL | Request, init?: RequestInit) => {
    const url = new URL(typeof input === "string" ? input : input instanceof URL ? input.href : input.url);
    const method = init?.method ?? "GET";
    requests.push(`${method} ${url.pathname}`);
    let body: unknown = {};
    if (method === "GET" && url.pathname.endsWith("/sessions"))
      body = [{ id: "00000000-0000-4000-8000-000000000300", tenant_id: "t", name: "p" }];
    else if (method === "GET" && /\/datasets\/[^/]+$/.test(url.pathname))
      body = { id: "00000000-0000-4000-8000-000000000200", name: "ds", tenant_id: "t" };
    else if (method === "GET") body = [];
    else if (method === "POST" && url.pathname.endsWith("/sessions")) {
      body = {
        id: "00000000-0000-4000-8000-000000000301",
        name: (JSON.parse(init?.body as string) as { name: string }).name,
        tenant_id: "t",
      };
    } else if (method === "POST" && url.pathname.endsWith("/feedback"))
      feedback.push(JSON.parse(init?.body as string) as { key: string; score: number });
    return new Response(JSON.stringify(body), { status: 200, headers: { "content-type": "application/json" } });
  };
  return { fetch, feedback, requests };
}

describe("a variant as a LangSmith experiment (evaluate() against a permissive in-process API)", () => {
  it("runs the target once per example with its job, and logs per-dialogue and summary feedback", async () => {
    vi.stubEnv("LANGSMITH_TRACING", "false");
    vi.stubEnv("LANGCHAIN_TRACING_V2", "false");
    const api = permissiveApi();
    const client = new Client({
      apiUrl: "http://langsmith.invalid",
      apiKey: "test",
      fetchImplementation: api.fetch,
      autoBatchTracing: false,
      callerOptions: { maxRetries: 0 },
    });
    const jobs = evalJobs(["es"], 2, 1);
    const now = new Date(0).toISOString();
    const examples = datasetExamples(jobs, evalDatasetName(["es"], 2, 1)).map(
      (e) =>
        ({
          ...e,
          dataset_id: "00000000-0000-4000-8000-000000000200",
          created_at: now,
          modified_at: now,
          runs: [],
        }) as unknown as Example,
    );
    const writer = scriptedWriter();
    const seen: DialogueJob[] = [];
    const scorer = new Scorer({ judge: null, scoreRejected: false });
    const result = await runExperiment({
      client,
      examples,
      variant: "whole-dialogue",
      metadata: { model: "scripted" },
      target: async (job) => {
        seen.push(job);
        const state = await runDialogue(
          {
            language: job.language,
            seed: job.seed,
            index: job.index,
            sourcePersonas: job.sourcePersonas!,
            speechEventId: job.speechEventId!,
          },
          {
            chatModel: writer,
            promptVariant: "whole-dialogue",
            turnsMin: 4,
            turnsMax: 4,
          },
        );
        return state.record!;
      },
      score: (dialogue) => scorer.score(dialogue),
      metrics: metricTable(),
      concurrency: 1,
    });
    vi.unstubAllEnvs();
    expect(result.name).toMatch(/^whole-dialogue/);
    expect(seen.map((j) => j.id).sort()).toEqual(jobs.map((j) => j.id).sort());
    expect(seen.find((j) => j.id === jobs[0]!.id)).toEqual(jobs[0]);
    const keys = api.feedback.map((f) => f.key);
    expect(keys.filter((k) => k === "language_fidelity")).toHaveLength(2);
    expect(keys).toContain("distinct_1");
    expect(keys).toContain("tokens_per_accepted_pooled");
    expect(api.feedback.find((f) => f.key === "acceptance_rate")!.score).toBe(1);
    expect(api.requests).toContain("POST /sessions");
  });
});
