import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HumanMessage, SystemMessage } from "@langchain/core/messages";
import { findLlamaServer } from "../lib/models/llama-server-build.js";
import { createRemoteChatModel } from "../lib/models/remote.js";
import { type LlamaServer, startLlamaServer } from "../testing/llama-server.js";
import { tinyWordsFor, writeTinyGguf } from "../lib/models/tiny-gguf.js";
import { DialogueRecordSchema } from "../lib/records/schema.js";
import { completeLines, startScript } from "../testing/processes.js";

// `npm run graph --provider openai` against llama.cpp's own server (built by `npm run llama-server:build`) serving
// the Italian tiny word model: the real server's wire format, slots, usage and failure, not our stand-in's.

const found = await findLlamaServer();
const dir = mkdtempSync(join(tmpdir(), "graph-llama-server-"));
const model = join(dir, "it.gguf");
const PARALLEL = 2;
let server: LlamaServer | undefined;

function graph(out: string, extra: string[]) {
  return startScript(
    "scripts/graph.ts",
    [
      "--provider",
      "openai",
      "--base-url",
      server!.baseUrl,
      "--model",
      server!.alias,
      "--lang",
      "it",
      "--turns",
      "4-6",
      "--out",
      out,
      ...extra,
    ],
    { OPENAI_API_KEY: "", OPENAI_BASE_URL: "" },
  );
}

function records(path: string) {
  return completeLines(path).map((line) => DialogueRecordSchema.parse(JSON.parse(line)));
}

