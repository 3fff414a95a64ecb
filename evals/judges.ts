import type { BaseChatModel } from "@langchain/core/language_models/chat_models";
import { HumanMessage, SystemMessage } from "@langchain/core/messages";
import { z } from "zod";
import { resolveLanguage } from "../lib/lang/languages.js";
import { invokeStructured, type StructuredResult } from "../lib/models/structured.js";
import { fillSlots, JUDGES_DIR, loadPromptSet, type PromptSet } from "../lib/prompts/loader.js";
import { addUsage, type Usage, ZERO_USAGE } from "../lib/records/schema.js";
import { loadSpeechEvents, type SpeechEvent } from "../lib/speech-events.js";
import type { EvalDialogue } from "./dialogues.js";
import type { SpeakerMemory } from "../nodes/series-history.js";

/**
 * The LLM judges of the eval: three structured calls per dialogue (invokeStructured, zod schemas, so a grammar
 * or guided decoding forces their shape), with prompts in prompts/judges/<variant>/ (loaded like generation
 * variants, over prompts/judges/baseline/):
 *
 *   persona       personas (+ the common ground when there is one) and the dialogue → persona_grounding 1–5,
 *                 contradiction yes/no, common_ground_use 1–5 (only when there is a common ground)
 *   naturalness   the dialogue only → naturalness 1–5, sounds_translated yes/no
 *   speech-event  the dialogue only, and the list of speech events → the event's id (accuracy vs the planned one)
 *   history       later sessions of a series only: both speakers' memory of the earlier sessions and the session →
 *                 memory_use 1–5, contradiction (with the earlier sessions) yes/no
 *
 * A call whose answer does not parse is retried once with the reason; a judge that still fails leaves its
 * figures null for that dialogue (counted in `failures`), never a guess.
 */

const Score = z.union([z.literal(1), z.literal(2), z.literal(3), z.literal(4), z.literal(5)]);

export function personaJudgeSchema(withCommonGround: boolean) {
  const base = z.object({
    evidence: z.string().max(400),
    persona_grounding: Score,
    contradiction: z.boolean(),
    contradicting_turns: z.array(z.number().int().min(0).max(63)).max(16),
  });
  return withCommonGround ? base.extend({ common_ground_use: Score }) : base;
}

export const NaturalnessJudgeSchema = z.object({
  evidence: z.string().max(400),
  naturalness: Score,
  sounds_translated: z.boolean(),
});

export const HistoryJudgeSchema = z.object({
  evidence: z.string().max(400),
  memory_use: Score,
  contradiction: z.boolean(),
  contradicting_turns: z.array(z.number().int().min(0).max(63)).max(16),
});

export function speechEventJudgeSchema(events: readonly SpeechEvent[]) {
  const ids = events.map((e) => e.id) as [string, ...string[]];
  return z.object({ reason: z.string().max(300), speech_event: z.enum(ids) });
}

export interface JudgeScores {
  persona_grounding: number | null;
  contradiction: boolean | null;
  common_ground_use: number | null;
  naturalness: number | null;
  sounds_translated: boolean | null;
  speech_event_guess: string | null;
  /** later sessions of a series (the history judge): how much the session draws on the earlier ones, 1–5 */
  memory_use: number | null;
  /** later sessions of a series: a speaker contradicts or forgets the earlier sessions */
  history_contradiction: boolean | null;
  /** "persona: …", "naturalness: …", "speech-event: …" for each judge that gave no usable answer */
  failures: string[];
  usage: Usage;
  calls: number;
}

export interface Judge {
  model: BaseChatModel;
  prompts: PromptSet;
  label: string;
  retries?: number;
}

export function loadJudgePrompts(variant: string): PromptSet {
  return loadPromptSet(variant, JUDGES_DIR);
}

export function transcript(dialogue: Pick<EvalDialogue, "turns">): string {
  return dialogue.turns.map((turn, i) => `[${i}] ${turn.speaker}: ${turn.text}`).join("\n");
}

function bullets(sentences: readonly string[] | null): string {
  return sentences?.length ? sentences.map((s) => `- ${s}`).join("\n") : "(not given: do not judge this speaker)";
}

function languageSlots(tag: string) {
  const resolved = resolveLanguage(tag);
  const name = resolved.ok ? resolved.lang.englishName : tag;
  return { language_name: name, language_native_name: resolved.ok ? resolved.lang.nativeName : tag };
}

/** One speaker's memory as the history judge reads it: a line per earlier session, then the facts about the partner. */
export function memoryLines(memory: SpeakerMemory | undefined, partner: string): string {
  if (!memory || (memory.summaries.length === 0 && memory.partner_facts.length === 0)) return "(nothing)";
  return [
    ...memory.summaries.map((s) => `- conversation ${s.session}: ${s.text}`),
    ...memory.partner_facts.map((fact) => `- about ${partner}: ${fact}`),
  ].join("\n");
}

