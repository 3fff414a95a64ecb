/**
 * Model factories for the worker threads of `--worker-threads` (app/run/worker-threads.ts), which build their models
 * by importing a module: `{ module: THREAD_MODELS, export: "spanish", options: { latencyMs: 200 } }`. For the tests
 * and `npm run bench -- batch`; never a stand-in for a user's model.
 */
import type { BaseChatModel } from "@langchain/core/language_models/chat_models";
import { ScriptedChatModel, type ScriptedCall } from "./scripted-model.js";
import { spanishScript, spanishScriptedModel } from "./spanish-script.js";

export const THREAD_MODELS = new URL("./thread-models.ts", import.meta.url).href;

interface Options {
  latencyMs?: number;
  /** personas from a hash of the prompt, not from the call count (testing/spanish-script.ts) */
  fromPrompt?: boolean;
  /** the calls of a dialogue whose prompt holds this text throw "connection reset by peer" */
  failOn?: string;
}

/** The scripted Spanish crowdworker (testing/spanish-script.ts), every call after `latencyMs`. */
export function spanish(_settings: unknown, options: Options = {}): BaseChatModel {
  const fromPrompt = options.fromPrompt ?? false;
  if (!options.failOn) return spanishScriptedModel(options.latencyMs ?? 0, { keepCalls: false, fromPrompt });
  const marker = options.failOn;
  const good = spanishScript({ fromPrompt });
  return new ScriptedChatModel(
    async (call: ScriptedCall, calls) => {
      if (call.messages.some((m) => m.text.includes(marker))) throw new Error("connection reset by peer");
      return good(call, calls);
    },
    { latencyMs: options.latencyMs ?? 0, keepCalls: false },
  );
}
