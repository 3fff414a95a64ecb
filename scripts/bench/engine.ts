/**
 * Embedded-engine benchmark: how much of a dialogue's prompts the llama.cpp engine evaluates, against the least
 * it could, and how fast.
 *
 *   npm run bench -- engine [--turns N] [--dialogues N] [--threads N] [--sequences N] [--compare] [--json]
 *
 * A dialogue re-sends a growing prompt every turn (system prompt, persona, common ground, demonstration, the
 * turns so far). The engine keeps several context sequences and routes each call to the one that holds the
 * longest prefix of its prompt (lib/models/sequence-pick.ts), so each speaker's prefix is evaluated once.
 *
 * What runs: the real dialogue graph (every node, the gates, the critique) on the real engine with a tiny
 * random-weight GGUF written to a temp dir. A random model cannot write Spanish, so the text of each answer is
 * replaced by a scripted well-formed Spanish answer *after* the engine has evaluated the prompt and generated
 * its (grammar-constrained) tokens: the prompts, and so what the engine evaluates, are those of a real run.
 *
 * - minimum: the distinct prompt prefixes of all calls (a trie over their tokens): each prompt token
 *   evaluated once, as a cache with unlimited sequences would;
 * - evaluated: what llama.cpp evaluated, from node-llama-cpp's token meters (per sequence);
 * - prompt-eval ratio = evaluated / minimum (target ≤ 1.3; one sequence — no reuse across speakers — for comparison
 *   with --compare);
 * - throughput: prompt tokens evaluated + tokens generated, per second of engine time.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { BaseChatModel, type BaseChatModelCallOptions } from "@langchain/core/language_models/chat_models";
import { AIMessage, type BaseMessage } from "@langchain/core/messages";
import type { ChatResult } from "@langchain/core/outputs";
import { runDialogue } from "../../graphs/dialogue/graph.js";
import { ChatLlamaCppEngine } from "../../lib/models/llama-cpp.js";
import type { JsonSchemaResponseFormat } from "../../lib/models/structured.js";
import { createSpanishScript } from "../../testing/spanish-script.js";
import { writeTinyGguf } from "../../lib/models/tiny-gguf.js";

export const TARGET_RATIO = 1.3;

/** Counts distinct prefixes: the tokens a cache with unlimited sequences would evaluate. */
export class PrefixTrie {
  private readonly root = new Map<number, unknown>();
  size = 0;

  add(tokens: readonly number[]): number {
    let node = this.root;
    let added = 0;
    for (const token of tokens) {
      let next = node.get(token) as Map<number, unknown> | undefined;
      if (!next) {
        next = new Map();
        node.set(token, next);
        added++;
      }
      node = next;
    }
    this.size += added;
    return added;
  }
}

interface CallOptions extends BaseChatModelCallOptions {
  response_format?: JsonSchemaResponseFormat;
}

/** The engine evaluates and generates; the answer's text comes from the Spanish script (see above). */
class ScriptedAnswersOnEngine extends BaseChatModel<CallOptions> {
  readonly trie = new PrefixTrie();
  engineMs = 0;
  calls = 0;
  private readonly script = createSpanishScript();

  constructor(readonly engine: ChatLlamaCppEngine) {
    super({});
  }

  _llmType(): string {
    return "llama-cpp";
  }

  override getLsParams(options: this["ParsedCallOptions"]) {
    return { ...super.getLsParams(options), ls_provider: "llama-cpp", ls_model_name: this.engine.modelName };
  }

  async _generate(messages: BaseMessage[], options: this["ParsedCallOptions"]): Promise<ChatResult> {
    this.calls++;
    this.trie.add(await this.engine.promptTokens(messages));
    const t0 = performance.now();
    const answer = await this.engine.invoke(messages, {
      ...(options.response_format ? { response_format: options.response_format } : {}),
    });
    this.engineMs += performance.now() - t0;
    const format = options.response_format;
    const roles = messages.map((m) => ({
      role: m.type === "ai" ? "assistant" : m.type === "system" ? "system" : "user",
      content: m.text,
    }));
    const text = this.script(format?.json_schema.name ?? "text", roles, format?.json_schema.schema);
    return {
      generations: [
        {
          text,
          message: new AIMessage({
            content: text,
            ...(answer.usage_metadata ? { usage_metadata: answer.usage_metadata } : {}),
          }),
        },
      ],
    };
  }
}

export interface EngineBenchResult {
  sequences: number;
  threads: number;
  dialogues: number;
  turns: number;
  calls: number;
  statuses: string[];
  promptTokens: number;
  minimumTokens: number;
  evaluatedTokens: number;
  evaluatedOurCount: number;
  outputTokens: number;
  callsPerSequence: number[];
  ratio: number;
  engineSeconds: number;
  tokensPerSecond: number;
  generatedPerSecond: number;
}

