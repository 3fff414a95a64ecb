import { describe, expect, it } from "vitest";
import type { DialogueEvent } from "../../nodes/events.js";
import { runDialogue } from "../../graphs/dialogue/graph.js";
import { runSeries } from "../../graphs/series/graph.js";
import { seriesModel } from "../../testing/series-script.js";
import { ScriptedChatModel, type ScriptedCall } from "../../testing/scripted-model.js";
import { ENGLISH_SOURCE_PERSONAS, SPANISH_ACCEPT } from "../../testing/spanish-script.js";
import { spanishScript } from "../../testing/spanish-script.js";
import { LiveView, partialUtterance } from "./live-view.js";

describe("partialUtterance", () => {
  it("reads the utterance of a turn's JSON as it streams, holding back a half-written escape", () => {
    expect(partialUtterance('{"utter')).toBeNull();
    expect(partialUtterance('{"utterance": "Hol')).toBe("Hol");
    expect(partialUtterance('{"utterance": "Hola\\')).toBe("Hola");
    expect(partialUtterance('{"utterance": "Hola\\u00')).toBe("Hola");
    expect(partialUtterance('{"utterance": "Hola\\u00e1 y\\n')).toBe("Holaá y\n");
    expect(partialUtterance('{"utterance": "dice \\"sí\\\\')).toBe('dice "sí\\');
    expect(partialUtterance('{"ends_conversation": false, "utterance": "Va')).toBe("Va");
  });
});

/**
 * One dialogue through the real graph with a scripted model that streams its answers in 3-character tokens. The
 * script is where the test looks at the screen: each call sees what the view had shown before the model was asked.
 */
async function watchedDialogue(script: (call: ScriptedCall, screen: string) => string | undefined) {
  const base = spanishScript();
  let screen = "";
  const seen: { task: string; screen: string }[] = [];
  const model = new ScriptedChatModel(
    (call, calls) => {
      seen.push({ task: call.task, screen });
      return script(call, screen) ?? base(call, calls);
    },
    { streamChars: 3 },
  );
  const view = new LiveView({ id: "es-7-00000", language: "es" });
  const pieces: { event: DialogueEvent["event"]; text: string }[] = [];
  screen += view.start();
  const state = await runDialogue(
    { language: "es", seed: 7, index: 0, speechEventId: "catching_up" },
    { chatModel: model, turnsMin: 4, turnsMax: 4 },
    {},
    (event) => {
      const text = view.render(event);
      pieces.push({ event: event.event, text });
      screen += text;
    },
  );
  screen += view.end(state.record!);
  return { screen, seen, pieces, record: state.record! };
}

/** How many turns the dialogue has when a speaker is asked for the next one (system prompt, A's opening cue, one message a turn). */
function turnIndex(call: ScriptedCall): number {
  const opens = (call.messages[1]?.text ?? "").startsWith("(You start");
  return call.messages.length - 1 - (opens ? 1 : 0);
}

