/**
 * `npm run export -- --out FILE.jsonl --format messages,personachat [--splits 0.8,0.1,0.1]`: training-ready files
 * (and our records as Parquet / JSONL) from a journal, with a dataset card. See app/cli/export-command.ts.
 */
import { runMain } from "../app/cli/errors.js";
import { EXPORT_COMMAND_HELP, parseExportFlags, runExportCommand } from "../app/cli/export-command.js";

async function main(argv: string[]): Promise<number> {
  const flags = parseExportFlags(argv);
  if (!flags) {
    console.log(EXPORT_COMMAND_HELP);
    return 0;
  }
  const files = runExportCommand(flags, argv);
  console.error(`wrote ${files.join(", ")}`);
  return 0;
}

runMain("polyglot-personachat", () => main(process.argv.slice(2)));
