/** `npm run audit` as a child process (npx tsx) on small temp files. */
import { execFile, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parquetWriteBuffer } from "hyparquet-writer";
import { writeParquet } from "../app/run/export.js";
import { DialogueRecordSchema } from "../lib/records/schema.js";
import { makeRecord } from "../testing/records.js";
import { afterAll, describe, expect, it } from "vitest";

const root = join(import.meta.dirname, "..");
const tmp = mkdtempSync(join(tmpdir(), "audit-test-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function audit(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync("npx", ["tsx", "scripts/audit.ts", ...args], { cwd: root, encoding: "utf8", timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function auditAsync(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      "npx",
      ["tsx", "scripts/audit.ts", ...args],
      { cwd: root, encoding: "utf8", timeout: 120_000 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === "number" ? err.code : null) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

function file(name: string, content: string | Uint8Array): string {
  const p = join(tmp, name);
  writeFileSync(p, content);
  return p;
}

const jsonl = [
  {
    id: "d1",
    language: "es",
    turns: [
      { speaker: "A", text: "¡Hola! ¿Qué tal el fin de semana?" },
      { speaker: "B", text: "Muy bien, fui a la playa con mis perros." },
    ],
  },
  {
    id: "d2",
    language: "es",
    turns: [
      { speaker: "A", text: "¿Trabajas?" },
      { speaker: "B", text: "Usuario 2: Como modelo de lenguaje, no tengo trabajo." },
    ],
  },
  {
    id: 3,
    language: "ja",
    turns: [
      { speaker: "A", text: "趣味は何ですか？" },
      { speaker: "A", text: "I really like hiking in the mountains with my friends." },
    ],
    extra: true,
  },
]
  .map((r) => JSON.stringify(r))
  .join("\n");

const xpersona = JSON.stringify([
  {
    persona: ["i like dogs."],
    dialogue: [
      ["__SILENCE__", "bonjour ! tu as des animaux ?"],
      ["oui, deux chiens. et toi ?", "moi aussi, j'adore les chiens."],
    ],
  },
  { persona: ["i like cats."], dialogue: [["salut, ça va ?", "[nom] : très bien merci"]] },
]);

describe("scripts/audit.ts", () => {
  it("writes one JSON line per dialogue with --json (JSONL input, format from the extension)", () => {
    const r = audit(file("dialogues.jsonl", jsonl), "--json");
    expect(r.stderr).toBe("");
    expect(r.code).toBe(1); // some dialogue fails a check: a check tool fails (CI)
    const lines = r.stdout
      .trim()
      .split("\n")
      .map(
        (l) =>
          JSON.parse(l) as { id: string; ok: boolean; reasons: Array<{ check: string; turn: number; detail: string }> },
      );
    expect(lines.map((l) => [l.id, l.ok])).toEqual([
      ["d1", true],
      ["d2", false],
      ["3", false],
    ]);
    expect(lines[1]!.reasons.map((x) => x.check).sort()).toEqual(["meta_text", "speaker_label"]);
    expect(lines[2]!.reasons.map((x) => x.check).sort()).toEqual(["alternation", "language"]);
    expect(Object.keys(lines[1]!.reasons[0]!)).toEqual(["check", "turn", "detail"]);
  }, 120_000);

  it("audits every session of a multi-session series, a later one against a first meeting", () => {
    const turns = (texts: string[]) => texts.map((text, i) => ({ speaker: i % 2 === 0 ? "A" : "B", text }));
    const first = turns(["¡Hola! Encantada de conocerte, soy Lucía.", "Igualmente, yo soy Marta. ¿Trabajas por aquí?"]);
    const series = {
      id: "es-1-00000",
      language: "es",
      turns: first,
      sessions: [
        { session: 1, turns: first },
        {
          session: 2,
          turns: turns(["¡Marta! ¿Qué tal el viaje a Sevilla?", "Genial. Oye, perdona, ¿cómo te llamas?"]),
        },
        { session: 3, turns: turns(["¿Vienes el sábado al concierto?", "Como modelo de lenguaje, no puedo ir."]) },
      ],
    };
    const p = file("series.jsonl", `${JSON.stringify(series)}\n${jsonl.split("\n")[0]!}\n`);
    const r = audit(p, "--json");
    expect(r.code).toBe(1);
    const [line, single] = r.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { id: string; ok: boolean; reasons: Record<string, unknown>[] });
    // session 1 greets a stranger and may; session 2 asks the name of someone met before; session 3 is an AI
    expect(line!.reasons.map(({ check, turn, session }) => ({ check, turn, session }))).toEqual([
      { check: "first_meeting", turn: 1, session: 2 },
      { check: "meta_text", turn: 1, session: 3 },
    ]);
    expect(single).toMatchObject({ id: "d1", ok: true, reasons: [] });
    // the same series as our Parquet export writes it: every session audited alike
    const base = makeRecord(series.id, "es", []);
    const record = DialogueRecordSchema.parse({
      ...base,
      turns: series.turns,
      sessions: series.sessions.map((s) => ({
        ...s,
        gap: s.session === 1 ? null : { kind: "weeks", amount: 2, unit: "week" },
        status: "accepted",
        speech_event: base.speech_event,
        common_ground: "",
        personas: base.personas,
        critique: null,
        memory: [],
      })),
    });
    const parquet = join(tmp, "series.parquet");
    writeParquet([record], parquet);
    const fromParquet = JSON.parse(audit(parquet, "--json").stdout.trim()) as { reasons: Record<string, unknown>[] };
    expect(fromParquet.reasons.map(({ check, session }) => [check, session])).toEqual([
      ["first_meeting", 2],
      ["meta_text", 3],
    ]);
    const table = audit(p).stdout;
    expect(table).toMatch(/2 dialogue\(s\) \(1 multi-session series, 3 sessions, every session audited\), 8 turn\(s\)/);
    expect(table).toMatch(/^first_meeting\s+1\s+50\.00%\s+1$/m);
  }, 120_000);

  it("prints a per-check summary table for XPersona input, inferring the language from the file name", () => {
    const r = audit(file("Fr_persona_split_valid_human_annotated.json", xpersona));
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/2 dialogue\(s\), 5 turn\(s\), language fr/);
    expect(r.stdout).toMatch(/^placeholder\s+1\s+50\.00%\s+1$/m);
    expect(r.stdout).toMatch(/^language\s+0\s/m);
    expect(r.stdout).toMatch(/^any\s+1\s+50\.00%/m);
  }, 120_000);

  it("detects the format from the content and needs --lang when the name says nothing", () => {
    const p = file("dialogues.txt", xpersona);
    const r = audit(p);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^audit: --lang is required/);
    expect(audit(p, "--lang", "fr", "--json").stdout.trim().split("\n")).toHaveLength(2);
    expect(audit(file("records.txt", jsonl), "--json").code).toBe(1);
  }, 120_000);

  it("exits 0 when every dialogue passes, 1 when one fails (table and --json alike)", () => {
    const clean = file("clean.jsonl", jsonl.split("\n")[0]!);
    expect(audit(clean).code).toBe(0);
    expect(audit(clean, "--json").code).toBe(0);
    const mixed = file("mixed.jsonl", jsonl);
    expect(audit(mixed).code).toBe(1);
    expect(audit(mixed).stdout).toMatch(/^any\s+2\s/m);
  }, 120_000);

  it("fails with one line on stderr and exit 2 for bad input, never a stack trace", async () => {
    const cases: Array<[string[], RegExp]> = [
      [[], /missing FILE/],
      [[join(tmp, "missing.jsonl")], /cannot read .*no such file/],
      [[file("a.jsonl", jsonl), "--format", "csv"], /unknown --format "csv"/],
      [[file("b.jsonl", jsonl), "--lang", "zz-bad"], /unknown language code "zz-bad"/],
      [[file("c.jsonl", jsonl), "--bogus"], /Unknown option '--bogus'/],
      [[file("d.jsonl", '{"id": 1, "turns": []}\n')], /line 1: language: Required/],
      [[file("e.jsonl", "{not json\n")], /line 1: invalid JSON/],
      [[file("f.json", '{"x": 1}')], /not XPersona\/ConvAI2 JSON/],
      [[file("g.json", "[1, 2")], /invalid JSON/],
      [
        [file("h.jsonl", '{"id":"x","language":"klingonish","turns":[]}')],
        /line 1: unknown language code "klingonish"/,
      ],
      [[file("i.parquet", jsonl)], /i\.parquet: not a readable Parquet file/],
      [
        [file("j.parquet", new Uint8Array(parquetWriteBuffer({ columnData: [{ name: "id", data: ["x"] }] })))],
        /without the column\(s\) language, turns/,
      ],
      [
        [file("k.bin", Buffer.concat([Buffer.from("PAR1"), Buffer.from(jsonl)]))],
        /k\.bin: not a readable Parquet file/,
      ],
    ];
    const results = await Promise.all(cases.map(([args]) => auditAsync(...args)));
    for (const [k, [args, re]] of cases.entries()) {
      const r = results[k]!;
      expect(r.code, args.join(" ")).toBe(2);
      expect(r.stderr, args.join(" ")).toMatch(re);
      expect(r.stderr.trim().split("\n"), args.join(" ")).toHaveLength(1);
      expect(r.stderr).not.toMatch(/\n\s+at /);
      expect(r.stdout).toBe("");
    }
  }, 240_000);
});
