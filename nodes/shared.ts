import { turnGateFailures, type CheckName, type GateFailure } from "../lib/gates/index.js";
import { type LanguageInfo, resolveLanguage } from "../lib/lang/languages.js";
import { type Demonstration, loadDemonstrations, pickDemonstration } from "../lib/demonstrations.js";
import { HumanMessage, SystemMessage } from "@langchain/core/messages";
import { fillSlots, type PromptTemplate, type VariantManifest } from "../lib/prompts/loader.js";
import { createRng, hashSeed } from "../lib/random.js";
import type { Turn } from "../lib/records/schema.js";
import type { DialogueState } from "./state.js";

/** Small pieces several nodes use: language slots, persona text, the gates on prose. */

export function languageOf(tag: string): LanguageInfo {
  const resolved = resolveLanguage(tag);
  if (!resolved.ok) throw new Error(resolved.message);
  return resolved.lang;
}

export function languageSlots(lang: LanguageInfo): Record<string, string> {
  return { language_name: lang.englishName, language_native_name: lang.nativeName, language_tag: lang.tag };
}

export function bulletList(sentences: readonly string[]): string {
  return sentences.map((sentence) => `- ${sentence}`).join("\n");
}

/** The gates that make sense on a paragraph of generated prose (a persona, the common ground). */
const PROSE_CHECKS: CheckName[] = ["empty", "language", "placeholder", "meta_text"];

export function checkProse(text: string, language: string): GateFailure | null {
  const turns: Turn[] = [{ speaker: "A", text }];
  return turnGateFailures(turns, 0, { lang: language, checks: PROSE_CHECKS })[0] ?? null;
}

export function describeFailures(failures: readonly { check: string; detail: string }[]): string {
  return failures.map((failure) => `${failure.check}: ${failure.detail}`).join("; ");
}

/**
 * The conditioning slots (speech event, common ground) the prompt variant's manifest enables. A disabled one is
 * not given at all, so a template of an ablation variant that still names it throws in fillSlots instead of
 * leaking the conditioning.
 */
export function conditioningSlots(
  state: Pick<DialogueState, "speechEvent" | "commonGround">,
  manifest: VariantManifest,
): Record<string, string> {
  const slots: Record<string, string> = {};
  if (manifest.speechEvent && state.speechEvent) {
    slots.speech_event_name = state.speechEvent.name;
    slots.speech_event_description = state.speechEvent.description;
  }
  if (manifest.commonGround) slots.common_ground = state.commonGround;
  return slots;
}

/**
 * The slots of a prompt that sees the whole conversation from outside (common ground, whole dialogue, critique):
 * the language, the enabled conditioning and both personas. Throws when the personas or the plan are missing,
 * naming the node that ran too early.
 */
export function bothSpeakersSlots(
  state: DialogueState,
  manifest: VariantManifest,
  node: string,
): Record<string, string> {
  const [a, b] = state.personas;
  if (!a || !b || !state.speechEvent) throw new Error(`${node} runs after both personas and the speech event exist`);
  return {
    ...languageSlots(languageOf(state.language)),
    ...conditioningSlots(state, manifest),
    name_a: a.name,
    persona_a: bulletList(a.sentences),
    name_b: b.name,
    persona_b: bulletList(b.sentences),
  };
}

export function renderDemonstration(prompt: PromptTemplate, demo: Demonstration): string {
  return fillSlots(prompt.section("demonstration"), {
    persona_1: bulletList(demo.personas[0]),
    persona_2: bulletList(demo.personas[1]),
    situation: demo.common_ground,
    conversation: demo.turns.map((turn) => `– ${turn}`).join("\n"),
  });
}

/**
 * The English demonstration of a dialogue (seeded): one of the planned speech event when the variant shows the
 * event, otherwise one drawn without it, so that an ablated event does not come back through the example.
 */
export function demonstrationFor(state: DialogueState, manifest: VariantManifest): Demonstration {
  const rng = createRng(hashSeed(state.seed, state.language, state.index, "demo"));
  const demos = loadDemonstrations();
  return manifest.speechEvent && state.speechEvent
    ? pickDemonstration(demos, state.speechEvent.id, rng)
    : rng.pick(demos);
}

/**
 * The messages of a structured call whose prompt has a system, a user and a retry section: the user message carries
 * the parser's or the gates' feedback on the last attempt, if any (attemptStructured's `messages`). `systemExtra` is
 * appended to the system message (a later session's history).
 */
export function promptMessages(prompt: PromptTemplate, slots: Record<string, string | number>, systemExtra = "") {
  return (feedback: string | null) => [
    new SystemMessage(fillSlots(prompt.section("system"), slots) + systemExtra),
    new HumanMessage(
      fillSlots(prompt.section("user"), {
        ...slots,
        retry_note: feedback ? fillSlots(prompt.section("retry"), { feedback }) : "",
      }),
    ),
  ];
}
