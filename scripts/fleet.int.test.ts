/**
 * A fleet run for real: a redis-server of its own (free loopback port, temp dir, no persistence), two worker
 * processes on the tiny random-weight GGUF, and the coordinator (`npm run graph -- … --queue`). One worker is
 * killed with SIGKILL mid-run: BullMQ's stalled-job check hands its jobs to the other (locks of 3 s here), and
 * the coordinator still ends with exactly 20 unique records; rerunning it enqueues and adds nothing. The
 * coordinator stopped with Ctrl-C: exit 130 and the resume command, the workers finish the queue meanwhile, and
 * the same command collects the rest, each record once. Redis restarted mid-run (empty): coordinator and worker
 * ride it out and the run ends with each record once. Redis gone for good: after about 20 s the coordinator and
 * the worker each stop with one line, the records collected stay, and with Redis back the same commands finish
 * the run, each record once. Redis unreachable: one line, exit 1, within seconds, no file written. Skipped (with the
 * reason) without redis-server.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Queue } from "bullmq";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseQueueUrl } from "../app/fleet/fleet.js";
import { hasRedisServer, type LocalRedis, startLocalRedis, until } from "../testing/local-redis.js";
import { freePort } from "../testing/ports.js";
import { completeLines, type ScriptRun, startScript } from "../testing/processes.js";
import { writeTinyGguf } from "../lib/models/tiny-gguf.js";
import { DialogueRecordSchema } from "../lib/records/schema.js";

const hasRedis = hasRedisServer;
if (!hasRedis) console.warn("fleet.int.test: skipped — no redis-server on PATH (apt-get install -y redis-server)");

const start = (script: string, args: string[], dir: string) =>
  startScript(script, args, { POLYGLOT_MODELS_DIR: join(dir, "empty-cache") });

const kill = (run: ScriptRun | undefined, signal: NodeJS.Signals = "SIGKILL") => {
  try {
    if (run?.child.pid && run.child.exitCode === null && run.child.signalCode === null)
      process.kill(-run.child.pid, signal);
  } catch {
    // already gone
  }
};

describe.skipIf(!hasRedis)("fleet (real redis-server, worker processes, tiny GGUF)", () => {
  const dir = mkdtempSync(join(tmpdir(), "fleet-cli-"));
  const tinyModel = join(dir, "tiny.gguf");
  let redis: LocalRedis | undefined;
  let port = 0;
  const workers: ScriptRun[] = [];

  beforeAll(async () => {
    await writeTinyGguf(tinyModel);
    redis = await startLocalRedis(dir);
    port = redis.port;
  });

  afterAll(async () => {
    for (const worker of workers) kill(worker);
    await Promise.all(workers.map((w) => Promise.race([w.done, new Promise((r) => setTimeout(r, 5000))])));
    redis?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const queue = () => `redis://127.0.0.1:${port}`;
  const worker = (name: string) =>
    start(
      "scripts/worker.ts",
      [
        "--queue",
        queue(),
        "--model",
        tinyModel,
        "--threads",
        "1",
        "--concurrency",
        "2",
        "--name",
        name,
        "--lock-seconds",
        "3",
        "--stalled-seconds",
        "2",
      ],
      dir,
    );
  const coordinator = (out: string) =>
    start(
      "scripts/graph.ts",
      [
        "--lang",
        "es,fr",
        "--n",
        "10",
        "--queue",
        queue(),
        "--model",
        tinyModel,
        "--threads",
        "1",
        "--out",
        out,
        "--quiet",
      ],
      dir,
    );

  it("a worker killed mid-run: its jobs go to the other, 20 records exactly once; a rerun adds nothing", async () => {
    const out = join(dir, "fleet.jsonl");
    const a = worker("worker-a");
    const b = worker("worker-b");
    workers.push(a, b);
    await until(
      "both workers to be ready",
      () => /taking jobs/.test(a.output()) && /taking jobs/.test(b.output()),
      60_000,
    );
    const run = coordinator(out);
    try {
      // worker-a finished one dialogue and (concurrency 2, 20 jobs queued) has others in flight: kill it there
      await until("worker-a to finish a dialogue", () => /done by worker-a/.test(a.output()), 120_000);
      kill(a);
      expect((await a.done).signal).toBe("SIGKILL");
      const result = await Promise.race([
        run.done,
        new Promise<never>((_, reject) =>
          setTimeout(() => reject(new Error("coordinator did not finish in 180 s")), 180_000),
        ),
      ]);
      expect(result.code, result.stderr).toBe(0);
      expect(result.stderr).toMatch(/20 dialogues enqueued/);
      expect(result.stderr).toMatch(/per worker \(this session\): .*worker-b/);
    } finally {
      kill(run);
    }
    const records = completeLines(out).map((line) => DialogueRecordSchema.parse(JSON.parse(line)));
    expect(records).toHaveLength(20);
    expect(new Set(records.map((r) => r.id)).size).toBe(20);
    expect(records.filter((r) => r.language === "es")).toHaveLength(10);
    expect(records.filter((r) => r.language === "fr")).toHaveLength(10);
    // the killed worker's jobs in flight were started again and finished elsewhere (stalled-job recovery)
    const q = new Queue("personachat", { connection: { host: "127.0.0.1", port } });
    try {
      const jobs = await q.getJobs(["completed"], 0, -1);
      expect(jobs).toHaveLength(20);
      const restarted = jobs.filter((job) => job.attemptsStarted > 1 || job.stalledCounter > 0);
      // (with 3 s locks on a loaded machine a live worker's job may stall too and be redone: more work, never a
      // second record — so this only asks that some restarted job was finished by the surviving worker)
      expect(restarted.filter((job) => job.returnvalue.worker.name === "worker-b").length).toBeGreaterThanOrEqual(1);
    } finally {
      await q.close();
    }
    const summary = JSON.parse(readFileSync(join(dir, "fleet.summary.json"), "utf8"));
    expect(summary.total.dialogues).toBe(20);

    const again = await coordinator(out).done;
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toMatch(/20 of 20 dialogues already written/);
    expect(again.stderr).toMatch(/0 dialogues enqueued/);
    expect(completeLines(out)).toHaveLength(20);
  });

  it("the coordinator interrupted with Ctrl-C: exit 130 and the resume command; the same command later collects what the workers finished, each record once", async () => {
    // a queue of its own, and a worker with the scripted Spanish model (100 ms a call: about 1 s a dialogue)
    const url = `${queue()}?queue=ctrl-c`;
    const out = join(dir, "ctrl-c.jsonl");
    const scripted = start(
      "testing/scripted-worker.ts",
      ["--latency-ms", "100", "--queue", url, "--name", "scripted"],
      dir,
    );
    workers.push(scripted);
    await until("the worker to be ready", () => /taking jobs/.test(scripted.output()), 60_000);
    // the training exports come from the same end of a session as a local run's
    const args = [
      "--lang",
      "es",
      "--n",
      "6",
      "--queue",
      url,
      "--model",
      tinyModel,
      "--threads",
      "1",
      "--out",
      out,
      "--quiet",
      "--format",
      "jsonl,personachat",
      "--include-rejected",
    ];

    const first = start("scripts/graph.ts", args, dir);
    await until("the first record", () => completeLines(out).length >= 1, 120_000);
    kill(first, "SIGINT");
    const interrupted = await first.done;
    expect(interrupted.code, interrupted.stderr).toBe(130);
    expect(interrupted.stderr).toMatch(
      /^interrupted: \d+ dialogues written in this session; .*resume with the same command: npm run graph -- .*--queue/m,
    );
    const collected = completeLines(out).length;
    expect(collected).toBeLessThan(6);

    // the jobs stay queued: the worker finishes them without the coordinator
    const q = new Queue("ctrl-c", { connection: { host: "127.0.0.1", port } });
    try {
      await until(
        "the worker to finish the queue",
        async () => (await q.getJobCounts("completed")).completed === 6,
        60_000,
      );
    } finally {
      await q.close();
    }
    const resumed = await start("scripts/graph.ts", args, dir).done;
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stderr).toMatch(new RegExp(`${collected} of 6 dialogues already written; resuming`));
    const ids = completeLines(out).map((line) => DialogueRecordSchema.parse(JSON.parse(line)).id);
    expect(ids).toHaveLength(6);
    expect(new Set(ids).size).toBe(6);
    const personachat = JSON.parse(readFileSync(join(dir, "ctrl-c.personachat.json"), "utf8")) as {
      dialogue: string[][];
    }[];
    expect(personachat).toHaveLength(6);
    expect(readFileSync(join(dir, "ctrl-c.card.md"), "utf8")).toContain("path: ctrl-c.personachat.json");
  });

  it("Redis restarted mid-run, empty: coordinator and worker ride it out, and the run ends with each record once", async () => {
    const own = await startLocalRedis(dir);
    const url = `redis://127.0.0.1:${own.port}`;
    const out = join(dir, "redis-restart.jsonl");
    let restarted: LocalRedis | undefined;
    const scripted = start(
      "testing/scripted-worker.ts",
      ["--latency-ms", "100", "--queue", url, "--concurrency", "2", "--name", "scripted"],
      dir,
    );
    workers.push(scripted);
    let coordinatorRun: ScriptRun | undefined;
    try {
      await until("the worker to be ready", () => /taking jobs/.test(scripted.output()), 60_000);
      coordinatorRun = start(
        "scripts/graph.ts",
        ["--lang", "es", "--n", "8", "--queue", url, "--model", tinyModel, "--threads", "1", "--out", out, "--quiet"],
        dir,
      );
      await until("two records", () => completeLines(out).length >= 2, 120_000);
      own.stop();
      await new Promise((resolve) => setTimeout(resolve, 2000));
      restarted = await startLocalRedis(dir, own.port);

      const coordinator = await coordinatorRun.done;
      expect(coordinator.code, coordinator.stderr).toBe(0);
      expect(coordinator.stderr).toMatch(
        /lost the connection to Redis at 127\.0\.0\.1:\d+ \(it stopped answering\); trying again for up to 20 s/,
      );
      expect(coordinator.stderr).toMatch(/Redis at 127\.0\.0\.1:\d+ is back after \d+ s/);
      const ids = completeLines(out).map((line) => DialogueRecordSchema.parse(JSON.parse(line)).id);
      expect(ids).toHaveLength(8);
      expect(new Set(ids).size).toBe(8);
      // the worker reconnected and is still serving
      expect(scripted.child.exitCode).toBeNull();
    } finally {
      kill(coordinatorRun);
      kill(scripted);
      own.stop();
      restarted?.stop();
    }
  });

  it("Redis gone for good: after about 20 s coordinator and worker stop with one line each, nothing collected is lost; with Redis back the same commands finish the run", async () => {
    const own = await startLocalRedis(dir);
    const url = `redis://127.0.0.1:${own.port}`;
    const out = join(dir, "redis-dies.jsonl");
    const workerArgs = ["--latency-ms", "100", "--queue", url, "--concurrency", "2", "--name", "scripted"];
    const args = [
      "--lang",
      "es",
      "--n",
      "8",
      "--queue",
      url,
      "--model",
      tinyModel,
      "--threads",
      "1",
      "--out",
      out,
      "--quiet",
    ];
    let restarted: LocalRedis | undefined;
    const first = start("testing/scripted-worker.ts", workerArgs, dir);
    workers.push(first);
    let coordinatorRun: ScriptRun | undefined;
    try {
      await until("the worker to be ready", () => /taking jobs/.test(first.output()), 60_000);
      coordinatorRun = start("scripts/graph.ts", args, dir);
      await until("two records", () => completeLines(out).length >= 2, 120_000);
      own.stop();

      const coordinator = await coordinatorRun.done;
      expect(coordinator.code, coordinator.stderr).toBe(1);
      expect(coordinator.stderr).toMatch(/trying again for up to 20 s/);
      const lastLine = coordinator.stderr.trim().split("\n").at(-1)!;
      expect(lastLine).toMatch(
        /^polyglot-personachat: lost the connection to Redis at 127\.0\.0\.1:\d+ \(it stopped answering\); \d+ dialogues are in .*resume with the same command: npm run graph -- /,
      );
      const collected = completeLines(out).map((line) => DialogueRecordSchema.parse(JSON.parse(line)).id);
      expect(collected.length).toBeGreaterThanOrEqual(2);
      expect(collected.length).toBeLessThan(8);

      // the worker too gives up after about 20 s, with one line
      const worker = await first.done;
      expect(worker.code, worker.stderr).toBe(1);
      expect(worker.stderr.trim().split("\n").at(-1)).toMatch(
        /^polyglot-personachat worker: lost the connection to Redis at 127\.0\.0\.1:\d+ and could not reconnect; stopping/,
      );
      expect(worker.stderr).not.toMatch(/^\s+at /m);

      // Redis back on the same port, empty (no persistence): the same two commands finish the run
      restarted = await startLocalRedis(dir, own.port);
      const second = start("testing/scripted-worker.ts", workerArgs, dir);
      workers.push(second);
      const resumed = await start("scripts/graph.ts", args, dir).done;
      expect(resumed.code, resumed.stderr).toBe(0);
      expect(resumed.stderr).toMatch(new RegExp(`${collected.length} of 8 dialogues already written; resuming`));
      expect(resumed.stderr).toMatch(new RegExp(`${8 - collected.length} dialogues enqueued`));
      const ids = completeLines(out).map((line) => DialogueRecordSchema.parse(JSON.parse(line)).id);
      expect(ids).toHaveLength(8);
      expect(new Set(ids).size).toBe(8);
      expect(ids.slice(0, collected.length)).toEqual(collected);
    } finally {
      kill(coordinatorRun);
      own.stop();
      restarted?.stop();
    }
  });

  it("a queue that holds another run's jobs: the coordinator refuses it in one line and leaves those jobs alone", async () => {
    const url = `${queue()}?queue=other-run`;
    const target = parseQueueUrl(url);
    const foreign = new Queue(target.queueName, { connection: target.connection });
    try {
      const data = {
        job: { id: "es-1-00000", language: "es", index: 0, seed: 1 },
        settings: {},
        configHash: "another-run",
        promptHash: "x",
        limits: {},
      };
      await foreign.add("dialogue", data, { jobId: "es-1-00000" });
      const out = join(dir, "other-run.jsonl");
      const result = await start(
        "scripts/graph.ts",
        ["--lang", "es", "--n", "1", "--seed", "1", "--queue", url, "--model", tinyModel, "--out", out],
        dir,
      ).done;
      expect(result.code, result.stderr).toBe(2); // a configuration error, as for any other --queue the run cannot use
      // the error is one line (after the progress line a run always ends with)
      const error = result.stderr.trim().split("\n").at(-1)!;
      expect(error).toMatch(
        /^polyglot-personachat: queue "other-run" at 127\.0\.0\.1:\d+ holds dialogue es-1-00000 of another run configuration: use another queue \(--queue redis:\/\/127\.0\.0\.1:\d+\?queue=NAME\) or empty this one; 0 dialogues are in \S+\.jsonl$/,
      );
      // the other run's job is as it was, and nothing was added beside it
      expect((await foreign.getJob("es-1-00000"))!.data).toEqual(data);
      expect(await foreign.count()).toBe(1);
    } finally {
      await foreign.close();
    }
  });

  it("Redis unreachable: one line, exit 1, nothing written", async () => {
    const closed = await freePort();
    const out = join(dir, "unreachable.jsonl");
    const result = await start(
      "scripts/graph.ts",
      ["--lang", "es", "--n", "2", "--queue", `redis://127.0.0.1:${closed}`, "--model", tinyModel, "--out", out],
      dir,
    ).done;
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split("\n")).toHaveLength(1);
    expect(result.stderr).toMatch(/cannot reach Redis at 127\.0\.0\.1:\d+/);
    expect(existsSync(out)).toBe(false);
    expect(existsSync(join(dir, "unreachable.run.json"))).toBe(false);
  });
});
