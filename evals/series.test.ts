import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { DialogueRecordSchema, type DialogueRecord, type SeriesSession } from "../lib/records/schema.js";
import { makeRecord } from "../testing/records.js";
import { scriptedJudge } from "../testing/scripted-eval-models.js";
import { fromRecordSessions, loadDataset } from "./dialogues.js";
import { loadJudgePrompts } from "./judges.js";
import { dialogueEvaluator } from "./langsmith.js";
import { metricTable, scoreDialogue } from "./metrics.js";
import { runDatasetEval, runGenerateEval } from "./run.js";
import { seriesModel } from "../testing/series-script.js";

/**
 * A three-session series whose memories and turns are written so that the figures can be worked out by hand.
 * Content tokens (evals/tokens.ts): words of 4 letters or more; the names Lucía and Marta never count.
 */
const personas = (extraA: string[] = []) => [
  { speaker: "A" as const, name: "Lucía", sentences: ["Soy maestra en Sevilla.", ...extraA], source_sentences: [] },
  { speaker: "B" as const, name: "Marta", sentences: ["Trabajo en un hospital."], source_sentences: [] },
];
const turns = (texts: string[]) =>
  texts.map((text, i) => ({ speaker: i % 2 === 0 ? ("A" as const) : ("B" as const), text }));
const event = (id: string) => ({ id, name: id, category: "involving" });

const session = (
  n: number,
  texts: string[],
  memory: SeriesSession["memory"],
  extraA: string[] = [],
): SeriesSession => ({
  session: n,
  gap: n === 1 ? null : { kind: "weeks", amount: 2, unit: "week" },
  status: "accepted",
  speech_event: event(n === 1 ? "getting_to_know_someone" : "catching_up"),
  common_ground: `Conversación número ${n}.`,
  personas: personas(extraA),
  turns: turns(texts),
  critique: null,
  memory,
});

// session 1's memories: facts whose content tokens are novela, redondo (A about B), clases, cerámica (A about A), sierra
const S1 = session(
  1,
  ["Hola, soy Lucía.", "Hola Lucía, yo soy Marta."],
  [
    {
      speaker: "A",
      summary: "Conocí a Marta y hablamos de libros.",
      new_facts: ["Voy a clases de cerámica."],
      partner_facts: ["Marta lee una novela de Redondo."],
    },
    {
      speaker: "B",
      summary: "Conocí a Lucía, que es maestra.",
      new_facts: [],
      partner_facts: ["Lucía fue a la sierra."],
    },
  ],
);
// session 2 uses novela and sierra (2 of 5); its memories add terminó (novela is known), quiere, volver, empecé, correr, mañanas
const S2 = session(
  2,
  ["Marta, ¿qué tal la novela?", "Genial. ¿Y tú qué tal la sierra?"],
  [
    {
      speaker: "A",
      summary: "Marta terminó la novela y yo le conté lo de la sierra.",
      new_facts: [],
      partner_facts: ["Marta terminó la novela."],
    },
    {
      speaker: "B",
      summary: "Lucía quiere volver a la sierra.",
      new_facts: ["Empecé a correr por las mañanas."],
      partner_facts: ["Lucía quiere volver a la sierra."],
    },
  ],
  ["Voy a clases de cerámica."],
);
// session 3 uses clases, cerámica and novela (3 of 11), and Marta says she never read a novel: a contradiction
const CONTRADICTION = "Sí. Oye, nunca he leído una novela, ¿sabes?";
const S3 = session(3, ["¿Sigues con las clases de cerámica?", CONTRADICTION], [], ["Voy a clases de cerámica."]);

function seriesRecord(): DialogueRecord {
  const base = makeRecord("es-1-00000", "es", ["Hola, soy Lucía.", "Hola Lucía, yo soy Marta."]);
  return DialogueRecordSchema.parse({
    ...base,
    personas: S1.personas,
    speech_event: S1.speech_event,
    common_ground: S1.common_ground,
    sessions: [S1, S2, S3],
  });
}

