/**
 * Training-ready shapes of a dialogue record (`--format messages`, `--format personachat`):
 *
 * - messages: chat fine-tuning examples as OpenAI fine-tuning, Hugging Face TRL's SFTTrainer and most trainers
 *   read them, `{"messages": [{role, content}, …]}`. One example per speaker who speaks: the system message
 *   carries that speaker's persona (and, with --common-ground, the common ground), that speaker's turns are
 *   `assistant`, the partner's `user`; the example ends on the speaker's last turn (a partner's turn after it is
 *   dropped from that example). The speaker who opens the dialogue starts on an assistant turn.
 *   The system wording is versioned text: prompts/export/baseline/messages.md.
 * - personachat: one entry per dialogue as XPersona ships it, `{"persona": [...], "dialogue": [[turn, reply], …]}`,
 *   with the persona of the replying speaker. The replying speaker is the one who speaks last, so no turn is lost:
 *   when that is also the speaker who opened, the first pair is `["__SILENCE__", first turn]` (ConvAI2's marker
 *   for "the partner said nothing yet").
 *
 * Empty turns are left out; consecutive turns of one speaker (the graph alternates, other data may not) are
 * joined with a newline, so roles alternate.
 */
import type { DialogueRecord, Speaker } from "../../lib/records/schema.js";
import { EXPORT_DIR, fillSlots, loadPromptSet } from "../../lib/prompts/loader.js";

export type ChatRole = "system" | "user" | "assistant";
export interface ChatMessage {
  role: ChatRole;
  content: string;
}
export interface MessagesExample {
  messages: ChatMessage[];
}

export interface PersonaChatEntry {
  persona: string[];
  dialogue: [string, string][];
}

export const SILENCE = "__SILENCE__";

/** The turns with empty ones left out and one speaker's consecutive turns joined. */
function tidyTurns(record: DialogueRecord): { speaker: Speaker; text: string }[] {
  const out: { speaker: Speaker; text: string }[] = [];
  for (const turn of record.turns) {
    const text = turn.text.trim();
    if (!text) continue;
    const last = out[out.length - 1];
    if (last && last.speaker === turn.speaker) last.text = `${last.text}\n${text}`;
    else out.push({ speaker: turn.speaker, text });
  }
  return out;
}

const personaOf = (record: DialogueRecord, speaker: Speaker) =>
  (record.personas.find((p) => p.speaker === speaker)?.sentences ?? []).map((s) => s.trim()).filter(Boolean);

export interface MessagesOptions {
  /** add the dialogue's common ground to the system message */
  commonGround?: boolean;
}

/** The system message of one speaker (prompts/export/baseline/messages.md). */
export function systemMessage(persona: readonly string[], commonGround: string | null): string {
  const template = loadPromptSet("baseline", EXPORT_DIR).get("messages");
  const system = fillSlots(template.section("system"), { persona: persona.map((s) => `- ${s}`).join("\n") }).trim();
  if (!commonGround?.trim()) return system;
  return `${system}\n\n${fillSlots(template.section("common_ground"), { common_ground: commonGround.trim() }).trim()}`;
}

/**
 * The dialogue as one fine-tuning example per speaker (A's, then B's). A speaker without persona sentences or
 * without a turn gives no example.
 */
export function toMessagesExamples(record: DialogueRecord, options: MessagesOptions = {}): MessagesExample[] {
  const turns = tidyTurns(record);
  const examples: MessagesExample[] = [];
  for (const speaker of ["A", "B"] as const) {
    const persona = personaOf(record, speaker);
    const last = turns.map((t) => t.speaker).lastIndexOf(speaker);
    if (persona.length === 0 || last < 0) continue;
    const system = systemMessage(persona, options.commonGround ? record.common_ground : null);
    examples.push({
      messages: [
        { role: "system", content: system },
        ...turns.slice(0, last + 1).map((t): ChatMessage => ({ role: t.speaker === speaker ? "assistant" : "user", content: t.text })),
      ],
    });
  }
  return examples;
}

/** The dialogue as one XPersona entry (null when it has no turn). */
export function toPersonaChat(record: DialogueRecord): PersonaChatEntry | null {
  const turns = tidyTurns(record);
  if (turns.length === 0) return null;
  const replier = turns[turns.length - 1]!.speaker;
  const texts = turns.map((t) => t.text);
  // consecutive turns alternate, so the replier speaks at every other index ending with the last
  if (turns[0]!.speaker === replier) texts.unshift(SILENCE);
  const dialogue: [string, string][] = [];
  for (let i = 0; i < texts.length; i += 2) dialogue.push([texts[i]!, texts[i + 1]!]);
  return { persona: personaOf(record, replier), dialogue };
}