describe("LiveView on a dialogue as the graph writes it", () => {
  it("shows the personas, then each turn token by token, before the dialogue ends", async () => {
    const { screen, seen, pieces, record } = await watchedDialogue(() => undefined);
    const [a, b] = record.personas;
    // when the common ground is asked for, both personas are on the screen
    const commonGround = seen.find((s) => s.task === "common_ground")!;
    expect(commonGround.screen).toContain(`A ${a!.name}: ${a!.sentences.join(" ")}`);
    expect(commonGround.screen).toContain(`B ${b!.name}: ${b!.sentences.join(" ")}`);
    // when each speaker is asked for a turn, every turn before it is on the screen; the critique sees all of them
    const turnCalls = seen.filter((s) => s.task === "turn");
    expect(turnCalls).toHaveLength(4);
    for (const [i, call] of turnCalls.entries()) {
      for (const turn of record.turns.slice(0, i)) expect(call.screen).toContain(turn.text);
      for (const turn of record.turns.slice(i)) expect(call.screen).not.toContain(turn.text);
    }
    const critique = seen.find((s) => s.task === "critique")!;
    for (const turn of record.turns) expect(critique.screen).toContain(turn.text);
    expect(critique.screen).toContain("Common ground: ");
    // a turn came in pieces: many token events each added a little of its text, before the turn was complete
    const firstTurn = record.turns[0]!.text;
    const tokenPieces = pieces
      .slice(
        pieces.findIndex((p) => p.event === "turn"),
        pieces.findIndex((p) => p.event === "turn-written"),
      )
      .filter((p) => p.event === "tokens" && p.text);
    expect(tokenPieces.length).toBeGreaterThan(5);
    expect(tokenPieces.every((p) => p.text.length < firstTurn.length)).toBe(true);
    expect(tokenPieces.map((p) => p.text).join("")).toBe(firstTurn);
    // in order: the personas, the plan, the common ground, the turns as speakers' lines, the critique, the status
    const name = (speaker: "A" | "B") => record.personas.find((p) => p.speaker === speaker)!.name;
    const width = Math.max(a!.name.length, b!.name.length);
    const lines = screen.split("\n");
    expect(lines[0]).toBe("── es-7-00000 · es");
    expect(lines[1]).toMatch(/^A /);
    expect(lines[2]).toMatch(/^B /);
    expect(lines[3]).toMatch(/^Speech event: .+ \(4 turns planned\)$/);
    expect(lines[4]).toMatch(/^Common ground: /);
    expect(lines.slice(6, 10)).toEqual(record.turns.map((turn) => `${name(turn.speaker).padEnd(width)}  ${turn.text}`));
    expect(lines[10]).toBe("Critique: persona 4/5 · speech event 4/5 · naturalness 5/5 · accept");
    expect(lines[11]).toBe(`── es-7-00000 · es · ${record.speech_event.name} · 4 turns · accepted`);
  });

  it("shows a failed turn's retry with its reason, and the critique's repair, as they happen", async () => {
    let critiques = 0;
    let secondTurnCalls = 0;
    const { screen, record } = await watchedDialogue((call) => {
      // the second turn's first attempt is in English, which the language gate refuses
      if (call.task === "turn" && turnIndex(call) === 1 && secondTurnCalls++ === 0) {
        return JSON.stringify({
          utterance: "Sorry, I think I will just answer in English because it is easier for me today, my friend.",
          ends_conversation: false,
        });
      }
      if (call.task === "critique") {
        return JSON.stringify(
          critiques++ === 0
            ? {
                ...SPANISH_ACCEPT,
                verdict: "revise",
                naturalness: 2,
                offending_turns: [2],
                feedback: "el turno 3 suena forzado",
              }
            : SPANISH_ACCEPT,
        );
      }
      return undefined;
    });
    expect(record.status).toBe("accepted");
    const englishLine = screen.indexOf("Sorry, I think I will just answer in English");
    const retry = screen.indexOf("  ↻ the turn is written again (attempt 2): language:");
    expect(englishLine).toBeGreaterThan(0);
    expect(retry).toBeGreaterThan(englishLine);
    expect(screen).toContain(
      "Critique: persona 4/5 · speech event 4/5 · naturalness 2/5 · revise — el turno 3 suena forzado\n  ↻ repair: written again from turn 3\n",
    );
    // after the repair the last two turns are written again and a second critique accepts
    const repair = screen.indexOf("↻ repair");
    expect(screen.slice(repair)).toContain(record.turns[3]!.text);
    expect(screen.slice(repair)).toMatch(/Critique: .* accept\n── /);
  });
});

