import type { Runtime } from "@langchain/langgraph";
import { z } from "zod";
import { type DialogueContext, resolveRuntime } from "./configuration.js";
import type { SpeakerMemory } from "./series-history.js";
import { seriesPrompts } from "./series-render.js";
import type { SeriesState, SeriesUpdate } from "./series-state.js";
import { attemptStructured } from "../lib/models/attempts.js";
import { addUsage, type Persona, type SessionMemory, SPEAKERS, type Turn, ZERO_USAGE } from "../lib/records/schema.js";
import { bulletList, checkProse, languageOf, languageSlots, promptMessages } from "./shared.js";

/** What the model returns for one speaker's memory of a session (bounded, so a grammar bounds it too). */
export const MemorySchema = z.object({
  summary: z.string().min(1).max(600),
  new_facts: z.array(z.string().min(1).max(200)).max(4),
  partner_facts: z.array(z.string().min(1).max(200)).max(5),
});
export type MemoryAnswer = z.infer<typeof MemorySchema>;

/** Partner facts a speaker keeps across sessions (the most recent). */
export const MAX_PARTNER_FACTS = 10;

const unique = (items: readonly string[]) => [
  ...new Map(items.map((item) => [item.trim().toLowerCase(), item.trim()])).values(),
];

export function transcriptFor(turns: readonly Turn[], personas: readonly Persona[]): string {
  const name = (speaker: string) => personas.find((p) => p.speaker === speaker)?.name || speaker;
  return turns.map((turn) => `${name(turn.speaker)}: ${turn.text}`).join("\n");
}

/** The personas after a session: each grows by the facts about themselves its speaker took away (no repeats). */
export function growPersonas(personas: readonly Persona[], memory: readonly SessionMemory[]): Persona[] {
  return personas.map((persona) => {
    const learned = memory.find((m) => m.speaker === persona.speaker)?.new_facts ?? [];
    return { ...persona, sentences: unique([...persona.sentences, ...learned]) };
  });
}

/** Each speaker's memory after a session: one more summary, and what they learned about the partner (the latest kept). */
export function growMemories(
  memories: readonly SpeakerMemory[],
  session: number,
  memory: readonly SessionMemory[],
): SpeakerMemory[] {
  return SPEAKERS.map((speaker) => {
    const before = memories.find((m) => m.speaker === speaker) ?? { speaker, summaries: [], partner_facts: [] };
    const now = memory.find((m) => m.speaker === speaker);
    if (!now) return before;
    return {
      speaker,
      summaries: [...before.summaries, { session, text: now.summary }],
      partner_facts: unique([...before.partner_facts, ...now.partner_facts]).slice(-MAX_PARTNER_FACTS),
    };
  });
}

/**
 * The memory of the session just written, one structured call per speaker with its own prompt
 * (prompts/series/baseline/memory.md): a summary from that speaker's point of view, facts about themselves that
 * came up (added to their persona for the next session) and what they learned about the partner, all in the target
 * language and through the prose gates. A memory that still fails after its retries ends the series, rejected with
 * the reason; a rejected session has no memory to write.
 */
export async function writeMemory(state: SeriesState, runtime: Runtime<DialogueContext>): Promise<SeriesUpdate> {
  const last = state.written.at(-1);
  if (!last) throw new Error("writeMemory runs after a session was written");
  const { config, chatModel } = resolveRuntime(runtime);
  const prompt = seriesPrompts().get("memory");
  const { personas, turns } = last.record;
  const transcript = transcriptFor(turns, personas);
  // this node's own calls (the graph adds them to the series' totals)
  let usage = ZERO_USAGE;
  let attempts = 0;
  const memory: SessionMemory[] = [];
  for (const speaker of SPEAKERS) {
    const self = personas.find((p) => p.speaker === speaker)!;
    const partner = personas.find((p) => p.speaker !== speaker)!;
    const slots = {
      ...languageSlots(languageOf(state.language)),
      name: self.name,
      partner_name: partner.name,
      persona: bulletList(self.sentences),
      transcript,
    };
    const result = await attemptStructured({
      model: chatModel,
      schema: MemorySchema,
      name: "memory",
      maxRetries: config.maxStructuredRetries,
      messages: promptMessages(prompt, slots),
      validate: (value) =>
        checkProse([value.summary, ...value.new_facts, ...value.partner_facts].join(" "), state.language),
    });
    usage = addUsage(usage, result.usage);
    attempts += result.attempts;
    if (!result.ok) {
      return {
        usage,
        attempts,
        rejectionReasons: [
          {
            check: result.check,
            detail: `memory of session ${last.session}, speaker ${speaker}: ${result.reason}`,
            session: last.session,
          },
        ],
        failedAttempt: { stage: "memory", speaker, session: last.session, text: result.raw },
      };
    }
    memory.push({
      speaker,
      summary: result.value.summary.trim(),
      new_facts: result.value.new_facts.map((f) => f.trim()),
      partner_facts: result.value.partner_facts.map((f) => f.trim()),
    });
  }
  return {
    usage,
    attempts,
    written: [...state.written.slice(0, -1), { ...last, memory }],
    personas: growPersonas(state.personas.length ? state.personas : personas, memory),
    memories: growMemories(state.memories, last.session, memory),
  };
}
