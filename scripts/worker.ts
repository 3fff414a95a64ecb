/**
 * `npm run worker -- --queue redis://HOST:PORT [--concurrency N] [provider/model flags]`: a fleet worker
 * (app/cli/worker-command.ts, app/fleet/worker.ts). Runs until SIGINT / SIGTERM (jobs in flight finish; a second
 * signal abandons them, and BullMQ hands them to another worker once their lock expires). A user's mistake: one
 * line, exit 2; Redis unreachable (within a few seconds), lost for good mid-run (after about 20 s of reconnecting)
 * or a model failure: one line, exit 1.
 */
import { runMain } from "../app/cli/errors.js";
import { runWorkerCommand } from "../app/cli/worker-command.js";

runMain("polyglot-personachat worker", () => runWorkerCommand(process.argv.slice(2)));
