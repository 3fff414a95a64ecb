/**
 * What `npm run graph` does once its flags are parsed (scripts/graph.ts): everything a user can get wrong is
 * checked before any model loads, the models are built before any file is touched, then the batch runs
 * (app/run/batch.ts). Loaded only after the flags are read, so `--help` and flag mistakes answer at once.
 */
import { accessSync, constants, mkdirSync, statSync } from "node:fs";
import { dirname, resolve } from "node:path";
import {
  chatModelSettings,
  type DialogueConfig,
  type DialogueContext,
  judgeModelSettings,
  resolveConfig,
} from "../../nodes/configuration.js";
import { seriesPromptHash } from "../../graphs/series/graph.js";
import { UsageError } from "./errors.js";
import type { GraphFlags } from "./graph-flags.js";
import { exportOptions, modelContext } from "./flag-types.js";
import type { BaseChatModel } from "@langchain/core/language_models/chat_models";
import { ensureDefaultModel } from "../../lib/models/auto-pull.js";
import {
  createChatModel,
  createJudgeModel,
  disposeChatModel,
  loadProviders,
  modelLabel,
  needsDefaultModel,
} from "../../lib/models/factory.js";
import { RetryNotices } from "../../lib/models/retry.js";
import { loadPromptSet } from "../../lib/prompts/loader.js";
import { loadBuiltinPersonas, loadPersonaFile } from "../../lib/records/personas.js";
import { runBatch } from "../run/batch.js";
import { planJobs } from "../run/generate.js";
import { generateInThreads } from "../run/worker-threads.js";
import { DEFAULT_JACCARD_THRESHOLD } from "../run/near-duplicate.js";
import { PLANNER_VERSION } from "../../lib/plan.js";
import { buildRunConfig, dataHashes } from "../run/run-config.js";
import { loadSpeechEvents, speechEventIds } from "../../lib/speech-events.js";
import { createTracing, dialogueTraceLabels } from "../tracing/index.js";
import { formatDialogue, recordedCommand } from "../../lib/records/format.js";

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
    const flag =
      flags.format.join(",") !== "jsonl"
        ? "format"
        : (["accepted-only", "include-rejected", "common-ground", "splits"] as const).find((f) => flags[f]);
    if (flag) throw new UsageError(`--${flag} needs --out FILE.jsonl (the journal the export is made from)`);
  }
  const context: DialogueContext = {
    ...modelContext(flags),
    promptVariant: flags.variant,
    ...(flags.turns ? { turnsMin: flags.turns[0], turnsMax: flags.turns[1] } : {}),
  };
  if (flags.out) checkOutPath(flags.out);
  const config = resolveConfig(context);
  if (flags["worker-threads"] > 1) checkWorkerThreads(flags, config);
  const jobs = planJobs({
    languages,
    n: flags.n,
    seed: flags.seed,
    personas,
    speechEventId: eventId,
    sessions: flags.sessions,
  });
  return { jobs, context, config, languages, personas, eventId, exports };
}

/** --worker-threads N > 1: models that can be built once per thread, in a run of this process. */
function checkWorkerThreads(flags: GraphFlags, config: DialogueConfig): void {
  if (flags.queue)
    throw new UsageError(
      "--worker-threads is for a run in this process; with --queue the dialogues are written by `npm run worker` processes",
    );
  if (flags.sessions > 1)
    throw new UsageError(
      "--worker-threads runs single dialogues: a multi-session series (--sessions > 1) keeps its progress in one thread",
    );
  const embedded = [config.provider, judgeModelSettings(config)?.provider].includes("llama-cpp");
  if (embedded)
    throw new UsageError(
      "--worker-threads: the embedded engine (llama-cpp) would load the model's weights once per thread; it runs in one thread (serve the model with llama-server and use --provider openai to spread the work)",
    );
}

/**
 * --out must be writable: its folder a folder (or one to create under a folder we may write in), the file
 * itself not a folder. Checked before any model loads, each problem in one line.
 */
function checkOutPath(out: string): void {
  const kind = (path: string) => {
    try {
      return statSync(path).isDirectory() ? "dir" : "file";
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === "ENOENT") return "none";
      if (code === "ENOTDIR") return "notdir";
      throw new UsageError(`--out ${out}: cannot use ${path} (${code})`);
    }
  };
  const target = resolve(out);
  if (kind(target) === "dir") throw new UsageError(`--out ${out} is a folder, not a file`);
  // the nearest existing ancestor must be a folder we may write in
  let folder = dirname(target);
  for (let path = folder; ; path = dirname(path)) {
    const k = kind(path);
    if (k === "file") throw new UsageError(`--out ${out}: ${path} is a file, not a folder`);
    if (k === "dir") {
      folder = path;
      break;
    }
  }
  const writable = (path: string) => {
    try {
      accessSync(path, constants.W_OK);
      return true;
    } catch {
      return false;
    }
  };
  if (!writable(folder)) throw new UsageError(`--out ${out}: no permission to write in ${folder}`);
  if (kind(target) === "file" && !writable(target)) throw new UsageError(`--out ${out}: no permission to write to it`);
}

