import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findLlamaServer } from "../lib/models/llama-server-build.js";
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

    it(`writes whole dialogues, at --concurrency below and above its ${PARALLEL} slots; the records' output tokens are the server's`, async () => {
      const before = await server!.metrics();
      const low = join(dir, "low.jsonl");
      const high = join(dir, "high.jsonl");
      const one = await graph(low, ["--n", "2", "--seed", "3", "--concurrency", "1"]).done;
      expect(one.code, one.stderr).toBe(0);
      const four = await graph(high, ["--n", "4", "--seed", "4", "--concurrency", "4"]).done;
      expect(four.code, four.stderr).toBe(0);
      const all = [...records(low), ...records(high)];
      expect(all).toHaveLength(6);
      // the word model's dialogues get past the gates to the critique; its random verdicts accept some
      expect(all.filter((r) => r.critique !== null).length).toBeGreaterThan(0);
      expect(all.every((r) => r.provenance.provider === "openai" && r.provenance.model === server!.alias)).toBe(true);
      const after = await server!.metrics();
      const predicted =
        (after["llamacpp:tokens_predicted_total"] ?? 0) - (before["llamacpp:tokens_predicted_total"] ?? 0);
      expect(all.reduce((sum, r) => sum + r.provenance.usage.output_tokens, 0)).toBe(predicted);
      console.log(`[llama-server.int] ${all.filter((r) => r.status === "accepted").length}/6 accepted`);
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
