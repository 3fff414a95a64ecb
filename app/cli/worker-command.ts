/**
 * The body of `npm run worker` (scripts/worker.ts): reads the flags, fetches the default model on first use, and
 * runs a fleet worker (app/fleet/worker.ts) until SIGINT / SIGTERM (jobs in flight finish; a second signal
 * abandons them). Tests and benchmarks pass their own models (testing/scripted-worker.ts) instead of a flag.
 */
import { redactSecrets } from "../../lib/security/redact.js";
import type { WorkerModelFactory } from "../fleet/worker.js";
import { parseQueueUrl, workerIdentity } from "../fleet/fleet.js";
import { modelContext } from "./flag-types.js";
import { parseWorkerFlags, WORKER_HELP } from "./worker-flags.js";

export interface WorkerCommandOptions {
  /** Builds the worker's models; default: the model factory on the provider/model flags' settings (fetching the
   * default model first when it is needed and missing). */
  createModel?: WorkerModelFactory;
}

export async function runWorkerCommand(argv: string[], options: WorkerCommandOptions = {}): Promise<number> {
  const flags = parseWorkerFlags(argv);
  if (!flags) {
    console.log(WORKER_HELP);
    return 0;
  }
  const target = parseQueueUrl(flags.queue, { blocking: true, maxReconnects: 20 });
  // the graph, BullMQ and the model code take seconds to load: only once the flags are read
  const [{ chatModelSettings, judgeModelSettings, resolveConfig }, { runWorker }] = await Promise.all([
    import("../../nodes/configuration.js"),
    import("../fleet/worker.js"),
  ]);
  const config = resolveConfig(modelContext(flags));
  const stop = new AbortController();
  let signals = 0;
  const onSignal = () => {
    if (++signals > 1) process.exit(130);
    stop.abort();
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  // the first worker on a machine fetches the default model; the others wait for it (a lock), then load it
  const chat = chatModelSettings(config);
  const judge = judgeModelSettings(config);
  if (!options.createModel) {
    const [{ needsDefaultModel }, { ensureDefaultModel }] = await Promise.all([
      import("../../lib/models/factory.js"),
      import("../../lib/models/auto-pull.js"),
    ]);
    if (needsDefaultModel(chat, judge))
      await ensureDefaultModel({
        noDownload: flags["no-download"],
        signal: stop.signal,
        program: "polyglot-personachat worker",
      });
  }
  const code = await runWorker(
    {
      target,
      concurrency: flags.concurrency,
      chat,
      judge,
      identity: workerIdentity(flags.name),
      lockDurationMs: flags["lock-seconds"] * 1000,
      stalledIntervalMs: flags["stalled-seconds"] * 1000,
      createModel: options.createModel,
      // job failures and Redis errors can carry URLs: printed without their passwords
      log: (line) => console.error(redactSecrets(line)),
    },
    stop.signal,
  );
  return signals > 0 ? 130 : code;
}
