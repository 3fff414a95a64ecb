import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as ls from "langsmith/vitest";
import { expect } from "vitest";
import { runDialogue } from "../graphs/dialogue/graph.js";
import { listVariants, loadPromptSet } from "../lib/prompts/loader.js";
import { loadSpeechEvents } from "../lib/speech-events.js";
import type { EvalDialogue } from "./dialogues.js";
import { judgeMessages, loadJudgePrompts } from "./judges.js";
import { langsmithConfigured } from "./langsmith.js";
import { runGenerateEval } from "./run.js";
import { scriptedJudge, scriptedWriter } from "../testing/scripted-eval-models.js";

/**
 * Prompt regression checks (`npm run test:eval`). Each variant's prompts are rendered the way the graph renders
 * them — by running the graph on a scripted model and reading the messages of every call — and checked for the
 * conditioning they must carry or must not. Without LangSmith this is a plain local vitest run; with
 * LANGSMITH_TRACING=true and a key, langsmith/vitest records it as an experiment.
 */

// tracing asked for without a key (or with a bad endpoint): run locally rather than fail on LangSmith calls
if (!langsmithConfigured()) process.env.LANGSMITH_TEST_TRACKING = "false";

const EVENT = loadSpeechEvents().find((e) => e.id === "catching_up")!;
const COMMON_GROUND_MARK = "amigas desde el instituto";

async function render(variant: string, speechEventId = EVENT.id) {
  const model = scriptedWriter();
  const state = await runDialogue(
    {
      language: "es",
      seed: 3,
      index: 0,
      speechEventId,
      sourcePersonas: [
        ["I am a nurse.", "I have a dog."],
        ["I read mysteries.", "I take the bus."],
      ],
    },
    { chatModel: model, promptVariant: variant, turnsMin: 4, turnsMax: 4 },
  );
  const text = (task: string) => model.callsFor(task).map((c) => c.messages.map((m) => m.text).join("\n"));
  return {
    state,
    model,
    speaker: [...text("turn"), ...text("dialogue")],
    commonGround: text("common_ground"),
    critique: text("critique"),
  };
}

