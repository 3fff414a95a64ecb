/**
 * Server benchmark: how much of the dialogues' prompts a real llama.cpp server (`llama-server`, built by
 * `npm run llama-server:build`) evaluates through `--provider openai`, against the least it could.
 *
 *   npm run bench -- server [--dialogues N] [--parallel N] [--json]
 *
 * The real graph (turn-by-turn baseline variant) runs on the tiny Italian word model served by llama-server with
 * `--parallel` slots (4), at concurrency 1 and 4, each on a fresh server.
 * - evaluated: the prompt tokens the server evaluated, its `timings.prompt_n` of every answer;
 * - minimum: the distinct prompt prefixes of all calls (a trie over the tokens of each prompt as the server
 *   renders and tokenizes it: /apply-template, /tokenize), each evaluated once, as an unlimited cache would;
 * - server prompt-eval ratio = evaluated / minimum (target ≤ 1.3).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { BaseChatModel, type BaseChatModelCallOptions } from "@langchain/core/language_models/chat_models";
import type { BaseMessage } from "@langchain/core/messages";
import type { ChatResult } from "@langchain/core/outputs";
import { runDialogue } from "../../graphs/dialogue/graph.js";
import { createRemoteChatModel } from "../../lib/models/remote.js";
import type { JsonSchemaResponseFormat } from "../../lib/models/structured.js";
import { findLlamaServer } from "../../lib/models/llama-server-build.js";
import { type LlamaServer, startLlamaServer } from "../../testing/llama-server.js";
import { tinyWordsFor, writeTinyGguf } from "../../lib/models/tiny-gguf.js";
import { PrefixTrie, TARGET_RATIO } from "./engine.js";

interface CallOptions extends BaseChatModelCallOptions {
  response_format?: JsonSchemaResponseFormat;
}

const ROLE: Record<string, string> = { system: "system", human: "user", ai: "assistant" };

/** The remote model, with each prompt's tokens (as the server sees them) and the server's prompt_n counted. */
class Measured extends BaseChatModel<CallOptions> {
  readonly trie = new PrefixTrie();
  evaluated = 0;
  promptTokens = 0;
  calls = 0;

  constructor(
    readonly inner: BaseChatModel,
    readonly server: LlamaServer,
  ) {
    super({});
  }

  _llmType(): string {
    return "openai";
  }

  private async tokens(messages: BaseMessage[]): Promise<number[]> {
    const post = async (path: string, body: unknown) =>
      (await fetch(`${this.server.url}${path}`, { method: "POST", body: JSON.stringify(body) })).json() as Promise<
        Record<string, unknown>
      >;
    const { prompt } = await post("/apply-template", {
      messages: messages.map((m) => ({ role: ROLE[m.type] ?? "user", content: m.text })),
    });
    const { tokens } = await post("/tokenize", { content: prompt, add_special: true, parse_special: true });
    return tokens as number[];
  }

  async _generate(messages: BaseMessage[], options: this["ParsedCallOptions"]): Promise<ChatResult> {
    this.calls++;
    const tokens = await this.tokens(messages);
    this.trie.add(tokens);
    const answer = await this.inner.invoke(messages, {
      ...(options.response_format ? { response_format: options.response_format } : {}),
    } as Parameters<BaseChatModel["invoke"]>[1]);
    const timings = answer.response_metadata.timings as { prompt_n?: number } | undefined;
    this.evaluated += timings?.prompt_n ?? 0;
    this.promptTokens += answer.usage_metadata?.input_tokens ?? 0;
    return { generations: [{ text: answer.text, message: answer }] };
  }
}

async function measure(options: {
  binary: string;
  modelPath: string;
  parallel: number;
  concurrency: number;
  dialogues: number;
}) {
  const server = await startLlamaServer({
    binary: options.binary,
    model: options.modelPath,
    parallel: options.parallel,
  });
  try {
    const remote = createRemoteChatModel(
      { provider: "openai", model: server.alias, baseUrl: server.baseUrl, seed: 1 },
      { OPENAI_API_KEY: "" },
    );
    const model = new Measured(remote, server);
    const statuses: string[] = [];
    let next = 0;
    const worker = async () => {
      while (next < options.dialogues) {
        const index = next++;
        const state = await runDialogue(
          { language: "it", seed: 1, index },
          { chatModel: model, turnsMin: 4, turnsMax: 6 },
        );
        statuses.push(state.record?.status ?? "none");
      }
    };
    await Promise.all(Array.from({ length: options.concurrency }, worker));
    return {
      concurrency: options.concurrency,
      parallel: options.parallel,
      calls: model.calls,
      statuses,
      promptTokens: model.promptTokens,
      minimumTokens: model.trie.size,
      evaluatedTokens: model.evaluated,
      ratio: model.evaluated / Math.max(1, model.trie.size),
    };
  } finally {
    await server.stop();
  }
}

export async function run(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { dialogues: { type: "string" }, parallel: { type: "string" }, json: { type: "boolean" } },
    strict: true,
  });
  const found = await findLlamaServer();
  if (!found.ok) {
    console.error(`bench server: ${found.reason}`);
    return 2;
  }
  const dialogues = Number(values.dialogues ?? 4);
  const parallel = Number(values.parallel ?? 4);
  const dir = mkdtempSync(join(tmpdir(), "bench-server-"));
  try {
    const modelPath = join(dir, "it.gguf");
    await writeTinyGguf(modelPath, { words: tinyWordsFor("it") });
    const results = [];
    for (const concurrency of [1, 4]) {
      const result = await measure({ binary: found.binary, modelPath, parallel, concurrency, dialogues });
      results.push(result);
      if (!values.json) {
        console.log(
          `concurrency ${concurrency}, --parallel ${parallel}: ${dialogues} dialogues (${result.statuses.join(", ")}), ${result.calls} calls; ` +
            `prompt tokens ${result.promptTokens}, least possible ${result.minimumTokens}, evaluated by the server ${result.evaluatedTokens}`,
        );
        console.log(
          `server prompt-eval ratio: ${result.ratio.toFixed(2)} (concurrency ${concurrency}; target ≤ ${TARGET_RATIO})`,
        );
      }
    }
    if (values.json) console.log(JSON.stringify(results));
    return 0;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
