/**
 * Batch benchmark: how well the run's worker pool uses a model whose calls take a fixed time, and what the
 * orchestration costs per turn.
 *
 *   npm run bench -- batch [--latency MS] [--rounds N] [--warm-up N] [--overhead-dialogues N] [--overhead-rounds N]
 *                          [--concurrency 1,8,64] [--worker-threads 2]
 *
 * - For each concurrency N: dialogues = N × rounds through the whole pipeline of a run (graph, near-duplicate
 *   review, crash-safe JSONL appends) with an in-process scripted model that answers valid Spanish after a fixed
 *   latency (ScriptedChatModel, 200 ms). Every dialogue makes the same number of calls c, so the ideal throughput
 *   is N / (c × latency); `efficiency` = achieved / ideal. Target ≥ 0.95 at 64.
 * - `concurrency 64, 2 worker threads`: the same dialogues at the highest concurrency right after, spread over
 *   `--worker-threads` threads (app/run/worker-threads.ts; each builds the same scripted model, testing/thread-models.ts,
 *   and gets the warm-up this thread got, `--warm-up` dialogues, before the clock starts, as a run's start-up is not counted
 *   either); `,`-separated for several, empty for none. Side by side, so both figures see the same machine load.
 * - `overhead per turn`: the same with a zero-latency model at concurrency 1: wall time (and CPU time) per turn
 *   written. Target ≤ 1 ms, and ≤ 0.5 ms above the engine floor.
 * - `engine floor per turn`: for scale, what LangGraph alone costs here: a StateGraph of the same shape (the same
 *   steps per dialogue, with a few trivial state keys and nodes that do nothing) run the same way.
 * - `speed reference`: a fixed empty graph (referenceFloor) that no change of ours moves, timed on the machine the
 *   targets were set on (REFERENCE_MS): how fast this machine is now, and the two figures above at that speed.
 * The last three are measured in alternating rounds (`--overhead-rounds`), so that all three see the same machine (a
 * shared VM's speed drifts by tens of percent within minutes), and printed as medians with their range.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { Annotation, Command, END, START, StateGraph } from "@langchain/langgraph";
import { installUntracedRunContext } from "../../lib/untraced-context.js";
import { type GenerateOptions, generateDialogues, planJobs } from "../../app/run/generate.js";
import { WorkerThreadPool } from "../../app/run/worker-threads.js";
import { NearDuplicateIndex } from "../../app/run/near-duplicate.js";
import { RecordFile } from "../../app/run/record-file.js";
import { spanishScriptedModel } from "../../testing/spanish-script.js";
import { THREAD_MODELS } from "../../testing/thread-models.js";

const TURNS = 6;
const CONTEXT = { turnsMin: TURNS, turnsMax: TURNS };

interface Measured {
  dialogues: number;
  turns: number;
  calls: number;
  accepted: number;
  wallMs: number;
  cpuMs: number;
}

/**
 * Runs `count` dialogues through the run's pipeline (graph, near-duplicate review, JSONL journal): in this thread,
 * or with `threads` > 1 over that many worker threads (`--worker-threads`), each with the same scripted model built
 * in the thread (testing/thread-models.ts). The threads start (their modules load) before the clock does.
 */
async function measure(
  latencyMs: number,
  concurrency: number,
  count: number,
  seed: number,
  threads = 1,
  /** with threads: the dialogues each thread runs before the clock starts, as this thread did */
  warmUp = 0,
): Promise<Measured> {
  const dir = mkdtempSync(join(tmpdir(), "bench-batch-"));
  const file = RecordFile.open(join(dir, "out.jsonl")).file;
  const dedup = new NearDuplicateIndex();
  const model = spanishScriptedModel(latencyMs, { keepCalls: false });
  const jobs = planJobs({ languages: ["es"], n: count, seed });
  let turns = 0;
  let started = 0;
  let accepted = 0;
  let cpu0 = process.cpuUsage();
  let t0 = performance.now();
  const options: GenerateOptions = {
    jobs,
    context: { chatModel: model, ...CONTEXT },
    concurrency,
    file,
    review: (record) => dedup.review(record),
    onStart: () => {
      // the clock starts with the first dialogue (with threads: once every thread is ready)
      if (started++ === 0) {
        cpu0 = process.cpuUsage();
        t0 = performance.now();
      }
    },
    onRecord: (record) => {
      turns += record.turns.length;
      if (record.status === "accepted") accepted++;
    },
  };
  if (threads > 1) {
    const pool = await WorkerThreadPool.start(
      {
        threads,
        chat: { provider: "openai", model: "scripted" },
        settings: CONTEXT,
        factory: { module: THREAD_MODELS, export: "spanish", options: { latencyMs } },
      },
      threads,
    );
    try {
      // the warm-up this thread had (JIT, module caches), in each thread, all at once, before the clock
      const warmUpJobs = planJobs({ languages: ["es"], n: warmUp * threads, seed: 999 });
      await pool.generate({ jobs: warmUpJobs, context: CONTEXT, concurrency: warmUpJobs.length });
      await pool.generate(options);
    } finally {
      await pool.close();
    }
  } else await generateDialogues(options);
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  file.close();
  rmSync(dir, { recursive: true, force: true });
  // the threads' models count their calls where they are (NaN here): every dialogue makes the same calls
  const calls = threads > 1 ? Number.NaN : model.callCount;
  return { dialogues: count, turns, calls, accepted, wallMs, cpuMs: (cpu.user + cpu.system) / 1000 };
}