ls.describe("prompt variants: rendered prompts carry exactly their conditioning", () => {
  ls.test(
    "every shipped variant loads, has a distinct hash and a valid manifest",
    { inputs: { variants: listVariants() } },
    async ({ inputs }) => {
      const sets = inputs.variants.map((v: string) => loadPromptSet(v));
      expect(new Set(sets.map((s) => s.hash)).size).toBe(sets.length);
      for (const set of sets) {
        for (const name of ["rewrite-persona", "common-ground", "speaker-turn", "critique", "whole-dialogue"])
          expect(set.get(name).has("system")).toBe(true);
      }
      return { hashes: Object.fromEntries(sets.map((s) => [s.variant, s.hash])) };
    },
  );

  ls.test(
    "baseline shows the speech event and the common ground to the speakers and the critique",
    { inputs: { variant: "baseline" } },
    async ({ inputs }) => {
      const r = await render(inputs.variant);
      expect(r.state.record!.status).toBe("accepted");
      for (const prompt of [...r.speaker, ...r.critique]) {
        expect(prompt).toContain(EVENT.description);
        expect(prompt).toContain(COMMON_GROUND_MARK);
      }
      expect(r.commonGround[0]).toContain(EVENT.description);
      return { speaker_prompt_chars: r.speaker[0]!.length };
    },
  );

  ls.test(
    "no-common-ground: no common-ground call, nothing about a situation anywhere",
    { inputs: { variant: "no-common-ground" } },
    async ({ inputs }) => {
      const r = await render(inputs.variant);
      expect(r.commonGround).toHaveLength(0);
      expect(r.state.record!.common_ground).toBe("");
      for (const prompt of [...r.speaker, ...r.critique]) {
        expect(prompt).not.toMatch(/situation|common ground/i);
        expect(prompt).toContain(EVENT.description);
      }
      return { calls: r.model.calls.length };
    },
  );

  ls.test(
    "no-speech-event: the event reaches no prompt, not even through the demonstration",
    { inputs: { variant: "no-speech-event" } },
    async ({ inputs }) => {
      const r = await render(inputs.variant);
      for (const prompt of [...r.speaker, ...r.commonGround, ...r.critique]) {
        expect(prompt).not.toContain(EVENT.name);
        expect(prompt).not.toContain(EVENT.description);
      }
      // the same dialogue planned with another event renders the same speaker prompts (modulo the common ground,
      // which the scripted model writes identically): the event has no way in
      const other = await render(inputs.variant, "gossip");
      expect(other.speaker[0]).toBe(r.speaker[0]);
      expect(r.state.record!.speech_event.id).toBe(EVENT.id);
      return { calls: r.model.calls.length };
    },
  );

  ls.test(
    "ablations drop only the lines that carry their conditioning",
    { inputs: { variants: ["no-common-ground", "no-speech-event"] } },
    async ({ inputs }) => {
      // the instructions, up to the demonstration (no-speech-event draws its demonstration without the event, so the
      // example itself may be another one)
      const instructions = (prompt: string) =>
        prompt.slice(0, prompt.indexOf("Here is an example of the form")).split("\n");
      const base = instructions((await render("baseline")).speaker[0]!);
      for (const variant of inputs.variants) {
        const lines = instructions((await render(variant)).speaker[0]!);
        // every line of the ablation is a baseline line, in order …
        let at = 0;
        for (const line of lines) {
          while (at < base.length && base[at] !== line) at++;
          expect(at, `${variant}: "${line}" is not a baseline line`).toBeLessThan(base.length);
          at++;
        }
        // … and every baseline line it lacks is about the ablated conditioning (or blank)
        const dropped = base.filter((line) => !lines.includes(line) && line.trim() !== "");
        const about =
          variant === "no-common-ground" ? /situation|amigas|domingo|Marta ha empezado/i : new RegExp(EVENT.name);
        for (const line of dropped) expect(line, `${variant} dropped an unrelated line`).toMatch(about);
        expect(dropped.length).toBeGreaterThan(0);
      }
    },
  );

  ls.test(
    "whole-dialogue: one call with both personas, the event and the common ground",
    { inputs: { variant: "whole-dialogue" } },
    async ({ inputs }) => {
      const r = await render(inputs.variant);
      expect(r.model.callsFor("turn")).toHaveLength(0);
      expect(r.model.callsFor("dialogue")).toHaveLength(1);
      const prompt = r.speaker[0]!;
      expect(prompt).toContain(EVENT.description);
      expect(prompt).toContain(COMMON_GROUND_MARK);
      expect(prompt).toContain("Lucía");
      expect(prompt).toContain("Marta");
      return { calls: r.model.calls.length };
    },
  );

  ls.test(
    "judges: the speech-event judge sees the dialogue and the event list, never the plan",
    { inputs: { prompts: "baseline" } },
    async ({ inputs }) => {
      const dialogue: EvalDialogue = {
        id: "x",
        variant: "baseline",
        language: "fr",
        status: "accepted",
        rejectionChecks: [],
        turns: [
          { speaker: "A", text: "Salut ! Ça fait longtemps." },
          { speaker: "B", text: "Oui ! Quoi de neuf ?" },
        ],
        personas: { A: ["Je suis infirmière."], B: ["J'adore lire."] },
        commonGround: "Elles sont voisines.",
        speechEvent: { id: EVENT.id, name: EVENT.name, category: EVENT.category },
        usage: null,
        promptHash: null,
      };
      const m = judgeMessages(loadJudgePrompts(inputs.prompts), dialogue);
      const event = m
        .speechEvent(null)
        .map((x) => x.text)
        .join("\n");
      for (const e of loadSpeechEvents()) expect(event).toContain(`- ${e.id}: ${e.name}`);
      expect(event).not.toMatch(/infirmière|voisines/);
      expect(event).toContain("French");
      const natural = m
        .naturalness(null)
        .map((x) => x.text)
        .join("\n");
      expect(natural).not.toMatch(/infirmière|voisines|catching_up/);
    },
  );
});

ls.describe("eval pipeline (scripted models)", () => {
  ls.test(
    "generates, judges and writes the three reports",
    { inputs: { variants: ["baseline", "whole-dialogue"], languages: ["es"], n: 3 } },
    async ({ inputs }) => {
      const out = mkdtempSync(join(tmpdir(), "eval-pipeline-"));
      const results = await runGenerateEval({
        out,
        command: "test:eval",
        seed: 1,
        resamples: 200,
        scoreRejected: false,
        judge: { model: scriptedJudge(), prompts: loadJudgePrompts("baseline"), label: "scripted:judge" },
        variants: inputs.variants,
        languages: inputs.languages,
        n: inputs.n,
        chatModel: scriptedWriter(),
        modelLabel: "scripted:writer",
        context: { turnsMin: 4, turnsMax: 6 },
        concurrency: 1,
        langsmith: null,
      });
      for (const file of ["report.md", "report.html", "results.json"]) expect(existsSync(join(out, file))).toBe(true);
      expect(readFileSync(join(out, "report.md"), "utf8")).toContain("whole-dialogue");
      const whole = results.groups.find((g) => g.variant === "whole-dialogue")!;
      const base = results.groups.find((g) => g.variant === "baseline")!;
      expect(whole.counts.accepted).toBe(3);
      // the whole-dialogue path is the cheap one
      expect(whole.metrics.tokens_per_accepted!.value!).toBeLessThan(base.metrics.tokens_per_accepted!.value!);
      ls.logFeedback({
        key: "whole_dialogue_token_ratio",
        score: whole.metrics.tokens_per_accepted!.value! / base.metrics.tokens_per_accepted!.value!,
      });
      return { accepted: results.groups.map((g) => g.counts.accepted) };
    },
  );
});