describe("evals of multi-session series", () => {
  it("sees every session, each with the memory its speakers had going into it", () => {
    const [one, two, three] = fromRecordSessions(seriesRecord());
    expect([one!.id, two!.id, three!.id]).toEqual(["es-1-00000", "es-1-00000#2", "es-1-00000#3"]);
    expect(one!.history).toBeUndefined();
    expect(two!.turns.map((t) => t.text)).toEqual(S2.turns.map((t) => t.text));
    expect(two!.speechEvent?.id).toBe("catching_up");
    expect(two!.personas.A).toContain("Voy a clases de cerámica.");
    // going into session 2 A remembers session 1 only; going into session 3, sessions 1 and 2
    expect(two!.history!.memories.find((m) => m.speaker === "A")!.summaries.map((s) => s.session)).toEqual([1]);
    expect(three!.history!.memories.find((m) => m.speaker === "A")!.summaries.map((s) => s.session)).toEqual([1, 2]);
    expect(two!.history!.facts).toEqual([
      "Marta lee una novela de Redondo.",
      "Lucía fue a la sierra.",
      "Voy a clases de cerámica.",
    ]);
    // the series counts once in production figures: its usage and rejection checks go with the first session
    expect(one!.usage).not.toBeNull();
    expect(two!.usage).toBeNull();
  });

  it("scores memory use by rule and by the history judge, and contradiction with history, per later session", async () => {
    const out = mkdtempSync(join(tmpdir(), "eval-series-"));
    const path = join(out, "records.jsonl");
    const single = makeRecord("es-1-00001", "es", ["¡Hola! ¿Qué tal el finde?", "Muy bien, fui a la playa."]);
    writeFileSync(path, `${JSON.stringify(seriesRecord())}\n${JSON.stringify(single)}\n`);
    // the history judge answers from what it is shown: memory_use = the memory lines it sees (summaries and facts of
    // both speakers), a contradiction when a message says "nunca he leído" while the memory has the novel
    const judge = scriptedJudge({
      history_judge: (call) => {
        const prompt = call.messages.map((m) => m.text).join("\n");
        const lines = prompt.split("\n").filter((line) => /^- (conversation \d+|about \S+):/.test(line)).length;
        const contradiction = prompt.includes("nunca he leído") && /- about Marta: .*novela/.test(prompt);
        return JSON.stringify({
          evidence: "…",
          memory_use: Math.min(5, lines),
          contradiction,
          contradicting_turns: contradiction ? [1] : [],
        });
      },
    });
    const results = await runDatasetEval({
      out,
      command: "npm run eval -- (test)",
      seed: 1,
      resamples: 100,
      scoreRejected: false,
      judge: { model: judge, prompts: loadJudgePrompts("baseline"), label: "scripted:judge" },
      dialogues: loadDataset(path, "jsonl", undefined),
      dataset: { path, format: "jsonl" },
    });
    expect(results.dialogues.map((d) => [d.id, d.session])).toEqual([
      ["es-1-00000", 1],
      ["es-1-00000#2", 2],
      ["es-1-00000#3", 3],
      ["es-1-00001", null],
    ]);
    // the history judge is asked about the later sessions only, each seeing the memory it had, not later ones
    const asked = judge.callsFor("history_judge").map((call) => call.messages.map((m) => m.text).join("\n"));
    expect(asked).toHaveLength(2);
    expect(asked[0]).toContain("Conocí a Marta y hablamos de libros.");
    expect(asked[0]).not.toContain("Marta terminó la novela y yo le conté lo de la sierra.");
    expect(asked[1]).toContain("Marta terminó la novela y yo le conté lo de la sierra.");
    // worked out by hand: going into session 2, A has 1 summary + 1 fact, B 1 summary + 1 fact (4 lines); going into
    // session 3, A 2 summaries + 2 facts, B 2 + 2 (8 lines, capped at 5)
    const group = results.groups.find((g) => g.variant === "baseline")!;
    expect(group.metrics.judge_memory_use!.value).toBeCloseTo((4 + 5) / 2, 10);
    expect(group.metrics.judge_history_contradiction_rate!.value).toBeCloseTo(1 / 2, 10);
    // session 2: novela, sierra of {novela, redondo, clases, cerámica, sierra}; session 3: clases, cerámica, novela
    // of those five and {terminó, quiere, volver, empecé, correr, mañanas}
    expect(group.metrics.memory_token_recall!.value).toBeCloseTo((2 / 5 + 3 / 11) / 2, 10);
    const figures = results.dialogues.find((d) => d.id === "es-1-00000#3")!;
    expect(figures.memory_token_recall).toBeCloseTo(3 / 11, 10);
    expect(figures.judge).toMatchObject({ history_contradiction: true });
    // production figures count the series once (one accepted series, one accepted single dialogue)
    expect(group.metrics.acceptance_rate!.value).toBe(1);
    expect(results.dialogues.find((d) => d.id === "es-1-00001")!.judge).toMatchObject({
      memory_use: null,
      history_contradiction: null,
    });
  });

  it("generates series with --sessions and scores every session (generation mode)", async () => {
    const out = mkdtempSync(join(tmpdir(), "eval-series-gen-"));
    const judge = scriptedJudge();
    const results = await runGenerateEval({
      out,
      command: "npm run eval -- (test)",
      seed: 1,
      resamples: 50,
      scoreRejected: false,
      judge: { model: judge, prompts: loadJudgePrompts("baseline"), label: "scripted:judge" },
      variants: ["baseline"],
      languages: ["es"],
      n: 1,
      sessions: 2,
      chatModel: seriesModel(),
      modelLabel: "scripted:series",
      context: { turnsMin: 4, turnsMax: 4 },
      concurrency: 1,
      langsmith: null,
    });
    const record = DialogueRecordSchema.parse(JSON.parse(readFileSync(join(out, "records", "baseline.jsonl"), "utf8")));
    expect(record.sessions, JSON.stringify(record.rejection_reasons)).toHaveLength(2);
    expect(results.dialogues.map((d) => [d.id, d.session])).toEqual([
      [record.id, 1],
      [`${record.id}#2`, 2],
    ]);
    // the history judge saw session 2 only, with session 1's memory
    const asked = judge.callsFor("history_judge");
    expect(asked).toHaveLength(1);
    expect(asked[0]!.messages.map((m) => m.text).join("\n")).toContain(record.sessions![0]!.memory[0]!.summary);
    expect(results.dialogues[1]!.memory_token_recall).not.toBeNull();
  });
});

describe("a series in a LangSmith experiment", () => {
  it("is one example whose feedback pools its sessions: memory use from the later ones, acceptance once", async () => {
    const metrics = metricTable();
    const row = await dialogueEvaluator(
      async (d) => scoreDialogue(d),
      metrics,
    )({ outputs: { record: seriesRecord() } });
    const byKey = Object.fromEntries(row.results.map((r) => [r.key, r.score]));
    // by hand (the fixture's comments): session 2 uses 2 of 5 fact tokens, session 3 uses 3 of 11
    expect(byKey.memory_token_recall).toBeCloseTo((2 / 5 + 3 / 11) / 2, 10);
    expect(byKey.acceptance_rate).toBe(1);
    const single = makeRecord("es-1-00001", "es", ["¡Hola! ¿Qué tal el finde?", "Muy bien, fui a la playa."]);
    const alone = await dialogueEvaluator(async (d) => scoreDialogue(d), metrics)({ outputs: { record: single } });
    expect(alone.results.map((r) => r.key)).not.toContain("memory_token_recall");
  });
});