/** Wall time per turn of `count` invocations of an empty graph, after 20 unclocked ones. */
async function wallPerTurn(
  graph: { invoke: (input: object, options?: object) => Promise<unknown> },
  turns: number,
  count: number,
) {
  for (let i = 0; i < 20; i++) await graph.invoke({});
  const t0 = performance.now();
  for (let i = 0; i < count; i++) await graph.invoke({}, { recursionLimit: 1000 });
  return (performance.now() - t0) / (count * turns);
}

/**
 * An empty StateGraph of the dialogue graph's shape: three planning steps, `turns` turn steps (the speaker's node,
 * which checks its turn too, routed back to itself), critique, finalize. Returns the wall time per turn over
 * `count` invocations.
 */
export async function engineFloor(turns: number, count: number): Promise<number> {
  const State = Annotation.Root({
    turns: Annotation<string[]>({ reducer: (_current, update) => update, default: () => [] }),
  });
  const nothing = () => ({});
  const floor = new StateGraph(State)
    .addNode("personas", nothing)
    .addNode("event", nothing)
    .addNode("commonGround", nothing)
    // routed as the dialogue graph routes (graphs/dialogue/routes.ts): the node returns its update and the next node
    .addNode(
      "turn",
      (state: typeof State.State) => {
        const next = [...state.turns, "…"];
        return new Command({ update: { turns: next }, goto: next.length >= turns ? "critique" : "turn" });
      },
      { ends: ["turn", "critique"] },
    )
    .addNode("critique", nothing)
    .addNode("finalize", nothing)
    .addEdge(START, "personas")
    .addEdge("personas", "event")
    .addEdge("event", "commonGround")
    .addEdge("commonGround", "turn")
    .addEdge("critique", "finalize")
    .addEdge("finalize", END)
    .compile();
  return wallPerTurn(floor, turns, count);
}

/**
 * The speed reference: the empty graph the batch targets were set against (issue 17, Node 24.22: 0.64–0.69 ms per
 * turn): three planning steps, then per turn a turn step and a check step routed by a conditional edge, critique,
 * finalize (17 steps for 6 turns). Kept as it was then, whatever the dialogue graph becomes.
 */
export async function referenceFloor(turns: number, count: number): Promise<number> {
  const State = Annotation.Root({
    turns: Annotation<string[]>({ reducer: (_current, update) => update, default: () => [] }),
    checked: Annotation<boolean>({ reducer: (_current, update) => update, default: () => false }),
  });
  const nothing = () => ({});
  const reference = new StateGraph(State)
    .addNode("personas", nothing)
    .addNode("event", nothing)
    .addNode("commonGround", nothing)
    .addNode("turn", (state: typeof State.State) => ({ turns: [...state.turns, "…"], checked: false }))
    .addNode("check", () => ({ checked: true }))
    .addNode("critique", nothing)
    .addNode("finalize", nothing)
    .addEdge(START, "personas")
    .addEdge("personas", "event")
    .addEdge("event", "commonGround")
    .addEdge("commonGround", "turn")
    .addEdge("turn", "check")
    .addConditionalEdges("check", (state) => (state.turns.length >= turns ? "critique" : "turn"), ["turn", "critique"])
    .addEdge("critique", "finalize")
    .addEdge("finalize", END)
    .compile();
  return wallPerTurn(reference, turns, count);
}

/** referenceFloor per turn on the machine and Node (24.22) the batch targets were set on: the middle of 0.64–0.69 ms. */
export const REFERENCE_MS = 0.665;

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** "1.37 ms (median of 5: 1.12–1.73)" */
function spread(values: readonly number[]): string {
  return `${median(values).toFixed(2)} ms  (median of ${values.length}: ${Math.min(...values).toFixed(2)}–${Math.max(...values).toFixed(2)}`;
}

