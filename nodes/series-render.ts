import { fillSlots, loadPromptSet, SERIES_DIR } from "../lib/prompts/loader.js";
import type { Speaker } from "../lib/records/schema.js";
import { bulletList } from "./shared.js";
import { gapText } from "./series-gap.js";
import type { SessionHistory } from "./series-history.js";

/**
 * The history of a series as the dialogue's prompts show it (prompts/series/baseline/history.md): appended to the
 * system message of the common-ground writer and the critique (both speakers' memories) and of each speaker (their
 * own memory only). A dialogue without history (a single dialogue, a first session) gets none of it, so its
 * prompts and prompt hash stay what they were.
 */
export const seriesPrompts = () => loadPromptSet("baseline", SERIES_DIR);

const nameOf = (history: SessionHistory, speaker: Speaker) =>
  history.personas.find((p) => p.speaker === speaker)?.name ?? speaker;
const other = (speaker: Speaker): Speaker => (speaker === "A" ? "B" : "A");

/** One speaker's memory: a line per earlier session, then what they know about the partner. */
export function memoryText(history: SessionHistory, speaker: Speaker): string {
  const template = seriesPrompts().get("history");
  const memory = history.memories.find((m) => m.speaker === speaker);
  if (!memory) return "";
  const lines = memory.summaries.map((s) =>
    fillSlots(template.section("memory"), { session: s.session, summary: s.text }),
  );
  if (memory.partner_facts.length) {
    lines.push(
      fillSlots(template.section("partner-facts"), {
        partner_name: nameOf(history, other(speaker)),
        facts: bulletList(memory.partner_facts),
      }),
    );
  }
  return lines.join("\n");
}

function commonSlots(history: SessionHistory) {
  return {
    session: history.session,
    gap: gapText(history.gap),
    earlier_events: history.earlierEvents.join("; "),
    name_a: nameOf(history, "A"),
    name_b: nameOf(history, "B"),
    memory_a: memoryText(history, "A"),
    memory_b: memoryText(history, "B"),
  };
}

/** For the common-ground writer and the whole-dialogue writer: the gap and both speakers' memories. */
export function commonGroundHistory(history: SessionHistory | null | undefined): string {
  return history
    ? `\n\n${fillSlots(seriesPrompts().get("history").section("common-ground"), commonSlots(history))}`
    : "";
}

/** For one speaker: the gap and their own memory, never the partner's. */
export function speakerHistory(history: SessionHistory | null | undefined, speaker: Speaker): string {
  if (!history) return "";
  const slots = { session: history.session, gap: gapText(history.gap), memory: memoryText(history, speaker) };
  return `\n\n${fillSlots(seriesPrompts().get("history").section("speaker"), slots)}`;
}

/** For the critique: both memories, and the memory-consistency score it must give. */
export function critiqueHistory(history: SessionHistory | null | undefined): string {
  return history ? `\n\n${fillSlots(seriesPrompts().get("history").section("critique"), commonSlots(history))}` : "";
}
