import type { Runtime } from "@langchain/langgraph";
import { z } from "zod";
import {
  CritiqueSchema,
  type DialogueRecord,
  type Gap,
  PersonaSchema,
  RejectionReasonSchema,
  SpeakerSchema,
  TurnSchema,
} from "../lib/records/schema.js";
import type { DialogueUpdate } from "./state.js";

/**
 * A dialogue as it is written, taken from LangGraph's own stream modes (`graph.stream(…, { streamMode: ["updates",
 * "messages", "custom"] })`): each node's update says what it decided (the speech event, the common ground, a
 * turn, a failed check, the critique's verdict, the record), the chat model's tokens come through "messages", and
 * the few things a node knows before its update — one persona of two, a structured call about to be retried, a
 * speaker about to write — through "custom" events the nodes write with `runtime.writer`.
 *
 * dialogueEvents() turns one stream chunk into DialogueEvents, the only shape a display (app/run/live-view.ts)
 * needs to know.
 */

/** What a node writes on the "custom" stream (checked with zod where it is read: the stream is a boundary). */
export const DialogueCustomEventSchema = z.discriminatedUnion("event", [
  /** one persona, rewritten (the other may still be in the writing) */
  z.object({ event: z.literal("persona"), persona: PersonaSchema }),
  /** a structured call failed validation and is asked again, with this reason */
  z.object({
    event: z.literal("retry"),
    stage: z.enum(["persona", "common_ground", "critique", "dialogue"]),
    speaker: SpeakerSchema.optional(),
    attempt: z.number().int().positive(),
    reason: z.string(),
  }),
  /** a speaker starts writing turn `turn` (0-based); attempt 1 is the first try, more are retries */
  z.object({
    event: z.literal("turn"),
    speaker: SpeakerSchema,
    turn: z.number().int().nonnegative(),
    attempt: z.number().int().positive(),
  }),
]);
export type DialogueCustomEvent = z.infer<typeof DialogueCustomEventSchema>;

/** Writes a custom event on the run's "custom" stream (nothing when the run does not stream it, or a node is called directly). */
export function emitDialogueEvent<C>(runtime: Runtime<C> | undefined, event: DialogueCustomEvent): void {
  // LangGraph leaves `writer` unset when the run does not stream custom events, whatever its type says
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition
  runtime?.writer?.(event);
}

export type DialogueEvent =
  | Extract<DialogueCustomEvent, { event: "persona" | "turn" }>
  | (
      | Extract<DialogueCustomEvent, { event: "retry" }>
      | { event: "retry"; stage: "turn"; speaker?: undefined; attempt: number; reason: string }
    )
  | { event: "speech-event"; name: string; description: string; targetTurns: number }
  | { event: "common-ground"; text: string }
  /** a piece of the answer the model is writing for the turn open now (as the model writes it: JSON) */
  | { event: "tokens"; call: string; text: string }
  /** the turn the speaker wrote (before the checks); `error` when the answer could not be read */
  | { event: "turn-written"; speaker: z.infer<typeof SpeakerSchema>; text: string; error?: string }
  /** the whole dialogue in one draft (the whole-dialogue prompt variants) */
  | { event: "draft"; turns: z.infer<typeof TurnSchema>[] }
  /** the critique's verdict; `repairFrom`: the turns from there on are written again */
  | { event: "critique"; critique: z.infer<typeof CritiqueSchema>; repairFrom: number | null }
  /** a multi-session series starts a later session, this long after the last one */
  | { event: "session"; session: number; gap: Gap }
  /** the graph's record (before the run's own review, which may still reject it as a near-duplicate) */
  | { event: "record"; status: DialogueRecord["status"]; reasons: z.infer<typeof RejectionReasonSchema>[] };

type StreamChunk = [mode: string, payload: unknown];

/** The nodes whose model tokens are shown as they come: the speakers' turns. */
const STREAMED_NODES = new Set(["speakerTurn"]);

function textOfChunk(message: unknown): string {
  const content = (message as { content?: unknown } | null)?.content;
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return "";
  return (content as unknown[])
    .map((part) =>
      typeof part === "string"
        ? part
        : typeof part === "object" && part !== null && "text" in part && typeof part.text === "string"
          ? part.text
          : "",
    )
    .join("");
}

function fromUpdate(node: string, update: DialogueUpdate): DialogueEvent[] {
  switch (node) {
    case "selectSpeechEvent":
      return update.speechEvent
        ? [
            {
              event: "speech-event",
              name: update.speechEvent.name,
              description: update.speechEvent.description,
              targetTurns: update.targetTurns ?? 0,
            },
          ]
        : [];
    case "writeCommonGround":
      return update.commonGround && !update.failedAttempt
        ? [{ event: "common-ground", text: update.commonGround }]
        : [];
    case "speakerTurn": {
      // the speaker's step writes the turn and checks it: what was written, then the check's retry if it failed
      const candidate = update.candidate;
      if (!candidate) return [];
      const written: DialogueEvent = {
        event: "turn-written",
        speaker: candidate.speaker,
        text: candidate.text,
        ...(candidate.outputError ? { error: candidate.outputError } : {}),
      };
      return update.turnFeedback
        ? [written, { event: "retry", stage: "turn", attempt: update.turnRetries ?? 1, reason: update.turnFeedback }]
        : [written];
    }
    case "checkDialogue":
      return update.turnFeedback
        ? [{ event: "retry", stage: "dialogue", attempt: update.turnRetries ?? 1, reason: update.turnFeedback }]
        : [];
    case "writeDialogue":
      return update.turns ? [{ event: "draft", turns: update.turns }] : [];
    case "critiqueDialogue":
      // a repair cuts the turns back to the earliest offending one and hands the speakers the feedback
      return update.critique
        ? [
            {
              event: "critique",
              critique: update.critique,
              repairFrom: update.repairFeedback && update.turns ? update.turns.length : null,
            },
          ]
        : [];
    case "finalize":
      return update.record
        ? [{ event: "record", status: update.record.status, reasons: update.record.rejection_reasons }]
        : [];
    default:
      return [];
  }
}

/**
 * The DialogueEvents in one chunk of `graph.stream(…, { streamMode: [...] })` with "updates", "messages" and/or
 * "custom" among the modes; chunks of other modes ("values") give none.
 */
export function dialogueEvents(chunk: StreamChunk): DialogueEvent[] {
  const [mode, payload] = chunk;
  if (mode === "custom") {
    const parsed = DialogueCustomEventSchema.safeParse(payload);
    return parsed.success ? [parsed.data] : [];
  }
  if (mode === "messages") {
    const [message, metadata] = payload as [unknown, { langgraph_node?: string } | undefined];
    if (!STREAMED_NODES.has(metadata?.langgraph_node ?? "")) return [];
    const text = textOfChunk(message);
    const call = (message as { id?: unknown }).id;
    return text ? [{ event: "tokens", call: typeof call === "string" ? call : "", text }] : [];
  }
  if (mode === "updates") {
    const events: DialogueEvent[] = [];
    for (const [node, update] of Object.entries((payload ?? {}) as Record<string, DialogueUpdate | null>)) {
      if (update && typeof update === "object") events.push(...fromUpdate(node, update));
    }
    return events;
  }
  return [];
}

/** The stream modes dialogueEvents() reads, plus "values" for the run's final state. */
export const WATCHED_STREAM_MODES = ["values", "updates", "messages", "custom"] as const;