/** The messages of each judge for one dialogue (exported for the prompt regression checks). */
export function judgeMessages(
  prompts: PromptSet,
  dialogue: EvalDialogue,
  events: readonly SpeechEvent[] = loadSpeechEvents(),
) {
  const common = { ...languageSlots(dialogue.language), transcript: transcript(dialogue) };
  const persona = prompts.get("persona");
  const cg = dialogue.commonGround;
  const personaSlots = {
    ...common,
    persona_a: bullets(dialogue.personas.A),
    persona_b: bullets(dialogue.personas.B),
    common_ground_instruction: cg ? persona.section("common-ground-instruction") : "",
    common_ground_block: cg ? `${fillSlots(persona.section("common-ground"), { common_ground: cg })}\n\n` : "",
  };
  const naturalness = prompts.get("naturalness");
  const event = prompts.get("speech-event");
  const eventSlots = {
    ...common,
    speech_events: events.map((e) => `- ${e.id}: ${e.name} — ${e.description}`).join("\n"),
  };
  const build = (template: typeof persona, slots: Record<string, string>) => (feedback: string | null) => [
    new SystemMessage(fillSlots(template.section("system"), slots)),
    new HumanMessage(
      fillSlots(template.section("user"), slots) +
        (feedback ? `\n\n${fillSlots(template.section("retry"), { feedback })}` : ""),
    ),
  ];
  const history = dialogue.history;
  const historySlots = history
    ? {
        ...common,
        session: String(history.sessionsBefore + 1),
        name_a: history.names.A,
        name_b: history.names.B,
        memory_a: memoryLines(
          history.memories.find((m) => m.speaker === "A"),
          history.names.B,
        ),
        memory_b: memoryLines(
          history.memories.find((m) => m.speaker === "B"),
          history.names.A,
        ),
      }
    : null;
  return {
    persona: build(persona, personaSlots),
    naturalness: build(naturalness, common),
    speechEvent: build(event, eventSlots),
    history: historySlots ? build(prompts.get("history"), historySlots) : null,
  };
}

async function ask<S extends z.ZodTypeAny>(
  judge: Judge,
  schema: S,
  name: string,
  messages: (feedback: string | null) => ReturnType<ReturnType<typeof judgeMessages>["persona"]>,
) {
  let usage = ZERO_USAGE;
  let feedback: string | null = null;
  let calls = 0;
  for (let attempt = 0; attempt <= (judge.retries ?? 1); attempt++) {
    const result: StructuredResult<z.infer<S>> = await invokeStructured(judge.model, schema, messages(feedback), {
      name,
      runName: `judge ${name}`,
    });
    usage = addUsage(usage, result.usage);
    calls++;
    if (result.ok) return { value: result.value, usage, calls, failure: null };
    feedback = result.reason;
  }
  return { value: null, usage, calls, failure: `${name}: ${feedback}` };
}

/** All three judges on one dialogue. */
export async function judgeDialogue(
  judge: Judge,
  dialogue: EvalDialogue,
  events: readonly SpeechEvent[] = loadSpeechEvents(),
): Promise<JudgeScores> {
  const messages = judgeMessages(judge.prompts, dialogue, events);
  const hasPersona = Boolean(dialogue.personas.A?.length || dialogue.personas.B?.length);
  const persona = hasPersona
    ? await ask(judge, personaJudgeSchema(dialogue.commonGround !== null), "persona_judge", messages.persona)
    : null;
  const natural = await ask(judge, NaturalnessJudgeSchema, "naturalness_judge", messages.naturalness);
  // without a planned speech event (datasets not written by us) there is nothing to be right about: no call
  const event = dialogue.speechEvent
    ? await ask(judge, speechEventJudgeSchema(events), "speech_event_judge", messages.speechEvent)
    : null;
  // a later session of a series: judged against the memory its speakers had
  const history = messages.history ? await ask(judge, HistoryJudgeSchema, "history_judge", messages.history) : null;
  const p = persona?.value;
  return {
    persona_grounding: p?.persona_grounding ?? null,
    contradiction: p ? p.contradiction : null,
    common_ground_use: p && "common_ground_use" in p ? (p.common_ground_use as number) : null,
    naturalness: natural.value?.naturalness ?? null,
    sounds_translated: natural.value ? natural.value.sounds_translated : null,
    speech_event_guess: event?.value?.speech_event ?? null,
    memory_use: history?.value?.memory_use ?? null,
    history_contradiction: history?.value ? history.value.contradiction : null,
    failures: [persona?.failure, natural.failure, event?.failure, history?.failure].filter((f): f is string =>
      Boolean(f),
    ),
    usage: [
      persona?.usage ?? ZERO_USAGE,
      natural.usage,
      event?.usage ?? ZERO_USAGE,
      history?.usage ?? ZERO_USAGE,
    ].reduce(addUsage, ZERO_USAGE),
    calls: (persona?.calls ?? 0) + natural.calls + (event?.calls ?? 0) + (history?.calls ?? 0),
  };
}