async function measure(options: {
  modelPath: string;
  sequences: number;
  threads: number;
  turns: number;
  dialogues: number;
}): Promise<EngineBenchResult> {
  // maxTokens bounds the random model's (gibberish) answers; the prompts are what is measured
  const engine = new ChatLlamaCppEngine({
    modelPath: options.modelPath,
    threads: options.threads,
    sequences: options.sequences,
    maxTokens: 48,
    seed: 1,
  });
  const model = new ScriptedAnswersOnEngine(engine);
  const statuses: string[] = [];
  try {
    await engine.load();
    for (let index = 0; index < options.dialogues; index++) {
      const state = await runDialogue(
        { language: "es", seed: 1, index },
        { chatModel: model, turnsMin: options.turns, turnsMax: options.turns, maxTurnRetries: 1 },
      );
      statuses.push(state.record?.status ?? "none");
    }
    const stats = engine.stats();
    const seconds = model.engineMs / 1000;
    const evaluated = stats.evaluatedPromptTokens;
    return {
      sequences: options.sequences,
      threads: options.threads,
      dialogues: options.dialogues,
      turns: options.turns,
      calls: stats.calls,
      statuses,
      promptTokens: stats.promptTokens,
      minimumTokens: model.trie.size,
      evaluatedTokens: evaluated,
      evaluatedOurCount: stats.promptTokens - stats.cachedPromptTokens,
      outputTokens: stats.outputTokens,
      callsPerSequence: stats.callsPerSequence,
      ratio: evaluated / model.trie.size,
      engineSeconds: seconds,
      tokensPerSecond: (evaluated + stats.outputTokens) / seconds,
      generatedPerSecond: stats.outputTokens / seconds,
    };
  } finally {
    await engine.dispose();
  }
}

function report(r: EngineBenchResult): string {
  return [
    `engine: tiny random-weight GGUF, threads ${r.threads}, ${r.sequences} sequence(s); ${r.dialogues} dialogue(s) of ${r.turns} turns (${r.statuses.join(", ")}), ${r.calls} calls, per sequence ${r.callsPerSequence.join("/")}`,
    `prompt tokens: sent ${r.promptTokens}, minimum ${r.minimumTokens} (distinct prefixes), evaluated ${r.evaluatedTokens} (token meters; ${r.evaluatedOurCount} by prefix match)`,
    `prompt-eval ratio: ${r.ratio.toFixed(2)}`,
    `throughput: ${r.tokensPerSecond.toFixed(0)} tok/s (prompt eval + generation over ${r.engineSeconds.toFixed(1)} s of engine time), generation ${r.generatedPerSecond.toFixed(0)} tok/s`,
  ].join("\n");
}

export async function run(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      turns: { type: "string", default: "12" },
      dialogues: { type: "string", default: "1" },
      threads: { type: "string", default: "1" },
      sequences: { type: "string", default: "4" },
      compare: { type: "boolean", default: false },
      json: { type: "boolean", default: false },
    },
    strict: true,
    allowPositionals: false,
  });
  const number = (name: string, value: string | undefined, min: number) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min) throw new Error(`--${name} takes a whole number ≥ ${min}`);
    return n;
  };
  const turns = number("turns", values.turns, 2);
  const dialogues = number("dialogues", values.dialogues, 1);
  // threads 1 by default: on a busy 2-core machine llama.cpp's thread pool makes 2 threads far slower on a model this small
  const threads = number("threads", values.threads, 1);
  const sequences = number("sequences", values.sequences, 1);

  const dir = mkdtempSync(join(tmpdir(), "bench-engine-"));
  try {
    const modelPath = join(dir, "tiny.gguf");
    await writeTinyGguf(modelPath, { seed: 42 });
    const results = [await measure({ modelPath, sequences, threads, turns, dialogues })];
    if (values.compare && sequences !== 1)
      results.push(await measure({ modelPath, sequences: 1, threads, turns, dialogues }));
    if (values.json) console.log(JSON.stringify(results, null, 2));
    else {
      console.log(report(results[0]!));
      if (results[1]) console.log(`\nwithout reuse across speakers (1 sequence):\n${report(results[1])}`);
    }
    const met = results[0]!.ratio <= TARGET_RATIO;
    console.log(`target prompt-eval ratio ≤ ${TARGET_RATIO.toFixed(2)}: ${met ? "met" : "NOT met"}`);
    return met ? 0 : 1;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
