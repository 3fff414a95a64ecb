import type { BaseChatModel } from "@langchain/core/language_models/chat_models";
import type { BaseMessage } from "@langchain/core/messages";
import type { z } from "zod";
import { addUsage, type Usage, ZERO_USAGE } from "../records/schema.js";
import { invokeStructured, type StructuredResult } from "./structured.js";

/**
 * A structured call with bounded retries. Each attempt's output must parse, match the schema, and pass
 * `validate` (deterministic checks such as the language gate); the reason an attempt failed is shown to the
 * model in the next attempt. After 1 + maxRetries attempts it gives up with the last reason.
 */
export type AttemptsResult<T> =
  | { ok: true; value: T; attempts: number; usage: Usage }
  | { ok: false; reason: string; check: string; attempts: number; usage: Usage; raw: string; value?: T };

export interface AttemptsOptions<S extends z.ZodTypeAny> {
  model: BaseChatModel;
  schema: S;
  /** the structured output's name (also the LLM run's name in traces) */
  name: string;
  maxRetries: number;
  messages: (feedback: string | null) => BaseMessage[];
  /** a problem with a well-formed value, or null when it is good */
  validate?: (value: z.infer<S>) => { check: string; detail: string } | null;
  /** an attempt failed and the next one is about to be made (`attempt`: the one that failed, from 1) */
  onRetry?: (reason: string, attempt: number) => void;
}

export async function attemptStructured<S extends z.ZodTypeAny>(
  options: AttemptsOptions<S>,
): Promise<AttemptsResult<z.infer<S>>> {
  let usage = ZERO_USAGE;
  let feedback: string | null = null;
  let reason: string;
  let check: string;
  let raw: string;
  let value: z.infer<S> | undefined;
  for (let attempt = 1; ; attempt++) {
    const result: StructuredResult<z.infer<S>> = await invokeStructured(
      options.model,
      options.schema,
      options.messages(feedback),
      { name: options.name },
    );
    usage = addUsage(usage, result.usage);
    raw = result.raw;
    value = result.ok ? result.value : undefined;
    if (result.ok) {
      const problem: { check: string; detail: string } | null = options.validate?.(result.value) ?? null;
      if (!problem) return { ok: true, value: result.value, attempts: attempt, usage };
      check = problem.check;
      reason = problem.detail;
    } else {
      check = "structured_output";
      reason = result.reason;
    }
    if (attempt > options.maxRetries)
      return { ok: false, reason, check, attempts: attempt, usage, raw, ...(value !== undefined ? { value } : {}) };
    feedback = reason;
    options.onRetry?.(reason, attempt);
  }
}
