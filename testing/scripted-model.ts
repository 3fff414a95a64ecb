import type { CallbackManagerForLLMRun } from "@langchain/core/callbacks/manager";
import { BaseChatModel, type BaseChatModelCallOptions } from "@langchain/core/language_models/chat_models";
import { AIMessage, type BaseMessage } from "@langchain/core/messages";
import type { ChatResult } from "@langchain/core/outputs";
import { type JsonSchemaResponseFormat, textOf } from "../lib/models/structured.js";

/**
 * An in-process chat model that answers from a script: the function gets the structured-output task the call
 * asks for ("persona", "common_ground", "turn", "critique", or "text" for a plain call) and the messages, and
 * returns the answer text. It drives the graph's logic in tests and the orchestration benchmarks with a fixed
 * latency; it never stands in for a real model in a user's run. Every call is kept for assertions.
 */

export interface ScriptedCall {
  task: string;
  messages: BaseMessage[];
}

export type Script = (call: ScriptedCall, calls: readonly ScriptedCall[]) => string | Promise<string>;

interface ScriptedCallOptions extends BaseChatModelCallOptions {
  response_format?: JsonSchemaResponseFormat;
}

export class ScriptedChatModel extends BaseChatModel<ScriptedCallOptions> {
  /** every call, in order (unless constructed with `keepCalls: false`) */
  readonly calls: ScriptedCall[] = [];
  /** how many calls were made */
  callCount = 0;

  constructor(
    private readonly script: Script,
    /** keepCalls: false keeps no call (long benchmark runs would otherwise hold every prompt) */
    /** streamChars: the answer also comes as tokens of this many characters (runManager.handleLLMNewToken), as the
     * embedded engine sends its text while it generates; between two tokens the event loop turns */
    private readonly options: {
      latencyMs?: number;
      modelName?: string;
      keepCalls?: boolean;
      streamChars?: number;
    } = {},
  ) {
    super({});
  }

  _llmType(): string {
    return "scripted";
  }

  override getLsParams(options: this["ParsedCallOptions"]) {
    return {
      ...super.getLsParams(options),
      ls_provider: "scripted",
      ls_model_name: this.options.modelName ?? "scripted",
    };
  }

  /** the calls for one task, in order */
  callsFor(task: string): ScriptedCall[] {
    return this.calls.filter((call) => call.task === task);
  }

  async _generate(
    messages: BaseMessage[],
    options: this["ParsedCallOptions"],
    runManager?: CallbackManagerForLLMRun,
  ): Promise<ChatResult> {
    const call: ScriptedCall = { task: options.response_format?.json_schema.name ?? "text", messages };
    this.callCount++;
    if (this.options.keepCalls !== false) this.calls.push(call);
    if (this.options.latencyMs) await new Promise((resolve) => setTimeout(resolve, this.options.latencyMs));
    const text = await this.script(call, this.calls);
    const size = this.options.streamChars;
    if (size && runManager) {
      for (const token of Array.from(text.matchAll(new RegExp(`[\\s\\S]{1,${size}}`, "gu")), (m) => m[0])) {
        await new Promise((resolve) => setImmediate(resolve));
        await runManager.handleLLMNewToken(token);
      }
    }
    // textOf reads string content as it is (BaseMessage.text converts it to content blocks first, on every read)
    const input = messages.reduce((sum, m) => sum + textOf(m).length, 0);
    const usage = { input_tokens: Math.ceil(input / 4), output_tokens: Math.ceil(text.length / 4), total_tokens: 0 };
    usage.total_tokens = usage.input_tokens + usage.output_tokens;
    return { generations: [{ text, message: new AIMessage({ content: text, usage_metadata: usage }) }] };
  }
}