describe.skipIf(!found.ok)(
  `npm run graph against a real llama-server${found.ok ? "" : ` (SKIPPED: ${found.reason})`}`,
  () => {
    beforeAll(async () => {
      await writeTinyGguf(model, { words: tinyWordsFor("it") });
      server = await startLlamaServer({ binary: (found as { binary: string }).binary, model, parallel: PARALLEL });
    });
    afterAll(async () => {
      await server?.stop();
    });

    it("one call at a time through the remote model: its usage is the server's prompt (evaluated + cached), the repeated prefix comes from the cache", async () => {
      const chat = createRemoteChatModel(
        { provider: "openai", model: server!.alias, baseUrl: server!.baseUrl, seed: 1, maxTokens: 8 },
        { OPENAI_API_KEY: "" },
      );
      const system = new SystemMessage(`Sei ${tinyWordsFor("it").slice(0, 200).join(" ")}.`);
      const first = await chat.invoke([system, new HumanMessage("Ciao.")]);
      const second = await chat.invoke([system, new HumanMessage("Come stai?")]);
      const timings = [first, second].map((answer) => answer.response_metadata.timings as Record<string, number>);
      for (const [i, answer] of [first, second].entries()) {
        // OpenAI's usage.prompt_tokens is the whole prompt; llama.cpp splits it into evaluated (prompt_n) and reused (cache_n)
        expect(answer.usage_metadata?.input_tokens).toBe(timings[i]!.prompt_n! + timings[i]!.cache_n!);
      }
      // the second call's shared system prompt was not evaluated again (this build caches by default; older ones need
      // the cache_prompt the remote model sends once it knows a llama.cpp server: remote.int.test.ts)
      expect(timings[1]!.cache_n).toBeGreaterThan(100);
      expect(timings[1]!.prompt_n).toBeLessThan(timings[0]!.prompt_n!);
    });

    it(`writes whole dialogues, one of them accepted, at --concurrency below and above its ${PARALLEL} slots; the records' tokens are the server's`, async () => {
      const before = await server!.metrics();
      const low = join(dir, "low.jsonl");
      const high = join(dir, "high.jsonl");
      // at --concurrency 1 the run is reproducible: each call's seed (callSeed: the run's seed and the messages) is
      // sent with the request, one request at a time on one thread (--threads 1). With the personas planned for
      // it-10-00001, the word model's dialogue passes every gate and the critique's random verdict and scores pass.
      const one = await graph(low, ["--n", "2", "--seed", "10", "--concurrency", "1"]).done;
      expect(one.code, one.stderr).toBe(0);
      const accepted = records(low).find((r) => r.id === "it-10-00001");
      const statuses = records(low).map((r) => `${r.id} ${r.status} ${JSON.stringify(r.rejection_reasons)}`);
      // prompts, gates or the plan changed: pick another --seed whose dialogue the critique accepts
      expect(accepted?.status, statuses.join("; ")).toBe("accepted");
      expect(accepted?.rejection_reasons).toEqual([]);
      expect(accepted?.critique?.verdict).toBe("accept");
      expect(accepted?.turns.length).toBeGreaterThanOrEqual(4);
      expect(accepted?.turns.map((t) => t.speaker).join("")).toMatch(/^(AB)+A?$/);
      const words = new Set(tinyWordsFor("it"));
      for (const turn of accepted?.turns ?? []) expect(turn.text.split(/\s+/).filter((w) => !words.has(w))).toEqual([]);
      // more dialogues in flight than slots: the server queues the rest (whose batching makes this run's text vary)
      const four = await graph(high, ["--n", "4", "--seed", "4", "--concurrency", "4"]).done;
      expect(four.code, four.stderr).toBe(0);
      const all = [...records(low), ...records(high)];
      expect(all).toHaveLength(6);
      expect(all.every((r) => r.provenance.provider === "openai" && r.provenance.model === server!.alias)).toBe(true);
      const after = await server!.metrics();
      const delta = (name: string) => (after[`llamacpp:${name}`] ?? 0) - (before[`llamacpp:${name}`] ?? 0);
      const sum = (tokens: (r: (typeof all)[number]) => number) => all.reduce((total, r) => total + tokens(r), 0);
      expect(sum((r) => r.provenance.usage.output_tokens)).toBe(delta("tokens_predicted_total"));
      // the records' input tokens are the prompts the server received: its prompt_tokens_total counts only the
      // tokens it evaluated, prompt_tokens_cached_total those it took from the cache (cache_prompt)
      const evaluated = delta("prompt_tokens_total");
      const cached = delta("prompt_tokens_cached_total");
      expect(cached).toBeGreaterThan(evaluated);
      expect(sum((r) => r.provenance.usage.input_tokens)).toBe(evaluated + cached);
    }, 900_000);

    it("the server killed mid-run: one line, the records written stay; the same command resumes once it is back", async () => {
      const out = join(dir, "killed.jsonl");
      const args = ["--n", "4", "--seed", "9", "--concurrency", "1"];
      const run = graph(out, args);
      while (completeLines(out).length < 1) {
        if (run.child.exitCode !== null) break;
        await new Promise((r) => setTimeout(r, 200));
      }
      const port = server!.port;
      await server!.kill();
      const result = await run.done;
      // the call in flight breaks off (retried), the retries find nothing listening: "cannot reach", exit 2
      expect([1, 2], result.stderr).toContain(result.code);
      const lines = result.stderr
        .trim()
        .split("\n")
        .filter((line) => line && !line.startsWith("[progress") && !line.startsWith("model: "));
      expect(lines, result.stderr).toHaveLength(1);
      expect(lines[0]).toMatch(/cannot reach|broke off/);
      const written = records(out);
      expect(written.length).toBeGreaterThanOrEqual(1);
      server = await startLlamaServer({
        binary: (found as { binary: string }).binary,
        model,
        parallel: PARALLEL,
        port,
      });
      const resumed = await graph(out, args).done;
      expect(resumed.code, resumed.stderr).toBe(0);
      const ids = records(out).map((r) => r.id);
      expect(new Set(ids).size).toBe(4);
      expect(ids).toHaveLength(4);
      expect(ids.slice(0, written.length)).toEqual(written.map((r) => r.id));
      expect(readFileSync(out, "utf8").endsWith("\n")).toBe(true);
    }, 900_000);
  },
);
