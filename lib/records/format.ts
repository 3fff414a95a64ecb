import { CONTROL_CHARACTER } from "../gates/structure.js";
import type { DialogueRecord } from "./schema.js";
import { redactSecrets } from "../security/redact.js";

/** A record as a person reads it in a terminal; `brief` gives one line. */
export function formatDialogue(record: DialogueRecord, options: { brief?: boolean } = {}): string {
  const status =
    record.status === "accepted"
      ? "accepted"
      : `rejected: ${record.rejection_reasons
          .map((r) => `${r.check}${r.turn !== undefined ? ` (turn ${r.turn})` : ""}: ${r.detail}`)
          .join("; ")}`;
  const head = `${record.id} · ${record.language} · ${record.speech_event.name} · ${record.turns.length} turns · ${status}`;
  if (options.brief) return printable(head);
  const names = new Map(record.personas.map((p) => [p.speaker, p.name || p.speaker]));
  const width = Math.max(...[...names.values()].map((n) => n.length));
  const lines = [`── ${head}`];
  for (const persona of record.personas) {
    lines.push(`${persona.speaker} ${names.get(persona.speaker)}: ${persona.sentences.join(" ") || "(not written)"}`);
  }
  if (record.common_ground) lines.push(`Common ground: ${record.common_ground}`);
  lines.push("");
  for (const turn of record.turns) lines.push(`${(names.get(turn.speaker) ?? turn.speaker).padEnd(width)}  ${turn.text}`);
  if (record.critique) {
    const c = record.critique;
    lines.push("", `Critique: persona ${c.persona_faithfulness}/5 · speech event ${c.speech_event_fit}/5 · naturalness ${c.naturalness}/5 · ${c.verdict}${c.feedback ? ` — ${c.feedback}` : ""}`);
  }
  const failed = record.failed_attempt;
  if (failed) {
    const where = [failed.stage.replace("_", " "), failed.speaker ? `speaker ${failed.speaker}` : "", failed.turn !== undefined ? `turn ${failed.turn}` : ""].filter(Boolean);
    lines.push("", `Failed attempt (${where.join(", ")}), as the model wrote it:`, ...(failed.text.trim() ? failed.text.trim().split("\n").map((line) => `  ${line}`) : ["  (empty answer)"]));
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
export function recordedCommand(program: string, args: readonly string[], env: NodeJS.ProcessEnv = process.env): string {
  return redactSecrets(`npm run ${program} -- ${shellCommand(args)}`, env);
}