describe("LiveView on a scripted stream of events", () => {
  const persona = (speaker: "A" | "B", name: string): DialogueEvent => ({
    event: "persona",
    persona: { speaker, name, sentences: ["Uno.", "Dos."], source_sentences: ["One.", "Two."] },
  });

  it("never sends a model's control characters to the terminal, and keeps a multi-line turn under its speaker", () => {
    const view = new LiveView({ id: "x", language: "es" });
    let text = [persona("A", "Ana"), persona("B", "Bea\u001b[31m")].map((e) => view.render(e)).join("");
    expect(text).not.toContain("\u001b");
    expect(text).toContain("B Bea\\u001b[31m: Uno. Dos.");
    text = view.render({ event: "turn", speaker: "A", turn: 0, attempt: 1 });
    text += view.render({ event: "tokens", call: "c1", text: '{"utterance": "Hola\\u001b]0;x\\u0007' });
    text += view.render({ event: "tokens", call: "c1", text: ' ¿qué\\ntal?", "ends_conversation": false}' });
    text += view.render({ event: "turn-written", speaker: "A", text: "Hola\u001b]0;x\u0007 ¿qué\ntal?" });
    // eslint-disable-next-line no-control-regex -- no BEL or ESC may reach a file
    expect(text).not.toMatch(/[\u0007\u001b]/);
    const width = "Bea\\u001b[31m".length; // the name as printed
    const indent = " ".repeat(width + 2);
    expect(text).toBe(`${"Ana".padEnd(width)}  Hola\\u001b]0;x\\u0007 ¿qué\n${indent}tal?\n`);
  });

  it("starts a turn's line again when the model is called again within it, and shows an unreadable answer as such", () => {
    const view = new LiveView({ id: "x", language: "es" });
    view.render(persona("A", "Ana"));
    view.render(persona("B", "Bea"));
    let text = view.render({ event: "turn", speaker: "B", turn: 1, attempt: 1 });
    text += view.render({ event: "tokens", call: "c1", text: '{"utterance": "Pri' });
    expect(view.partial).toBe(true);
    text += view.render({ event: "tokens", call: "c2", text: '{"utterance": "Segu' });
    text += view.render({ event: "tokens", call: "c2", text: 'nda"}' });
    text += view.render({ event: "turn-written", speaker: "B", text: "Segunda" });
    expect(view.partial).toBe(false);
    expect(text).toBe("Bea  Pri\nBea  Segunda\n");
    text = view.render({ event: "turn", speaker: "A", turn: 2, attempt: 1 });
    text += view.render({ event: "tokens", call: "c3", text: "{{{" });
    text += view.render({ event: "turn-written", speaker: "A", text: "", error: "not valid JSON" });
    text += view.render({ event: "retry", stage: "turn", attempt: 1, reason: "structured_output: not valid JSON" });
    expect(text).toBe(
      "Ana  [unreadable answer]\n  ↻ the turn is written again (attempt 2): structured_output: not valid JSON\n",
    );
    // an event that is not a turn closes a line left open (a failed call that wrote half a turn)
    text = view.render({ event: "turn", speaker: "B", turn: 2, attempt: 2 });
    text += view.render({ event: "tokens", call: "c4", text: '{"utterance": "Med' });
    text += view.render({ event: "retry", stage: "critique", attempt: 1, reason: "not valid JSON" });
    expect(text).toBe("Bea  Med\n  ↻ critique asked again (attempt 2): not valid JSON\n");
  });
});

describe("LiveView on a multi-session series as the graph writes it", () => {
  it("heads each later session with its gap, and streams every session's turns as they are written", async () => {
    let screen = "";
    const seen: { task: string; screen: string }[] = [];
    const model = seriesModel({ streamChars: 3, observe: (call) => seen.push({ task: call.task, screen }) });
    const view = new LiveView({ id: "es-7-00000", language: "es" });
    const pieces: DialogueEvent[] = [];
    screen += view.start();
    const state = await runSeries(
      {
        language: "es",
        seed: 7,
        index: 0,
        sourcePersonas: ENGLISH_SOURCE_PERSONAS,
        speechEventId: "getting_to_know_someone",
        sessions: 2,
      },
      { chatModel: model, turnsMin: 4, turnsMax: 4 },
      {},
      (event) => {
        pieces.push(event);
        screen += view.render(event);
      },
    );
    const record = state.record!;
    screen += view.end(record);
    const [one, two] = record.sessions!;
    const header = `── session 2 · ${two!.gap!.amount} ${two!.gap!.unit}${two!.gap!.amount === 1 ? "" : "s"} later`;
    // when session 2's common ground is asked for, session 1 is on the screen whole, and session 2's header
    const commonGrounds = seen.filter((s) => s.task === "common_ground");
    expect(commonGrounds).toHaveLength(2);
    for (const turn of one!.turns) expect(commonGrounds[1]!.screen).toContain(turn.text);
    expect(commonGrounds[1]!.screen).toContain(header);
    expect(commonGrounds[0]!.screen).not.toContain("── session");
    // session 2's turns come after its header, each shown before the next speaker is asked
    const turnCalls = seen.filter((s) => s.task === "turn").slice(one!.turns.length);
    for (const [i, call] of turnCalls.entries()) {
      const after = call.screen.slice(call.screen.indexOf(header));
      expect(after.split("\n").filter((line) => two!.turns.some((t) => line.endsWith(t.text)))).toHaveLength(i);
    }
    // token by token in session 2 too, and the memory is no turn
    const session2 = pieces.slice(pieces.findIndex((p) => p.event === "session"));
    expect(session2.filter((p) => p.event === "tokens").length).toBeGreaterThan(10);
    expect(pieces.filter((p) => p.event === "session")).toHaveLength(1);
    expect(screen.trimEnd().split("\n").at(-1)).toBe("── es-7-00000 · es · 2 sessions · 8 turns · accepted");
  });
});
