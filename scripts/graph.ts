/**
 * `npm run graph -- --lang es [flags]`: writes persona-grounded dialogues directly in the target language(s)
 * with the dialogue graph, prints each one readably, and appends its record to --out as soon as it is
 * finished (rerunning the same command resumes). A user's mistake ends with one line on stderr and exit
 * code 2; a failure of the model, exit code 1.
 */
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { type DialogueContext, resolveConfig } from "../graphs/dialogue/configuration.js";
import { runMain, UsageError } from "../lib/cli/errors.js";
import { GRAPH_HELP, type GraphFlags, parseGraphFlags } from "../lib/cli/graph-flags.js";
import { resolveLanguage } from "../lib/lang/languages.js";
import { createChatModel } from "../lib/models/factory.js";
import { loadPromptSet } from "../lib/prompts/loader.js";
import { loadPersonaFile } from "../lib/records/personas.js";
import { generateDialogues, planJobs } from "../lib/run/generate.js";
import { RecordFile } from "../lib/run/record-file.js";
import { loadSpeechEvents, speechEventIds } from "../lib/speech-events.js";
import { formatDialogue } from "./format.js";

/** Everything a user can get wrong, checked before any model loads. */
function validate(flags: GraphFlags) {
  const languages = flags.lang.map((tag) => {
    const resolved = resolveLanguage(tag);
    if (!resolved.ok) throw new UsageError(resolved.message);
    return resolved.lang.tag;
  });
  const eventId = flags["speech-event"];
  if (eventId && !speechEventIds(loadSpeechEvents()).includes(eventId)) {
    throw new UsageError(`unknown speech event "${eventId}" (see the ids in data/speech-events.json)`);
  }
  const personas = flags.personas ? loadPersonaFile(flags.personas) : null;
  loadPromptSet(flags.variant);
  const context: DialogueContext = {
    promptVariant: flags.variant,
    ...(flags.model ? { model: flags.model } : {}),
    ...(flags.threads ? { threads: flags.threads } : {}),
    ...(flags.turns ? { turnsMin: flags.turns[0], turnsMax: flags.turns[1] } : {}),
  };
  const jobs = planJobs({ languages, n: flags.n, seed: flags.seed, personas, speechEventId: eventId });
  return { jobs, context, config: resolveConfig(context) };
}

async function main(argv: string[]): Promise<number> {
  const flags = parseGraphFlags(argv);
  if (!flags) {
    console.log(GRAPH_HELP);
    return 0;
  }
  const { jobs, context, config } = validate(flags);
  let file: RecordFile | undefined;
  if (flags.out) {
    mkdirSync(dirname(flags.out), { recursive: true });
    const opened = RecordFile.open(flags.out);
    file = opened.file;
    if (opened.repaired) console.error(`${flags.out}: cut off a torn last line left by an interrupted run`);
    const already = jobs.filter((job) => file!.done.has(job.id)).length;
    if (already > 0) console.error(`${flags.out}: ${already} of ${jobs.length} dialogues already written; resuming`);
  }
  const chatModel = createChatModel({ provider: config.provider, model: config.model, threads: config.threads, seed: flags.seed });
  const counts = { accepted: 0, rejected: 0 };
  try {
    await generateDialogues({
      jobs,
      context: { ...context, chatModel },
      concurrency: flags.concurrency,
      ...(file ? { file } : {}),
      onRecord: (record) => {
        counts[record.status]++;
        console.log(flags.quiet ? formatDialogue(record, { brief: true }) : `${formatDialogue(record)}\n`);
      },
    });
  } finally {
    file?.close();
    await chatModel.dispose();
  }
  const where = flags.out ? ` → ${flags.out}` : "";
  console.error(`${counts.accepted + counts.rejected} dialogues: ${counts.accepted} accepted, ${counts.rejected} rejected${where}`);
  return 0;
}

runMain("polyglot-personachat", () => main(process.argv.slice(2)));
