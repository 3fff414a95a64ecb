import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { fromXPersona } from "../../evals/dialogues.js";
import { parseXPersona } from "../../lib/gates/datasets.js";
import { createRng } from "../../lib/random.js";
import { fineTuningProblems } from "../../testing/fine-tuning.js";
import { writeDatasetFiles } from "./export.js";
import { makeRecord, randomRecords } from "../../testing/records.js";
import { toMessagesExamples, toPersonaChat } from "./training.js";

const XPERSONA_FR = join(
  import.meta.dirname,
  "../../../shared/data/xpersona/Fr_persona_split_valid_human_annotated.json",
);

function dir() {
  return mkdtempSync(join(tmpdir(), "training-"));
}

describe("the fine-tuning rules (the test's own validator)", () => {
  it("finds what is wrong with a bad example", () => {
    const good = {
      messages: [
        { role: "system", content: "Your persona:\n- Soy enfermera." },
        { role: "user", content: "Hola" },
        { role: "assistant", content: "¡Hola!" },
      ],
    };
    expect(fineTuningProblems(good, ["Soy enfermera."])).toEqual([]);
    expect(fineTuningProblems({ ...good, id: "x" })).toEqual([expect.stringMatching(/keys/)]);
    expect(fineTuningProblems({ messages: good.messages.slice(0, 2) })).toContain(
      "the last message is not the assistant's",
    );
    expect(fineTuningProblems({ messages: [good.messages[0], good.messages[2], good.messages[2]] })).toContain(
      "messages 1 and 2 are both assistant",
    );
    expect(fineTuningProblems({ messages: [good.messages[1], good.messages[2]] })).toContain(
      "the first message is not the system message",
    );
    expect(
      fineTuningProblems({ messages: [good.messages[0], { role: "user", content: " " }, good.messages[2]] }),
    ).toContain("message 1 has empty content");
    expect(fineTuningProblems(good, ["Vivo en Lima."])).toEqual([expect.stringMatching(/lacks the persona sentence/)]);
  });
});

describe("--format messages", () => {
  it("gives every dialogue one valid example per speaker, that speaker's turns as the assistant's, ending on one", () => {
    const rng = createRng(7);
    for (const record of randomRecords(rng, 60, 20)) {
      const examples = toMessagesExamples(record);
      expect(examples).toHaveLength(2);
      examples.forEach((example, k) => {
        const speaker = (["A", "B"] as const)[k]!;
        const persona = record.personas.find((p) => p.speaker === speaker)!.sentences;
        expect(fineTuningProblems(JSON.parse(JSON.stringify(example)), persona)).toEqual([]);
        // the speaker's turns are the assistant's, in order, up to the speaker's last turn; the partner's are the user's
        const last = record.turns.map((t) => t.speaker).lastIndexOf(speaker);
        const body = example.messages.slice(1);
        expect(body.map((m) => m.content)).toEqual(record.turns.slice(0, last + 1).map((t) => t.text));
        expect(body.map((m) => m.role)).toEqual(
          record.turns.slice(0, last + 1).map((t) => (t.speaker === speaker ? "assistant" : "user")),
        );
        expect(example.messages[0]!.content).not.toContain(record.common_ground);
      });
    }
  });

  it("adds the common ground with the option; joins one speaker's consecutive turns and leaves empty ones out", () => {
    const record = makeRecord("es-1-00000", "es", ["Hola", "  ", "¿Qué tal?", "Bien", "Adiós"]);
    record.turns = [
      { speaker: "A", text: "Hola" },
      { speaker: "B", text: "  " },
      { speaker: "A", text: "¿Hay alguien?" },
      { speaker: "B", text: "Sí, perdona." },
      { speaker: "B", text: "Estaba distraída." },
    ];
    record.personas[0]!.sentences = ["Soy enfermera."];
    record.personas[1]!.sentences = ["Vivo en Lima."];
    record.common_ground = "Están en un tren.";
    const [a, b] = toMessagesExamples(record, { commonGround: true });
    expect(a!.messages.map((m) => m.role)).toEqual(["system", "assistant"]);
    expect(a!.messages[1]!.content).toBe("Hola\n¿Hay alguien?");
    expect(b!.messages.slice(1)).toEqual([
      { role: "user", content: "Hola\n¿Hay alguien?" },
      { role: "assistant", content: "Sí, perdona.\nEstaba distraída." },
    ]);
    for (const [example, persona] of [
      [a!, ["Soy enfermera."]],
      [b!, ["Vivo en Lima."]],
    ] as const) {
      expect(fineTuningProblems(example, persona)).toEqual([]);
      expect(example.messages[0]!.content).toContain("Están en un tren.");
    }
  });

  it("gives no example for a speaker without persona or without a turn", () => {
    const record = makeRecord("es-1-00000", "es", ["Hola"]);
    record.personas[0]!.sentences = ["Soy enfermera."];
    record.personas[1]!.sentences = ["Vivo en Lima."];
    expect(toMessagesExamples(record).map((e) => e.messages.length)).toEqual([2]);
    record.personas[0]!.sentences = [];
    expect(toMessagesExamples(record)).toEqual([]);
  });
});

