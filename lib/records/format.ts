import { CONTROL_CHARACTER } from "../gates/structure.js";
import type { DialogueRecord } from "./schema.js";
import { redactSecrets } from "../security/redact.js";

/** A record as a person reads it in a terminal; `brief` gives one line. */
export function formatDialogue(record: DialogueRecord, options: { brief?: boolean } = {}): string {
  const status =
    record.status === "accepted"
      ? "accepted"
      : `rejected: ${record.rejection_reasons
          .map(
            (r) =>
              `${r.check}${r.session !== undefined ? ` (session ${r.session}${r.turn !== undefined ? `, turn ${r.turn}` : ""})` : r.turn !== undefined ? ` (turn ${r.turn})` : ""}: ${r.detail}`,
          )
          .join("; ")}`;
  const sessions = record.sessions;
  const what = sessions
    ? `${sessions.length} sessions · ${sessions.reduce((sum, s) => sum + s.turns.length, 0)} turns`
    : `${record.speech_event.name} · ${record.turns.length} turns`;
  const head = `${record.id} · ${record.language} · ${what} · ${status}`;
  if (options.brief) return printable(head);
  const names = new Map(record.personas.map((p) => [p.speaker, p.name || p.speaker]));
  const width = Math.max(...[...names.values()].map((n) => n.length));
  const lines = [`── ${head}`];
  for (const persona of record.personas) {
    lines.push(`${persona.speaker} ${names.get(persona.speaker)}: ${persona.sentences.join(" ") || "(not written)"}`);
  }
  const body = (session: Pick<DialogueRecord, "common_ground" | "turns" | "critique">) => {
    if (session.common_ground) lines.push(`Common ground: ${session.common_ground}`);
    lines.push("");
    for (const turn of session.turns)
      lines.push(`${(names.get(turn.speaker) ?? turn.speaker).padEnd(width)}  ${turn.text}`);
    if (session.critique) {
      const c = session.critique;
      const memory = "memory_consistency" in c ? ` · memory ${String(c.memory_consistency)}/5` : "";
      lines.push(
        "",
        `Critique: persona ${c.persona_faithfulness}/5 · speech event ${c.speech_event_fit}/5 · naturalness ${c.naturalness}/5${memory} · ${c.verdict}${c.feedback ? ` — ${c.feedback}` : ""}`,
      );
    }
  };
  if (!sessions) body(record);
  for (const session of sessions ?? []) {
    const gap = session.gap
      ? ` · ${session.gap.amount} ${session.gap.unit}${session.gap.amount === 1 ? "" : "s"} later`
      : "";
    lines.push("", `── session ${session.session}${gap} · ${session.speech_event.name} · ${session.status}`);
    body(session);
    for (const memory of session.memory)
      lines.push(`${names.get(memory.speaker) ?? memory.speaker} remembers: ${memory.summary}`);
  }
  const failed = record.failed_attempt;
  if (failed) {
    const where = [
      failed.session !== undefined ? `session ${failed.session}` : "",
      failed.stage.replace("_", " "),
      failed.speaker ? `speaker ${failed.speaker}` : "",
      failed.turn !== undefined ? `turn ${failed.turn}` : "",
    ].filter(Boolean);
    lines.push(
      "",
      `Failed attempt (${where.join(", ")}), as the model wrote it:`,
      ...(failed.text.trim()
        ? failed.text
            .trim()
            .split("\n")
            .map((line) => `  ${line}`)
        : ["  (empty answer)"]),
    );
  }
  return printable(lines.join("\n"));
}

const CONTROL = new RegExp(CONTROL_CHARACTER.source, "g");

/** Model text as the terminal may show it: control characters (escape sequences) as visible \uXXXX, never raw. */
export function printable(text: string): string {
  return text.replace(CONTROL, (c) => `\\u${c.codePointAt(0)!.toString(16).padStart(4, "0")}`);
}

/** Shell-quotes a command line for copy and paste. */
export function shellCommand(args: readonly string[]): string {
  return args.map((arg) => (/^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`)).join(" ");
}

/**
 * `npm run PROGRAM -- ARGS` as it is recorded (dataset card, run files, eval reports) and printed ("resume with"):
 * shell-quoted, with passwords in URLs, token parameters and the environment's secrets as `***`.
 */
export function recordedCommand(
  program: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
): string {
  return redactSecrets(`npm run ${program} -- ${shellCommand(args)}`, env);
}
