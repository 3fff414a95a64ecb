/**
 * `npm run graph -- --lang es [flags]`: writes persona-grounded dialogues directly in the target language(s)
 * with the dialogue graph, prints each one readably, and appends its record to --out as soon as it is
 * finished (rerunning the same command resumes). A user's mistake ends with one line on stderr and exit
 * code 2; a failure of the model, exit code 1.
 */
import { runMain } from "../app/cli/errors.js";
import { GRAPH_HELP, parseGraphFlags } from "../app/cli/graph-flags.js";

async function main(argv: string[]): Promise<number> {
  const flags = parseGraphFlags(argv);
  if (!flags) {
    console.log(GRAPH_HELP);
    return 0;
  }
  // the graph, the language detector's tables and the model code take seconds to load: only once the flags are read
  const { runGraphCommand } = await import("../app/cli/graph-command.js");
  return runGraphCommand(flags, argv);
}

runMain("polyglot-personachat", () => main(process.argv.slice(2)));
