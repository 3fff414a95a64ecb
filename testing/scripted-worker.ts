/**
 * A fleet worker whose model is the scripted Spanish crowdworker (testing/spanish-script.ts) answering every call
 * after `--latency-ms MS` (default 0), for the fleet tests and `npm run bench -- fleet`:
 *
 *   node --import tsx testing/scripted-worker.ts --latency-ms 100 --queue redis://… [the other `npm run worker` flags]
 *
 * Everything but the model is `npm run worker`'s own code (app/cli/worker-command.ts), which takes the model
 * factory this passes in (a judge, with --judge-model, would be scripted too).
 */
import { runMain, UsageError } from "../app/cli/errors.js";
import { runWorkerCommand } from "../app/cli/worker-command.js";
import { spanishScriptedModel } from "./spanish-script.js";

const argv = process.argv.slice(2);
const at = argv.indexOf("--latency-ms");
const latency = at < 0 ? 0 : Number(argv[at + 1]);
if (at >= 0) argv.splice(at, 2);

// the same program name as `npm run worker`: its messages are the worker's own
runMain("polyglot-personachat worker", async () => {
  if (!Number.isInteger(latency) || latency < 0)
    throw new UsageError(`--latency-ms: a whole number of milliseconds, not ${JSON.stringify(argv[at + 1])}`);
  return runWorkerCommand(argv, { createModel: () => spanishScriptedModel(latency, { keepCalls: false }) });
});