describe("--format personachat", () => {
  it("reads back through the eval's and the audit's XPersona readers as the same dialogues", () => {
    const out = join(dir(), "run.jsonl");
    const records = randomRecords(createRng(11), 40, 30);
    const { configs } = writeDatasetFiles({
      out,
      records,
      formats: ["personachat"],
      acceptedOnly: false,
      includeRejected: false,
      commonGround: false,
      splits: null,
      seed: 1,
    });
    const path = configs[0]!.files[0]!.path;
    expect(path).toBe(join(out, "..", "run.personachat.json"));
    const json: unknown = JSON.parse(readFileSync(path, "utf8"));
    const accepted = records.filter((r) => r.status === "accepted");
    const evalRead = fromXPersona(json, "es", path);
    const auditRead = parseXPersona(json);
    expect(evalRead).toHaveLength(accepted.length);
    expect(auditRead).toHaveLength(accepted.length);
    accepted.forEach((record, i) => {
      const texts = record.turns.map((t) => t.text);
      expect(evalRead[i]!.turns.map((t) => t.text)).toEqual(texts);
      expect(auditRead[i]!.turns.map((t) => t.text)).toEqual(texts);
      // the persona is the replying speaker's: the one who speaks last
      const replier = record.turns[record.turns.length - 1]!.speaker;
      expect(evalRead[i]!.personas.B).toEqual(record.personas.find((p) => p.speaker === replier)!.sentences);
      // the reader's replying speaker says exactly the replier's turns
      expect(evalRead[i]!.turns.filter((t) => t.speaker === "B").map((t) => t.text)).toEqual(
        record.turns.filter((t) => t.speaker === replier).map((t) => t.text),
      );
    });
  });

  it("has XPersona's shape: entries of exactly persona and dialogue, every pair two strings", () => {
    const records = randomRecords(createRng(3), 30, 10);
    const entries = records.map(toPersonaChat);
    for (const entry of entries) {
      expect(Object.keys(entry!)).toEqual(["persona", "dialogue"]);
      for (const pair of entry!.dialogue) expect(pair.map((x) => typeof x)).toEqual(["string", "string"]);
    }
    expect(toPersonaChat(makeRecord("es-1-00000", "es", []))).toBeNull();
  });

  it.skipIf(!existsSync(XPERSONA_FR))(
    "sits next to an XPersona file: both parse with the audit's reader to the same shape",
    () => {
      const theirs = JSON.parse(readFileSync(XPERSONA_FR, "utf8")) as Record<string, unknown>[];
      const ours = randomRecords(createRng(5), 5, 10).map(toPersonaChat);
      expect(Object.keys(theirs[0]!).sort()).toEqual(Object.keys(ours[0]!).sort());
      expect(parseXPersona([...theirs, ...ours])).toHaveLength(theirs.length + ours.length);
    },
  );
});
