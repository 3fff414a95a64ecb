/**
 * Fleet benchmark: throughput of 1, 2, 4 worker processes on one queue, against the ideal.
 *
 *   npm run bench -- fleet [--latency MS] [--workers 1,2,4] [--concurrency C] [--rounds R]
 *
 * Starts its own redis-server (free loopback port, temp dir, no persistence). For each worker count W: W worker
 * processes (`testing/scripted-worker.ts --latency-ms MS`: `npm run worker` with the in-process scripted Spanish
 * model, whose every call takes MS) with --concurrency C each; the coordinator's enqueue-and-collect step
 * (app/fleet/coordinator.ts, polling every 100 ms) writes W × C × R dialogues into a journal with near-duplicate
 * review. Every dialogue makes the same number of calls k (measured once in-process), so the ideal throughput is
 * W × C / (k × latency); `ratio` = achieved / ideal. Worker start-up (module loading) is not timed.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { resolveConfig } from "../../nodes/configuration.js";
import { fleetGenerator } from "../../app/fleet/coordinator.js";
import { startLocalRedis, until } from "../../testing/local-redis.js";
import { generationSettings, parseQueueUrl } from "../../app/fleet/fleet.js";
import { loadPromptSet } from "../../lib/prompts/loader.js";
import { generateDialogues, planJobs } from "../../app/run/generate.js";
import { NearDuplicateIndex } from "../../app/run/near-duplicate.js";
import { RecordFile } from "../../app/run/record-file.js";
import { spanishScriptedModel } from "../../testing/spanish-script.js";

const root = fileURLToPath(new URL("../..", import.meta.url));
const TURNS = 6;

function startWorker(
  url: string,
  latency: number,
  concurrency: number,
  name: string,
): { child: ChildProcess; ready: () => boolean } {
  const child = spawn(
    process.execPath,
    [
      "--import",
      "tsx",
      "testing/scripted-worker.ts",
      "--latency-ms",
      String(latency),
      "--queue",
      url,
      "--concurrency",
      String(concurrency),
      "--name",
      name,
    ],
    {
      cwd: root,
      env: { ...process.env, LANGSMITH_TRACING: "false" },
      detached: true,
      stdio: ["ignore", "ignore", "pipe"],
    },
  );
  let stderr = "";
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  return { child, ready: () => /taking jobs/.test(stderr) };
}

export async function run(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      latency: { type: "string", default: "200" },
      workers: { type: "string", default: "1,2,4" },
      concurrency: { type: "string", default: "4" },
      rounds: { type: "string", default: "3" },
    },
  });
  const latency = Number(values.latency);
  const concurrency = Number(values.concurrency);
  const rounds = Number(values.rounds);
  const levels = values.workers.split(",").map(Number);
  const settings = generationSettings(resolveConfig({ turnsMin: TURNS, turnsMax: TURNS }));
  const promptHash = loadPromptSet(settings.promptVariant).hash;

  // calls per dialogue, measured once in-process with the same script
  const probe = spanishScriptedModel(0, { keepCalls: false });
  await generateDialogues({
    jobs: planJobs({ languages: ["es"], n: 1, seed: 1 }),
    context: { chatModel: probe, ...settings },
  });
  const k = probe.callCount;

  const dir = mkdtempSync(join(tmpdir(), "bench-fleet-"));
  const redis = await startLocalRedis(dir);
  const port = redis.port;
  try {
    for (const w of levels) {
      const url = `redis://127.0.0.1:${port}?queue=bench-${w}-${Date.now()}`;
      const workers = Array.from({ length: w }, (_, i) => startWorker(url, latency, concurrency, `w${i + 1}`));
      try {
        await until(`${w} workers ready`, () => workers.every((x) => x.ready()), 120_000);
        const count = w * concurrency * rounds;
        const file = RecordFile.open(join(dir, `fleet-${w}.jsonl`)).file;
        const dedup = new NearDuplicateIndex();
        let accepted = 0;
        const generate = fleetGenerator({
          target: parseQueueUrl(url),
          settings,
          configHash: `bench-${w}`,
          promptHash,
          limits: {},
          pollMs: 100,
        });
        const t0 = performance.now();
        await generate({
          jobs: planJobs({ languages: ["es"], n: count, seed: 100 + w }),
          context: {},
          file,
          review: (record) => dedup.review(record),
          onRecord: (record) => {
            if (record.status === "accepted") accepted++;
          },
        });
        const wallS = (performance.now() - t0) / 1000;
        await file.closeAsync();
        const achieved = count / wallS;
        const ideal = (w * concurrency) / ((k * latency) / 1000);
        console.log(
          `workers ${w}: ${(achieved * 60).toFixed(1)} dialogues/min, ideal ${(ideal * 60).toFixed(1)}, ratio ${(achieved / ideal).toFixed(3)}  (${count} dialogues × ${k} calls of ${latency} ms, concurrency ${concurrency} per worker, ${wallS.toFixed(2)} s; ${accepted} accepted)`,
        );
      } finally {
        for (const x of workers) {
          try {
            process.kill(-x.child.pid!, "SIGKILL");
          } catch {
            // gone
          }
        }
      }
    }
  } finally {
    redis.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  console.log(
    `machine load average ${loadavg()
      .map((x) => x.toFixed(1))
      .join(" ")} on ${cpus().length} cores`,
  );
  return 0;
}