/**
 * Loads an embedded engine now — before any file is written, so a model file that will not load is refused
 * first — and stops the run on Ctrl-C / SIGTERM while it loads (resolves false: interrupted).
 */
async function startEngines(models: (BaseChatModel | undefined)[]): Promise<boolean> {
  const engines = models.filter(
    (model): model is BaseChatModel & { load: () => Promise<unknown> } =>
      typeof (model as { load?: unknown } | undefined)?.load === "function",
  );
  if (engines.length === 0) return true;
  let onSignal: (() => void) | undefined;
  const interrupted = new Promise<false>((resolve) => {
    onSignal = () => resolve(false);
    process.once("SIGINT", onSignal);
    process.once("SIGTERM", onSignal);
  });
  try {
    return await Promise.race([Promise.all(engines.map((engine) => engine.load())).then(() => true), interrupted]);
  } finally {
    process.off("SIGINT", onSignal!);
    process.off("SIGTERM", onSignal!);
  }
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
  if (needsDefaultModel(chatModelSettings(config), judgeSettings))
    await ensureDefaultModel({ noDownload: flags["no-download"], program: "polyglot-personachat" });
  await loadProviders(config.provider, judgeSettings?.provider);
  const chatModel = createChatModel({
    ...chatModelSettings(config),
    seed: flags.seed,
    sequences,
    onRetry: retries.record,
  });
  const judgeModel = judgeSettings
    ? createJudgeModel({ ...judgeSettings, seed: flags.seed, sequences, onRetry: retries.record })
    : undefined;
  if (!(await startEngines([chatModel, judgeModel]))) {
    console.error("interrupted while the engine was starting: nothing was written");
    return 130;
  }
  // tracing: only with LANGSMITH_TRACING=true and a key; one trace per dialogue; flushed within seconds
  const tracing = createTracing();
  // --worker-threads N: the dialogues run in N threads, each building its own models from these settings
  // (app/run/worker-threads.ts); tracing callbacks live in this thread, so a threaded run is not traced
  const threads = Math.min(flags["worker-threads"], flags.concurrency);
  const threaded =
    threads > 1
      ? generateInThreads({
          threads,
          chat: { ...chatModelSettings(config), seed: flags.seed, sequences },
          judge: judgeSettings ? { ...judgeSettings, seed: flags.seed, sequences } : null,
          settings: context,
          onRetry: retries.record,
        })
      : undefined;
  if (threaded && tracing.enabled)
    console.error("tracing is off in this run: --worker-threads runs dialogues where the LangSmith tracer is not");
  const traces = tracing.enabled && !threaded;
  const traced = { config, ...modelLabel(chatModel) };
  // the run log that a rerun is checked against (app/run/run-config.ts)
  const runConfig = buildRunConfig({
    seed: flags.seed,
    settings: config,
    // a series is written with the series' prompts too (prompts/series/), and its records carry their hash
    promptHash:
      flags.sessions > 1
        ? seriesPromptHash(loadPromptSet(config.promptVariant).hash)
        : loadPromptSet(config.promptVariant).hash,
    sessions: flags.sessions,
    chatModel,
    judgeModel,
    personasSource: flags.personas ?? "built-in",
    personas: personas ?? loadBuiltinPersonas(),
    speechEventOverride: eventId,
    ...dataHashes(),
    nearDuplicateThreshold: DEFAULT_JACCARD_THRESHOLD,
    plannerVersion: PLANNER_VERSION,
  });
  // --queue: workers write the dialogues, this process enqueues and collects them (app/fleet)
  // (imported only then: BullMQ takes a while to load)
  const fleet = flags.queue
    ? await (
        await import("../fleet/coordinator.js")
      ).prepareFleet({
        url: flags.queue,
        out: flags.out,
        config,
        runConfig,
        limits: { rpm: flags.rpm, tpm: flags.tpm },
      })
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
      wait: flags.wait,
      runConfig,
      limits: { rpm: flags.rpm, tpm: flags.tpm },
      retries,
      ...(fleet ? { generate: fleet } : threaded ? { generate: threaded } : {}),
      price: flags.price ?? null,
      ...exports,
      ...(traces ? { invokeOptions: (job) => tracing.invokeOptions(dialogueTraceLabels(job, traced)) } : {}),
      print: (record) => (flags.quiet ? formatDialogue(record, { brief: true }) : `${formatDialogue(record)}\n`),
      // on a terminal, one dialogue in flight is shown as it is written (runBatch decides whether one is)
      live: !flags.quiet && !flags.queue && process.stdout.isTTY && process.env.TERM !== "dumb",
      // recorded in the dataset card and printed on interruption: without passwords and tokens
      command: recordedCommand("graph", argv),
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
