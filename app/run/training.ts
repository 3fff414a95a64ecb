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
 * A multi-session series (a record with `sessions[]`) gives the same per session: messages, one example per speaker
 * per session, whose system message for a later session carries that speaker's memory of the earlier ones (their
 * summaries and what they learned about the partner, as the memory node wrote them) and the gap; personachat, one
 * entry per session, with the persona as it stood in that session.
 *
 * Empty turns are left out; consecutive turns of one speaker (the graph alternates, other data may not) are
 * joined with a newline, so roles alternate.
 */
import { gapText } from "../../nodes/series-gap.js";
import type { DialogueRecord, SeriesSession, Speaker } from "../../lib/records/schema.js";
import { EXPORT_DIR, fillSlots, loadPromptSet } from "../../lib/prompts/loader.js";
import { SILENCE } from "../../lib/gates/datasets.js";

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

/** The turns with empty ones left out and one speaker's consecutive turns joined. */
function tidyTurns(record: Pick<DialogueRecord, "turns">): { speaker: Speaker; text: string }[] {
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

const personaOf = (record: Pick<DialogueRecord, "personas">, speaker: Speaker) =>
  (record.personas.find((p) => p.speaker === speaker)?.sentences ?? []).map((s) => s.trim()).filter(Boolean);

export interface MessagesOptions {
  /** add the dialogue's common ground to the system message */
  commonGround?: boolean;
}

/** The system message of one speaker (prompts/export/baseline/messages.md). */
export function systemMessage(
  persona: readonly string[],
  commonGround: string | null,
  history?: { gap: string; memory: string },
): string {
  const template = loadPromptSet("baseline", EXPORT_DIR).get("messages");
  const personaList = persona.map((s) => `- ${s}`).join("\n");
  const system = (
    history
      ? fillSlots(template.section("series"), { persona: personaList, gap: history.gap, memory: history.memory })
      : fillSlots(template.section("system"), { persona: personaList })
  ).trim();
  if (!commonGround?.trim()) return system;
  return `${system}\n\n${fillSlots(template.section("common_ground"), { common_ground: commonGround.trim() }).trim()}`;
}

/**
 * The dialogue as one fine-tuning example per speaker (A's, then B's). A speaker without persona sentences or
 * without a turn gives no example.
 */
export function toMessagesExamples(record: DialogueRecord, options: MessagesOptions = {}): MessagesExample[] {
  if (record.sessions)
    return record.sessions.flatMap((session, i) => sessionExamples(session, record.sessions!.slice(0, i), options));
  return sessionExamples(record, [], options);
}

/**
 * One speaker's memory of the earlier sessions, as the memory node wrote it: a summary per session, then what they
 * learned about the partner.
 */
export function memoryOf(earlier: readonly SeriesSession[], speaker: Speaker): string {
  const memories = earlier.flatMap((session) =>
    session.memory.filter((m) => m.speaker === speaker).map((m) => ({ session: session.session, ...m })),
  );
  const facts = [...new Set(memories.flatMap((m) => m.partner_facts))];
  return [...memories.map((m) => `- ${m.summary}`), ...facts.map((fact) => `- ${fact}`)].join("\n");
}

function sessionExamples(
  session: Pick<DialogueRecord, "turns" | "personas" | "common_ground"> & { gap?: SeriesSession["gap"] },
  earlier: readonly SeriesSession[],
  options: MessagesOptions,
): MessagesExample[] {
  const record = session;
  const turns = tidyTurns(record);
  const examples: MessagesExample[] = [];
  for (const speaker of ["A", "B"] as const) {
    const persona = personaOf(record, speaker);
    const last = turns.map((t) => t.speaker).lastIndexOf(speaker);
    if (persona.length === 0 || last < 0) continue;
    const history = session.gap ? { gap: gapText(session.gap), memory: memoryOf(earlier, speaker) } : undefined;
    const system = systemMessage(persona, options.commonGround ? record.common_ground : null, history);
    examples.push({
      messages: [
        { role: "system", content: system },
        ...turns
          .slice(0, last + 1)
          .map((t): ChatMessage => ({ role: t.speaker === speaker ? "assistant" : "user", content: t.text })),
      ],
    });
  }
  return examples;
}

/** The dialogue as one XPersona entry (null when it has no turn). */
export function toPersonaChat(record: Pick<DialogueRecord, "turns" | "personas">): PersonaChatEntry | null {
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

/** The record as XPersona entries: one, or one per session of a series (those with a turn). */
export function toPersonaChatEntries(record: DialogueRecord): PersonaChatEntry[] {
  return (record.sessions ?? [record]).map(toPersonaChat).filter((entry) => entry !== null);
}