export async function run(argv: string[]): Promise<number> {
  // the runtime set-up of a run (runDialogue installs it too), in place before the engine floor is measured
  installUntracedRunContext();
  const { values } = parseArgs({
    args: argv,
    options: {
      latency: { type: "string", default: "200" },
      rounds: { type: "string", default: "10" },
      "warm-up": { type: "string", default: "300" },
      "overhead-dialogues": { type: "string", default: "100" },
      "overhead-rounds": { type: "string", default: "9" },
      concurrency: { type: "string", default: "1,8,64" },
      "worker-threads": { type: "string", default: "2" },
    },
  });
  const threadCounts = values["worker-threads"]
    .split(",")
    .filter(Boolean)
    .map(Number)
    .filter((t) => t > 1);
  const latency = Number(values.latency);
  const rounds = Number(values.rounds);
  const levels = values.concurrency.split(",").map(Number);

  // warm-up: JIT, module caches, the language detector's tables (with 20 dialogues instead of 300, concurrency 64
  // still compiled as it went: 21 ms of CPU per dialogue instead of 17, efficiency 0.92 instead of 0.94)
  const warmUp = Number(values["warm-up"]);
  await measure(0, 4, warmUp, 999);

  for (const n of levels) {
    const m = await measure(latency, n, n * rounds, n);
    const callsPerDialogue = m.calls / m.dialogues;
    const ideal = n / ((callsPerDialogue * latency) / 1000); // dialogues per second
    const report = (label: string, m: Measured) => {
      const achieved = m.dialogues / (m.wallMs / 1000);
      const cpuPerDialogue = m.cpuMs / m.dialogues;
      console.log(
        `${label}: efficiency ${(achieved / ideal).toFixed(3)}  (${m.dialogues} dialogues × ${callsPerDialogue} calls of ${latency} ms in ${(m.wallMs / 1000).toFixed(2)} s, ideal ${(m.dialogues / ideal).toFixed(2)} s; ${m.accepted} accepted; ${cpuPerDialogue.toFixed(1)} ms CPU per dialogue, this process had ${((m.cpuMs / m.wallMs) * 100).toFixed(0)} % of a core)`,
      );
    };
    report(`concurrency ${n}`, m);
    // the same dialogues over worker threads (--worker-threads), right after, on the same machine load
    if (threadCounts.length && n === Math.max(...levels))
      for (const t of threadCounts)
        report(`concurrency ${n}, ${t} worker threads`, await measure(latency, n, n * rounds, n, t, warmUp));
  }
  // overhead, engine floor and speed reference, round by round, so that all three see the same machine
  const dialogues = Number(values["overhead-dialogues"]);
  const wall: number[] = [];
  const cpu: number[] = [];
  const floor: number[] = [];
  const reference: number[] = [];
  let o: Measured | undefined;
  for (let round = 0; round < Math.max(1, Number(values["overhead-rounds"])); round++) {
    o = await measure(0, 1, dialogues, 7);
    wall.push(o.wallMs / o.turns);
    cpu.push(o.cpuMs / o.turns);
    floor.push(await engineFloor(TURNS, dialogues));
    reference.push(await referenceFloor(TURNS, dialogues));
  }
  const above = wall.map((w, i) => w - floor[i]!);
  console.log(
    `overhead per turn: ${spread(wall)}; CPU ${median(cpu).toFixed(2)} ms; ${o!.turns} turns in ${o!.dialogues} dialogues of ${o!.calls / o!.dialogues} calls a round, every node of the dialogue counted)`,
  );
  console.log(
    `engine floor per turn: ${spread(floor)}; for scale: LangGraph alone, an empty graph of the same ${3 + TURNS + 2} steps per dialogue)`,
  );
  console.log(`overhead above the engine floor: ${spread(above)}, round by round)`);
  // each round scaled by its own reference: the machine's speed drifts between rounds as much as within a run
  const speed = reference.map((r) => REFERENCE_MS / r);
  const atReference = (values: number[]) => median(values.map((v, i) => v * speed[i]!)).toFixed(2);
  console.log(
    `speed reference: ${spread(reference)}; a fixed 17-step empty graph, ${REFERENCE_MS} ms on the machine the targets were set on: this one runs at ${median(speed).toFixed(2)}× that speed)`,
  );
  console.log(
    `at the reference speed (each round scaled by its own reference, medians): overhead per turn ${atReference(wall)} ms, engine floor ${atReference(floor)} ms, overhead above the floor ${atReference(above)} ms`,
  );
  console.log(
    `machine load average ${loadavg()
      .map((x) => x.toFixed(1))
      .join(" ")} on ${cpus().length} cores`,
  );
  return 0;
}
