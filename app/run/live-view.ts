/**
 * One dialogue shown as it is written (`npm run graph` on a terminal with one dialogue in flight): events in
 * (nodes/events.ts, from LangGraph's stream modes), text out. No I/O, no timers, no terminal codes: the
 * caller writes the text (app/run/progress.ts keeps it apart from the progress bars, which it hides while a line
 * is being written).
 *
 *   ── es-1-00000 · es
 *   A Lucía: Trabajo de enfermera en un hospital de Valencia. …
 *   B Marta: …
 *   Speech event: Catching up (12 turns planned)
 *   Common ground: Lucía y Marta son amigas desde el instituto …
 *
 *   Lucía  ¡Hola! ¿Qué tal el fin de semana?          ← token by token where the model streams
 *   Marta  Pues bastante tranquilo, la verdad.
 *     ↻ turn 3 again: language: …                     ← a failed check, and the speaker writes it again
 *   Critique: persona 4/5 · speech event 4/5 · naturalness 5/5 · accept
 *   ── es-1-00000 · es · Catching up · 12 turns · accepted
 */
import { parsePartialJson } from "@langchain/core/output_parsers";
import type { DialogueEvent } from "../../nodes/events.js";
import type { DialogueRecord, Speaker } from "../../lib/records/schema.js";
import { formatDialogue, printable } from "../../lib/records/format.js";

/** The utterance so far in a turn's JSON answer as it streams (`{"utterance": "Hola, ¿qu`), or null before it starts. */
export function partialUtterance(json: string): string | null {
  // a half-written escape at the end (`\`, `\u00`) would be read as text: wait for the rest of it
  const text = json.replace(/\\u[0-9a-fA-F]{0,3}$/, "").replace(/(?<!\\)(\\\\)*\\$/, "$1");
  let value: unknown;
  try {
    value = parsePartialJson(text.trimStart());
  } catch {
    return null;
  }
  const utterance = (value as { utterance?: unknown } | null)?.utterance;
  return typeof utterance === "string" ? utterance : null;
}

const RETRY_STAGES: Record<string, string> = {
  persona: "persona",
  common_ground: "common ground",
  critique: "critique",
  dialogue: "whole dialogue",
};

interface OpenTurn {
  speaker: Speaker;
  /** the model's answer so far (JSON) */
  answer: string;
  /** the utterance printed so far */
  shown: string;
  /** the model call the tokens came from */
  call: string | null;
}

export class LiveView {
  /** the speakers' names as printed */
  private readonly names: Record<Speaker, string> = { A: "A", B: "B" };
  private turn: OpenTurn | null = null;
  /** a turn's line is being written (the text so far does not end with a newline) */
  private midLine = false;

  constructor(private readonly dialogue: { id: string; language: string }) {}

  /** The first line, before anything is written. */
  start(): string {
    return `── ${this.dialogue.id} · ${this.dialogue.language}\n`;
  }

