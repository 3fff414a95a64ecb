/**
 * `npm run worker -- --queue redis://HOST:PORT [--concurrency N] [provider/model flags]`: a fleet worker
 * (app/fleet/worker.ts). Runs until SIGINT / SIGTERM (jobs in flight finish; a second signal abandons them, and
 * BullMQ hands them to another worker once their lock expires). A user's mistake: one line, exit 2; Redis
 * unreachable (within a few seconds), lost for good mid-run (after about 20 s of reconnecting) or a model
 * failure: one line, exit 1.
 */
import { runMain } from "../app/cli/errors.js";
import { modelContext } from "../app/cli/flag-types.js";
import { parseWorkerFlags, WORKER_HELP } from "../app/cli/worker-flags.js";
import { parseQueueUrl, workerIdentity } from "../app/fleet/fleet.js";
import { redactSecrets } from "../lib/security/redact.js";

async function main(argv: string[]): Promise<number> {
  const flags = parseWorkerFlags(argv);
  if (!flags) {
    console.log(WORKER_HELP);
    return 0;
  }
  const target = parseQueueUrl(flags.queue, { blocking: true, maxReconnects: 20 });
  // the graph, BullMQ and the model code take seconds to load: only once the flags are read
  const [{ chatModelSettings, judgeModelSettings, resolveConfig }, { runWorker }] = await Promise.all([
    import("../nodes/configuration.js"),
    import("../app/fleet/worker.js"),
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
  if (flags["scripted-latency"] === undefined) {
    const [{ needsDefaultModel }, { ensureDefaultModel }] = await Promise.all([import("../lib/models/factory.js"), import("../lib/models/auto-pull.js")]);
    if (needsDefaultModel(chat, judge)) await ensureDefaultModel({ noDownload: flags["no-download"], signal: stop.signal, program: "polyglot-personachat worker" });
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
      scriptedLatencyMs: flags["scripted-latency"],
      // job failures and Redis errors can carry URLs: printed without their passwords
      log: (line) => console.error(redactSecrets(line)),
    },
    stop.signal,
  );
  return signals > 0 ? 130 : code;
}

runMain("polyglot-personachat worker", () => main(process.argv.slice(2)));
