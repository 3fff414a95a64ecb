/**
 * What `npm run graph` does once its flags are parsed (scripts/graph.ts): everything a user can get wrong is
 * checked before any model loads, the models are built before any file is touched, then the batch runs
 * (lib/run/batch.ts). Loaded only after the flags are read, so `--help` and flag mistakes answer at once.
 */
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { chatModelSettings, type DialogueContext, judgeModelSettings, resolveConfig } from "../../graphs/dialogue/configuration.js";
import { UsageError } from "./errors.js";
import type { GraphFlags } from "./graph-flags.js";
import { exportOptions, modelContext } from "./flag-types.js";
import { ensureDefaultModel } from "../models/auto-pull.js";
import { createChatModel, createJudgeModel, disposeChatModel, loadProviders, modelLabel, needsDefaultModel } from "../models/factory.js";
import { RetryNotices } from "../models/retry.js";
import { loadPromptSet } from "../prompts/loader.js";
import { loadBuiltinPersonas, loadPersonaFile } from "../records/personas.js";
import { runBatch, shellCommand } from "../run/batch.js";
import { planJobs } from "../run/generate.js";
import { DEFAULT_JACCARD_THRESHOLD } from "../run/near-duplicate.js";
import { PLANNER_VERSION } from "../run/plan.js";
import { buildRunConfig, dataHashes } from "../run/run-config.js";
import { loadSpeechEvents, speechEventIds } from "../speech-events.js";
import { createTracing, dialogueTraceLabels } from "../tracing/index.js";
import { redactSecrets } from "../security/redact.js";
import { formatDialogue } from "./format.js";

/** Everything a user can get wrong, checked before any model loads. */
function validate(flags: GraphFlags) {
  const languages = flags.lang; // resolved by the flags' schema
  const eventId = flags["speech-event"];
  if (eventId && !speechEventIds(loadSpeechEvents()).includes(eventId)) {
    throw new UsageError(`unknown speech event "${eventId}" (see the ids in data/speech-events.json)`);
  }
  const personas = flags.personas ? loadPersonaFile(flags.personas) : null;
  loadPromptSet(flags.variant);
  // exports are made from the journal
  const exports = exportOptions(flags);
  if (!flags.out) {
    const flag = flags.format.join(",") !== "jsonl" ? "format" : (["accepted-only", "include-rejected", "common-ground", "splits"] as const).find((f) => flags[f]);
    if (flag) throw new UsageError(`--${flag} needs --out FILE.jsonl (the journal the export is made from)`);
  }
  const context: DialogueContext = {
    ...modelContext(flags),
    promptVariant: flags.variant,
    ...(flags.turns ? { turnsMin: flags.turns[0], turnsMax: flags.turns[1] } : {}),
  };
  const jobs = planJobs({ languages, n: flags.n, seed: flags.seed, personas, speechEventId: eventId });
  return { jobs, context, config: resolveConfig(context), languages, personas, eventId, exports };
}

/** `npm run graph` once its flags are read: checks them against the data, builds the models, runs the batch. */
export async function runGraphCommand(flags: GraphFlags, argv: readonly string[]): Promise<number> {
  const { jobs, context, config, languages, personas, eventId, exports } = validate(flags);
  // models are built before any file is touched, so a bad key / URL / path fails first;
  // the embedded engine keeps a context sequence per prompt family in flight (speaker A, B, checks) per dialogue
  const sequences = Math.min(16, Math.max(4, 3 * flags.concurrency));
  // remote providers: each retried call is told (throttled), so a wait on a 429 or a flaky server is not silence
  const retries = new RetryNotices();
  const judgeSettings = judgeModelSettings(config);
  // the first run fetches the default model (the file only; nothing else is touched before it is there)
  if (needsDefaultModel(chatModelSettings(config), judgeSettings)) await ensureDefaultModel({ noDownload: flags["no-download"], program: "polyglot-personachat" });
  await loadProviders(config.provider, judgeSettings?.provider);
  const chatModel = createChatModel({ ...chatModelSettings(config), seed: flags.seed, sequences, onRetry: retries.record });
  const judgeModel = judgeSettings ? createJudgeModel({ ...judgeSettings, seed: flags.seed, sequences, onRetry: retries.record }) : undefined;
  // tracing: only with LANGSMITH_TRACING=true and a key; one trace per dialogue; flushed within seconds
  const tracing = createTracing();
  const traced = { config, ...modelLabel(chatModel) };
  // the run log that a rerun is checked against (lib/run/run-config.ts)
  const runConfig = buildRunConfig({
    seed: flags.seed,
    settings: config,
    promptHash: loadPromptSet(config.promptVariant).hash,
    chatModel,
    judgeModel,
    personasSource: flags.personas ?? "built-in",
    personas: personas ?? loadBuiltinPersonas(),
    speechEventOverride: eventId,
    ...dataHashes(),
    nearDuplicateThreshold: DEFAULT_JACCARD_THRESHOLD,
    plannerVersion: PLANNER_VERSION,
  });
  // --queue: workers write the dialogues, this process enqueues and collects them (lib/fleet)
  // (imported only then: BullMQ takes a while to load)
  const fleet = flags.queue
    ? await (await import("../fleet/coordinator.js")).prepareFleet({ url: flags.queue, out: flags.out, config, runConfig, limits: { rpm: flags.rpm, tpm: flags.tpm } })
    : undefined;
  // the first file the run touches (a mistake in the flags above leaves nothing behind)
  if (flags.out) mkdirSync(dirname(flags.out), { recursive: true });
  let result: Awaited<ReturnType<typeof runBatch>>;
  try {
    result = await runBatch({
      jobs,
      languages,
      context: { ...context, chatModel, ...(judgeModel ? { judgeModel } : {}) },
      concurrency: flags.concurrency,
      out: flags.out,
      runConfig,
      limits: { rpm: flags.rpm, tpm: flags.tpm },
      retries,
      ...(fleet ? { generate: fleet } : {}),
      price: flags.price ?? null,
      ...exports,
      ...(tracing.enabled ? { invokeOptions: (job) => tracing.invokeOptions(dialogueTraceLabels(job, traced)) } : {}),
      print: (record) => (flags.quiet ? formatDialogue(record, { brief: true }) : `${formatDialogue(record)}\n`),
      // recorded in the dataset card and printed on interruption: without passwords and tokens
      command: redactSecrets(`npm run graph -- ${shellCommand(argv)}`),
    });
  } finally {
    await disposeChatModel(chatModel);
    await disposeChatModel(judgeModel);
    await tracing.flush(); // bounded, never throws
  }
  const where = flags.out ? ` → ${flags.out}` : "";
  const { accepted, rejected } = result.summary.total;
  console.error(`${accepted + rejected} dialogues: ${accepted} accepted, ${rejected} rejected${where}`);
  return result.status === "interrupted" ? 130 : 0;
}