  /** The text one event adds (often nothing: a token that completes no character, an update with nothing to show). */
  render(event: DialogueEvent): string {
    switch (event.event) {
      case "persona": {
        const { speaker, name, sentences } = event.persona;
        this.names[speaker] = printable(name) || speaker;
        return this.line(`${speaker} ${printable(name)}: ${printable(sentences.join(" "))}`);
      }
      case "speech-event":
        return this.line(`Speech event: ${event.name} (${event.targetTurns} turns planned)`);
      case "common-ground":
        return this.line(`Common ground: ${printable(event.text)}\n`);
      case "retry": {
        const what =
          event.stage === "turn" || event.stage === "dialogue"
            ? event.stage === "turn"
              ? "the turn is written again"
              : "the whole dialogue is written again"
            : `${RETRY_STAGES[event.stage]}${event.speaker ? ` ${event.speaker}` : ""} asked again`;
        return this.line(`  ↻ ${what} (attempt ${event.attempt + 1}): ${printable(event.reason)}`);
      }
      case "turn": {
        const text = this.closeTurn();
        this.turn = { speaker: event.speaker, answer: "", shown: "", call: null };
        this.midLine = true;
        return `${text}${this.label(event.speaker)}`;
      }
      case "tokens":
        return this.tokens(event.call, event.text);
      case "turn-written": {
        const turn = this.turn ?? { speaker: event.speaker, answer: "", shown: "", call: null };
        const head = this.turn ? "" : this.label(event.speaker);
        this.turn = null;
        this.midLine = false;
        if (event.error) return `${head}${turn.shown ? " " : ""}[unreadable answer]\n`;
        // the turn as checked is the streamed utterance, trimmed: print what the tokens did not show (or, should the
        // two differ, the turn as it stands on a line of its own)
        const rest = event.text.startsWith(turn.shown)
          ? event.text.slice(turn.shown.length)
          : turn.shown.startsWith(event.text)
            ? ""
            : `\n${this.indent()}${event.text}`;
        return `${head}${this.continued(rest)}\n`;
      }
      case "draft":
        return this.line(
          ["", ...event.turns.map((turn) => `${this.label(turn.speaker)}${this.continued(turn.text)}`)].join("\n"),
        );
      case "critique": {
        const c = event.critique;
        const scores = `persona ${c.persona_faithfulness}/5 · speech event ${c.speech_event_fit}/5 · naturalness ${c.naturalness}/5 · ${c.verdict}`;
        const repair = event.repairFrom !== null ? `\n  ↻ repair: written again from turn ${event.repairFrom + 1}` : "";
        return this.line(`Critique: ${scores}${c.feedback ? ` — ${printable(c.feedback)}` : ""}${repair}`);
      }
      case "session":
        // as the printout heads a session (lib/records/format.ts)
        return this.line(
          `\n── session ${event.session} · ${event.gap.amount} ${event.gap.unit}${event.gap.amount === 1 ? "" : "s"} later`,
        );
      case "record":
        // the final word is the run's (end()): it may still reject the record as a near-duplicate
        return "";
    }
  }

  /** The last line: the record as the run wrote it. */
  end(record: DialogueRecord): string {
    return `${this.closeTurn()}── ${formatDialogue(record, { brief: true })}\n\n`;
  }

  /** Whether the text so far ends in the middle of a line. */
  get partial(): boolean {
    return this.midLine;
  }

  private tokens(call: string, text: string): string {
    const turn = this.turn;
    if (!turn) return "";
    // a new call within the same turn: a retry inside the model (it starts again from nothing)
    if (turn.call !== null && turn.call !== call) {
      turn.answer = "";
      if (turn.shown) {
        turn.shown = "";
        return `\n${this.label(turn.speaker)}${this.tokens(call, text)}`;
      }
    }
    turn.call = call;
    turn.answer += text;
    const utterance = partialUtterance(turn.answer)?.trimStart();
    if (!utterance || !utterance.startsWith(turn.shown)) return "";
    const added = utterance.slice(turn.shown.length);
    turn.shown = utterance;
    return this.continued(added);
  }

  /** A whole line; closes a turn's line left open (an answer that never came, a failed call). */
  private line(text: string): string {
    return `${this.closeTurn()}${text}\n`;
  }

  private closeTurn(): string {
    const open = this.midLine;
    this.turn = null;
    this.midLine = false;
    return open ? "\n" : "";
  }

  private width(): number {
    return Math.max(this.names.A.length, this.names.B.length);
  }

  private label(speaker: Speaker): string {
    return `${this.names[speaker].padEnd(this.width())}  `;
  }

  private indent(): string {
    return " ".repeat(this.width() + 2);
  }

  /** Model text on the turn's line: control characters made visible, a line break indented under the text. */
  private continued(text: string): string {
    return printable(text).replace(/\n/g, `\n${this.indent()}`);
  }
}
