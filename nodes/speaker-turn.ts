import type { Runtime } from "@langchain/langgraph";
import { AIMessage, type BaseMessage, HumanMessage, SystemMessage } from "@langchain/core/messages";
import type { RunnableConfig } from "@langchain/core/runnables";
import { z } from "zod";
import { type DialogueContext, resolveRuntime } from "./configuration.js";
import type { CandidateTurn, DialogueState, DialogueUpdate } from "./state.js";
import { emitDialogueEvent } from "./events.js";
import { invokeStructured } from "../lib/models/structured.js";
import {
  BASELINE_MANIFEST,
  fillSlots,
  loadPromptSet,
  type PromptTemplate,
  type VariantManifest,
} from "../lib/prompts/loader.js";
import type { Persona, Speaker } from "../lib/records/schema.js";
import { speakerHistory } from "./series-render.js";
import { checkTurnIn } from "./check-turn.js";
import { sessionsBefore } from "./series-history.js";
import {
  bulletList,
  conditioningSlots,
  demonstrationFor,
  languageOf,
  languageSlots,
  renderDemonstration,
} from "./shared.js";

const turnSchemas = new Map<number, ReturnType<typeof buildTurnSchema>>();
function buildTurnSchema(maxChars: number) {
  return z.object({ utterance: z.string().max(maxChars), ends_conversation: z.boolean() });
}
/** One chat message and whether it closes the conversation (length-bounded, so a grammar bounds it too). */
export function turnSchema(maxChars: number) {
  let schema = turnSchemas.get(maxChars);
  if (!schema) turnSchemas.set(maxChars, (schema = buildTurnSchema(maxChars)));
  return schema;
}

export function speakerOfTurn(index: number): Speaker {
  return index % 2 === 0 ? "A" : "B";
}

/** What a speaker's system prompt is made of besides its persona, and the prompt built from them. */
interface SystemPromptEntry {
  prompt: PromptTemplate;
  manifest: VariantManifest;
  parts: readonly unknown[];
  text: string;
}

/** Per persona (a dialogue's own object, kept by its state from turn to turn): its speaker's system prompt. */
const systemPrompts = new WeakMap<Persona, SystemPromptEntry>();

/**
 * The speaker's system prompt: persona, language, conditioning, demonstration and series history. It is the same on
 * every turn of a dialogue, so it is built once per persona and rebuilt only when anything it is made of differs.
 */
function speakerSystemPrompt(
  state: DialogueState,
  prompt: PromptTemplate,
  persona: Persona,
  manifest: VariantManifest,
): string {
  const parts = [state.language, state.seed, state.index, state.speechEvent, state.commonGround, state.history];
  const cached = systemPrompts.get(persona);
  if (cached?.prompt === prompt && cached.manifest === manifest && cached.parts.every((part, i) => part === parts[i]))
    return cached.text;
  const text =
    fillSlots(prompt.section("system"), {
      ...languageSlots(languageOf(state.language)),
      name: persona.name,
      persona: bulletList(persona.sentences),
      ...conditioningSlots(state, manifest),
      demonstration: renderDemonstration(prompt, demonstrationFor(state, manifest)),
    }) + speakerHistory(state.history, persona.speaker);
  systemPrompts.set(persona, { prompt, manifest, parts, text });
  return text;
}

/**
 * The messages one speaker sees: its own persona (never the other's), the common ground, the speech event (those
 * two as the variant's manifest allows), an English demonstration, then the dialogue so far as a chat — its own
 * turns as its earlier answers, the partner's as incoming messages. Notes for this call only (progress, retry
 * feedback, repair feedback) go on the last incoming message, so the prefix of every call is the prefix of the next.
 */
export function speakerMessages(
  state: DialogueState,
  prompt: PromptTemplate,
  speaker: Speaker,
  manifest: VariantManifest = BASELINE_MANIFEST,
): BaseMessage[] {
  const persona = state.personas.find((p) => p.speaker === speaker);
  const event = state.speechEvent;
  if (!persona || !event) throw new Error("speakerTurn runs after the personas and the speech event exist");
  const system = speakerSystemPrompt(state, prompt, persona, manifest);

  const chat: BaseMessage[] = [];
  if (speaker === "A") chat.push(new HumanMessage(prompt.section("opening")));
  for (const turn of state.turns) {
    chat.push(
      turn.speaker === speaker
        ? new AIMessage(JSON.stringify({ utterance: turn.text, ends_conversation: false }))
        : new HumanMessage(turn.text),
    );
  }

  const turnNumber = state.turns.length + 1;
  const notes = [
    fillSlots(prompt.section("progress"), {
      turn_number: turnNumber,
      target_turns: state.targetTurns,
      closing_hint: turnNumber >= state.targetTurns - 1 ? prompt.section("closing-hint") : "",
    }),
  ];
  if (state.repairFeedback) notes.push(fillSlots(prompt.section("repair"), { feedback: state.repairFeedback }));
  if (state.turnFeedback) notes.push(fillSlots(prompt.section("retry"), { feedback: state.turnFeedback }));
  const last = chat.at(-1)!;
  chat[chat.length - 1] = new HumanMessage(`${last.content as string}\n\n${notes.join("\n")}`);
  return [new SystemMessage(system), ...chat];
}

/**
 * The speaker whose turn it is writes one utterance, and the turn check (nodes/check-turn, a traced step of its own
 * inside this node) decides whether it stands: the update holds the turn joined to the dialogue, or the feedback for
 * a retry, or the rejection.
 */
export async function speakerTurn(state: DialogueState, runtime: Runtime<DialogueContext>): Promise<DialogueUpdate> {
  const { config, chatModel } = resolveRuntime(runtime);
  const prompts = loadPromptSet(config.promptVariant);
  const speaker = speakerOfTurn(state.turns.length);
  const messages = speakerMessages(state, prompts.get("speaker-turn"), speaker, prompts.manifest);
  emitDialogueEvent(runtime, { event: "turn", speaker, turn: state.turns.length, attempt: state.turnRetries + 1 });
  const result = await invokeStructured(chatModel, turnSchema(config.maxTurnChars), messages, {
    name: "turn",
    runName: `turn ${state.turns.length} (${speaker})`,
  });
  const candidate: CandidateTurn = result.ok
    ? { speaker, text: result.value.utterance.trim(), endsConversation: result.value.ends_conversation }
    : { speaker, text: "", endsConversation: false, outputError: result.reason, raw: result.raw };
  // LangGraph hands a node its run's config (the runtime's fields are on it): a traced check runs as a child of this node
  const checked = await checkTurnIn(runtime as RunnableConfig, {
    candidate,
    language: state.language,
    turns: state.turns,
    turnRetries: state.turnRetries,
    sessionsBefore: sessionsBefore(state.history),
    settings: { turnsMin: config.turnsMin, maxTurnRetries: config.maxTurnRetries, maxTurnChars: config.maxTurnChars },
  });
  // this call's usage and attempt: the graph adds them to the dialogue's totals (state.ts)
  return { usage: result.usage, attempts: 1, ...checked };
}
