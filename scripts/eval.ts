/**
 * `npm run eval -- …`: compares prompt variants (generate with each, same seeds and persona pairs, then score),
 * or scores an existing dataset (our JSONL, or XPersona as the machine-translation baseline). Writes report.md,
 * report.html, results.json (and records/<variant>.jsonl) into --out. See evals/flags.ts for the flags.
 * A user's mistake ends with one line on stderr and exit code 2; a failure of a model, exit code 1.
 */
import { runMain } from "../app/cli/errors.js";
import { EVAL_HELP, parseEvalFlags } from "../evals/flags.js";

async function main(argv: string[]): Promise<number> {
  const flags = parseEvalFlags(argv);
  if (!flags) {
    console.log(EVAL_HELP);
    return 0;
  }
  // the graph, the judges, LangSmith and the model code take seconds to load: only once the flags are read
  const { runEvalCommand } = await import("../evals/command.js");
  return runEvalCommand(flags, argv);
}

runMain("eval", () => main(process.argv.slice(2)));
