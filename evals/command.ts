/**
 * What `npm run eval` does once its flags are parsed (scripts/eval.ts): checks them against the files, builds the
 * models, then compares prompt variants or scores a dataset (evals/run.ts). Loaded only after the flags are read,
 * so `--help` and flag mistakes answer at once.
 */
import { existsSync, statSync } from "node:fs";
import { Client } from "langsmith";
import { type DialogueContext, resolveConfig } from "../nodes/configuration.js";
import { UsageError } from "../app/cli/errors.js";
import { recordedCommand } from "../lib/records/format.js";
import { resolveLanguage } from "../lib/lang/languages.js";
import { ensureDefaultModel } from "../lib/models/auto-pull.js";
import {
  createChatModel,
  disposeChatModel,
  loadProviders,
  modelLabel,
  needsDefaultModel,
} from "../lib/models/factory.js";
import { RetryNotices } from "../lib/models/retry.js";
import { loadPromptSet } from "../lib/prompts/loader.js";
import { TRACING_FLAGS, tracingSettings } from "../app/tracing/index.js";
import { loadDataset } from "./dialogues.js";
import { humanSummaryLine, readReviews } from "./human.js";
import { datasetFormat, type EvalFlags } from "./flags.js";
import { type Judge, loadJudgePrompts } from "./judges.js";
import { langsmithConfigured } from "./langsmith.js";
import { runDatasetEval, runGenerateEval } from "./run.js";
import type { EvalResults } from "./report.js";
import type { BaseChatModel } from "@langchain/core/language_models/chat_models";

function checkOut(out: string): void {
  if (existsSync(out) && !statSync(out).isDirectory()) throw new UsageError(`--out ${out} exists and is not a folder`);
}

function label(model: BaseChatModel): string {
  const l = modelLabel(model);
  return `${l.provider}:${l.model}`;
}

function summary(results: EvalResults): string {
  const lines = results.groups.map(
    (g) =>
      `${g.variant} × ${g.language}: ${g.counts.dialogues} dialogues, ${g.counts.accepted} accepted` +
      ["distinct_1", "distinct_2", "language_fidelity"]
        .map((k) => (g.metrics[k]?.value != null ? `, ${k} ${g.metrics[k].value.toFixed(3)}` : ""))
        .join(""),
  );
  const human = results.human ? [humanSummaryLine(results.human).replace(/`/g, "")] : [];
  return [...lines, ...human, ...results.notes.map((n) => `note: ${n}`)].join("\n");
}

/** `npm run eval` once its flags are read (scripts/eval.ts). */
export async function runEvalCommand(flags: EvalFlags, argv: readonly string[]): Promise<number> {
  checkOut(flags.out);
  const judgePrompts = loadJudgePrompts(flags["judge-prompts"]);
  const command = recordedCommand("eval", argv);
  const log = (line: string) => console.error(line);
  const common = {
    out: flags.out,
    command,
    seed: flags.seed,
    resamples: flags.resamples,
    price: flags.price,
    scoreRejected: flags["score-rejected"],
    log,
  };

  // everything a user can get wrong is checked before a model loads
  let generate: { langs: string[]; variants: string[]; context: DialogueContext } | null = null;
  let dataset: ReturnType<typeof loadDataset> | null = null;
  const reviews = flags.reviews ? { source: flags.reviews, ratings: await readReviews(flags.reviews) } : undefined;
  if (flags.dataset) {
    const format = datasetFormat(flags);
    const lang = flags.lang?.[0]; // resolved by the flags' schema
    dataset = loadDataset(flags.dataset, format, lang);
    if (dataset.length === 0) throw new UsageError(`${flags.dataset} holds no dialogue`);
    for (const d of dataset)
      if (!resolveLanguage(d.language).ok)
        throw new UsageError(`${flags.dataset}: dialogue ${d.id} has an unknown language "${d.language}"`);
  } else {
    const variants = flags.variants ?? ["baseline"];
    for (const v of variants) loadPromptSet(v);
    // the chat model is injected; the context carries the dialogue settings
    const context: DialogueContext = {
      ...(flags.turns ? { turnsMin: flags.turns[0], turnsMax: flags.turns[1] } : {}),
    };
    resolveConfig(context);
    generate = { langs: flags.lang!, variants, context };
  }

  const models: BaseChatModel[] = [];
  const onRetry = new RetryNotices().record; // remote providers: retried calls are told on stderr (throttled)
  try {
    let chatModel: BaseChatModel | undefined;
    // generating with the default model: the first run fetches it
    if (needsDefaultModel(generate ? { provider: flags.provider, model: flags.model } : null)) {
      await ensureDefaultModel({ noDownload: flags["no-download"], program: "eval" });
    }
    await loadProviders(
      generate ? flags.provider : undefined,
      flags["judge-model"] ? (flags["judge-provider"] ?? flags.provider) : undefined,
    );
    if (generate) {
      chatModel = createChatModel({
        provider: flags.provider,
        model: flags.model,
        baseUrl: flags["base-url"],
        threads: flags.threads,
        seed: flags.seed,
        onRetry,
      });
      models.push(chatModel);
    }
    let judge: Judge | null = null;
    if (flags["judge-model"]) {
      const judgeProvider = flags["judge-provider"] ?? flags.provider;
      const reuse =
        chatModel &&
        judgeProvider === flags.provider &&
        flags["judge-model"] === flags.model &&
        !flags["judge-base-url"];
      const model =
        reuse && chatModel
          ? chatModel
          : createChatModel({
              provider: judgeProvider,
              model: flags["judge-model"],
              baseUrl: flags["judge-base-url"],
              threads: flags.threads,
              seed: flags.seed,
              temperature: 0,
              onRetry,
            });
      if (model !== chatModel) models.push(model);
      judge = { model, prompts: judgePrompts, label: label(model) };
    }

    // LangSmith experiments: generation runs only, when configured and not --local. Anything else traces nothing
    // (LangChain's own env-driven tracer would otherwise send the runs with its default client).
    const settings = tracingSettings(process.env);
    if (!settings.enabled && settings.problem)
      log(`eval: ${settings.problem}; no LangSmith experiments, the report is local`);
    const useLangSmith = generate !== null && !flags.local && langsmithConfigured();
    if (!useLangSmith)
      for (const name of TRACING_FLAGS) if (process.env[name] !== undefined) process.env[name] = "false";
    const client =
      useLangSmith && settings.enabled ? new Client({ apiUrl: settings.endpoint, apiKey: settings.apiKey }) : null;
    if (client) log("LangSmith configured: each variant runs as an experiment (--local to skip)");

    let results: EvalResults;
    if (generate) {
      results = await runGenerateEval({
        ...common,
        judge,
        variants: generate.variants,
        languages: generate.langs,
        n: flags.n,
        sessions: flags.sessions,
        chatModel: chatModel!,
        modelLabel: label(chatModel!),
        context: generate.context,
        concurrency: flags.concurrency,
        langsmith: client,
      });
    } else {
      results = await runDatasetEval({
        ...common,
        judge,
        dialogues: dataset!,
        dataset: { path: flags.dataset!, format: datasetFormat(flags) },
        variants: flags.variants,
        reviews,
      });
    }
    console.log(summary(results));
    console.log(`→ ${flags.out}/report.md, report.html, results.json`);
  } finally {
    for (const model of models) await disposeChatModel(model);
  }
  return 0;
}
