import { readFileSync } from "node:fs";
import { z } from "zod";
import { UsageError } from "../app/cli/errors.js";
import { languageFromXPersonaName, SILENCE } from "../lib/gates/datasets.js";
import type { Critique, DialogueRecord, Usage } from "../lib/records/schema.js";
import { readRecords } from "../app/run/record-file.js";
import type { SpeakerMemory } from "../nodes/series-history.js";
import { growMemories } from "../nodes/write-memory.js";

/**
 * What the eval scores: one dialogue, from our records or from another dataset, in one shape.
 *
 * `variant` groups dialogues (a prompt variant, or "xpersona" for the XPersona human-post-edited translations);
 * `id` pairs a dialogue with the same dialogue under another variant (same language, seed and index, hence the
 * same persona pair and speech event).
 */
export interface EvalDialogue {
  id: string;
  variant: string;
  language: string;
  status: "accepted" | "rejected";
  rejectionChecks: string[];
  turns: { speaker: string; text: string }[];
  /** persona facts per speaker; null when the speaker has none (XPersona's speaker A) */
  personas: { A: string[] | null; B: string[] | null };
  commonGround: string | null;
  /** the planned speech event (the gold label of the speech-event judge); null when the data has none */
  speechEvent: { id: string; name: string; category: string } | null;
  /** generation tokens; null when unknown (datasets not written by this project) */
  usage: Usage | null;
  /** the prompt hash the record names; null for other datasets */
  promptHash: string | null;
  /** the record's self-critique (compared with human ratings); absent for other datasets */
  critique?: Critique | null;
  /** a session of a multi-session series (1-based); absent for a single dialogue */
  session?: number;
  /** a later session of a series: what the two speakers remembered going into it */
  history?: SessionMemoryContext;
}

/** What a later session's speakers knew of the earlier sessions, as the series graph showed it to them. */
export interface SessionMemoryContext {
  sessionsBefore: number;
  names: { A: string; B: string };
  /** each speaker's memory: a summary per earlier session, what they know about the partner */
  memories: SpeakerMemory[];
  /**
   * The facts taken from the earlier sessions: each speaker's facts about the partner (as remembered) and the facts
   * about themselves that came up in an earlier session (added to their persona since).
   */
  facts: string[];
}

/**
 * Every session of a record as a dialogue of its own: a single dialogue is one; a series gives one per session, the
 * first under the record's id, a later one under `<id>#<session>` with its own turns, speech event, common ground
 * and personas (as they stood then) and the memory the speakers had going into it. The series' status, rejection
 * checks and token usage go with its first session only, so production figures count a series once.
 */
export function fromRecordSessions(record: DialogueRecord): EvalDialogue[] {
  const first = fromRecord(record);
  const sessions = record.sessions;
  if (!sessions) return [first];
  let memories: SpeakerMemory[] = [];
  let learned: string[] = [];
  return sessions.map((session, i) => {
    const before = memories;
    const factsBefore = learned;
    memories = growMemories(memories, session.session, session.memory);
    learned = [...learned, ...session.memory.flatMap((m) => m.new_facts)];
    if (i === 0) return { ...first, session: session.session };
    const persona = (speaker: "A" | "B") => {
      const sentences = session.personas.find((p) => p.speaker === speaker)?.sentences ?? [];
      return sentences.length ? sentences : null;
    };
    const name = (speaker: "A" | "B") => session.personas.find((p) => p.speaker === speaker)?.name ?? speaker;
    return {
      id: `${record.id}#${session.session}`,
      variant: first.variant,
      language: record.language,
      status: record.status,
      rejectionChecks: [],
      turns: session.turns.map((t) => ({ speaker: t.speaker, text: t.text })),
      personas: { A: persona("A"), B: persona("B") },
      commonGround: session.common_ground.trim() ? session.common_ground : null,
      speechEvent: session.speech_event,
      usage: null,
      promptHash: first.promptHash,
      critique: session.critique,
      session: session.session,
      history: {
        sessionsBefore: i,
        names: { A: name("A"), B: name("B") },
        memories: before,
        facts: [...new Set([...before.flatMap((m) => m.partner_facts), ...factsBefore])],
      },
    };
  });
}

export function fromRecord(record: DialogueRecord): EvalDialogue {
  const persona = (speaker: "A" | "B") => {
    const sentences = record.personas.find((p) => p.speaker === speaker)?.sentences ?? [];
    return sentences.length ? sentences : null;
  };
  return {
    id: record.id,
    variant: record.provenance.prompt_variant,
    language: record.language,
    status: record.status,
    rejectionChecks: record.rejection_reasons.map((r) => r.check),
    turns: record.turns.map((t) => ({ speaker: t.speaker, text: t.text })),
    personas: { A: persona("A"), B: persona("B") },
    commonGround: record.common_ground.trim() ? record.common_ground : null,
    speechEvent: record.speech_event,
    usage: record.provenance.usage,
    promptHash: record.provenance.prompt_hash || null,
    critique: record.critique,
  };
}

export const XPERSONA_VARIANT = "xpersona";

const XPersonaFileSchema = z.array(
  z.object({ persona: z.array(z.string()), dialogue: z.array(z.array(z.string()).min(1).max(2)) }).passthrough(),
);

/**
 * XPersona (`[{persona: [...], dialogue: [[user, reply], ...]}]`), as in lib/gates/datasets.ts: users are speaker
 * "A", replies speaker "B", `__SILENCE__` is no turn, the id is the entry's index. XPersona gives one persona per
 * dialogue — the persona of the replying speaker (ConvAI2's "your persona") — so it is speaker B's, and speaker
 * A has none: persona metrics and judges look at B only. There is no common ground and no speech event.
 */
export function fromXPersona(json: unknown, language: string, file = "XPersona file"): EvalDialogue[] {
  const parsed = XPersonaFileSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new UsageError(`${file} is not an XPersona file: ${issue.path.join(".") || "(root)"}: ${issue.message}`);
  }
  return parsed.data.map((entry, index) => {
    const turns: EvalDialogue["turns"] = [];
    for (const pair of entry.dialogue) {
      pair.forEach((text, k) => {
        if (text !== SILENCE && text.trim() !== "") turns.push({ speaker: k === 0 ? "A" : "B", text });
      });
    }
    return {
      id: String(index),
      variant: XPERSONA_VARIANT,
      language,
      status: "accepted",
      rejectionChecks: [],
      turns,
      personas: { A: null, B: entry.persona.length ? entry.persona : null },
      commonGround: null,
      speechEvent: null,
      usage: null,
      promptHash: null,
    };
  });
}

export function loadDataset(path: string, format: "jsonl" | "xpersona", language: string | undefined): EvalDialogue[] {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    throw new UsageError(
      `cannot read --dataset ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
    );
  }
  if (format === "xpersona") {
    const lang = language ?? languageFromXPersonaName(path);
    if (!lang) throw new UsageError("--format xpersona needs --lang (the file name does not say the language)");
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (error) {
      throw new UsageError(`${path} is not JSON: ${(error as Error).message.split("\n")[0]}`);
    }
    return fromXPersona(json, lang, path);
  }
  const records = readRecords(path).records.flatMap(fromRecordSessions);
  const chosen = language ? records.filter((r) => r.language === language) : records;
  if (records.length > 0 && chosen.length === 0)
    throw new UsageError(`${path} has no dialogue in language "${language}"`);
  return chosen;
}
