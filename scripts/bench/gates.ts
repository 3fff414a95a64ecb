/**
 * Gates benchmark on real human dialogues (XPersona validation sets, 7 languages):
 *   (a) per language, % of human dialogues rejected by any check other than repetition (target ≤ 1 %), and the
 *       repetition rate on its own;
 *   (b) per language and injected fault type, % caught by the right check (target ≥ 98 %);
 *   (c) throughput in turns/second on one core (target ≥ 20,000).
 *
 *   npm run bench -- gates [--data DIR] [--half a|b|both] [--trials N] [--seed S] [--rounds N] [--json] [--show N]
 *
 * (a) and (b) are reported for each of two halves of every validation file, split deterministically by a hash
 * of the language and the dialogue's id (halfOf): tune on one half (look at its --show examples only), report
 * the other, then swap. --half picks one half (default both). --trials: injections per dialogue and fault
 * (default 3); --rounds: timed passes per language (default 5); --show N: print up to N rejected human turns
 * and N missed faults per row.
 *
 * DIR defaults to $XPERSONA_DIR or ../shared/data/xpersona beside the repository. Nothing about the data is assumed beyond the
 * file format. Fault templates: testing/gate-faults.ts (written with the gates) and data/gate-faults.json
 * (held_out_* faults, written apart from the gates' patterns).
 */

import { fileURLToPath } from "node:url";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { clearDetectionCache } from "../../lib/lang/detect.js";
import { parseXPersona, type DatasetDialogue } from "../../lib/gates/datasets.js";
import {
  FAULTS,
  RIGHT_CHECK,
  inject,
  loadHeldOutTemplates,
  rng,
  type FaultType,
  type HeldOutTemplates,
} from "../../testing/gate-faults.js";
import {
  CHECK_NAMES,
  dialogueGateFailures,
  turnGateFailures,
  clearAnalysisCache,
  type CheckName,
  type GateFailure,
} from "../../lib/gates/index.js";
import { fnv1a } from "../../lib/random.js";

export const DEFAULT_XPERSONA_DIR =
  process.env.XPERSONA_DIR ?? fileURLToPath(new URL("../../../shared/data/xpersona", import.meta.url));

export const XPERSONA_FILES: ReadonlyArray<{ lang: string; file: string }> = [
  { lang: "en", file: "En_persona_valid.json" },
  { lang: "fr", file: "Fr_persona_split_valid_human_annotated.json" },
  { lang: "id", file: "Id_persona_split_valid_human_annotated.json" },
  { lang: "it", file: "It_persona_split_valid_human_annotated.json" },
  { lang: "ja", file: "Jp_persona_split_valid_human_annotated.json" },
  { lang: "ko", file: "Ko_persona_split_valid_human_annotated.json" },
  { lang: "zh", file: "Zh_persona_split_valid_human_annotated.json" },
];

export interface Corpus {
  lang: string;
  dialogues: DatasetDialogue[];
}

export function loadXPersona(dir = DEFAULT_XPERSONA_DIR): Corpus[] {
  return XPERSONA_FILES.filter((f) => existsSync(join(dir, f.file))).map((f) => ({
    lang: f.lang,
    dialogues: parseXPersona(JSON.parse(readFileSync(join(dir, f.file), "utf8"))),
  }));
}

export type Half = "a" | "b";

/** The half a dialogue belongs to: a hash of language and id, so it is fixed whatever else is in the file. */
export function halfOf(lang: string, id: string): Half {
  return fnv1a(`${lang}\u001f${id}`) % 2 === 0 ? "a" : "b";
}

/** The dialogues of one half of each corpus. */
export function selectHalf(corpora: readonly Corpus[], half: Half): Corpus[] {
  return corpora.map((c) => ({ lang: c.lang, dialogues: c.dialogues.filter((d) => halfOf(c.lang, d.id) === half) }));
}

export interface HumanRow {
  lang: string;
  dialogues: number;
  turns: number;
  /** dialogues with a failure of any check other than repetition */
  rejected: number;
  repetition: number;
  byCheck: Partial<Record<CheckName, number>>;
  examples: Array<{ id: string; failure: GateFailure; text: string }>;
}

export function measureHuman(corpora: readonly Corpus[], keepExamples = 0): HumanRow[] {
  return corpora.map(({ lang, dialogues }) => {
    const row: HumanRow = {
      lang,
      dialogues: dialogues.length,
      turns: 0,
      rejected: 0,
      repetition: 0,
      byCheck: {},
      examples: [],
    };
    for (const d of dialogues) {
      row.turns += d.turns.length;
      const fails = dialogueGateFailures(d.turns, { lang });
      const checks = new Set(fails.map((f) => f.check));
      for (const c of checks) row.byCheck[c] = (row.byCheck[c] ?? 0) + 1;
      if (checks.has("repetition")) row.repetition++;
      const other = fails.filter((f) => f.check !== "repetition");
      if (other.length) {
        row.rejected++;
        for (const f of other)
          if (row.examples.length < keepExamples)
            row.examples.push({ id: d.id, failure: f, text: d.turns[f.turn]?.text ?? "" });
      }
    }
    return row;
  });
}

export interface FaultRow {
  lang: string;
  fault: FaultType;
  injected: number;
  caught: number;
  /** caught by some other check only */
  otherCheck: number;
  misses: Array<{ id: string; index: number; text: string; failures: string[] }>;
}

export function measureFaults(
  corpora: readonly Corpus[],
  trials = 3,
  seed = 1,
  keepMisses = 0,
  heldOut: HeldOutTemplates = loadHeldOutTemplates(),
): FaultRow[] {
  const pool = new Map<string, string[]>();
  for (const c of corpora)
    pool.set(
      c.lang,
      c.dialogues.flatMap((d) => d.turns.map((t) => t.text)),
    );
  const rows: FaultRow[] = [];
  for (const { lang, dialogues } of corpora) {
    for (const fault of FAULTS) {
      const r = rng(seed * 1_000_003 + fnv1a(`${lang}/${fault}`));
      const row: FaultRow = { lang, fault, injected: 0, caught: 0, otherCheck: 0, misses: [] };
      for (let t = 0; t < trials; t++) {
        for (const d of dialogues) {
          const inj = inject(fault, d.turns, lang, r, { byLang: pool, heldOut });
          if (!inj.ok) continue;
          row.injected++;
          const fails = turnGateFailures(inj.turns, inj.index, { lang });
          if (fails.some((f) => f.check === RIGHT_CHECK[fault])) row.caught++;
          else {
            if (fails.length) row.otherCheck++;
            if (row.misses.length < keepMisses)
              row.misses.push({
                id: d.id,
                index: inj.index,
                text: inj.turns[inj.index]!.text,
                failures: fails.map((f) => `${f.check}: ${f.detail}`),
              });
          }
        }
      }
      rows.push(row);
    }
  }
  return rows;
}

export interface Throughput {
  turns: number;
  /** wall-clock seconds of the best round */
  seconds: number;
  /** CPU seconds (user + system) of the best round: the figure that does not depend on other load */
  cpuSeconds: number;
  turnsPerSecond: number;
  turnsPerCpuSecond: number;
  perLanguage: Array<{ lang: string; turns: number; turnsPerSecond: number }>;
}

/**
 * dialogueGateFailures over every human dialogue on one thread, memo caches cleared before each pass. Each
 * language is timed `rounds` times and its fastest pass kept (other processes on the machine only ever add
 * time), by CPU time (user + system; this also counts V8's background GC threads, so it slightly over-states
 * the work of the one JavaScript thread) and by wall clock.
 */
export function measureThroughput(corpora: readonly Corpus[], rounds = 5): Throughput {
  // warm-up (JIT), not timed
  for (const c of corpora) for (const d of c.dialogues.slice(0, 50)) dialogueGateFailures(d.turns, { lang: c.lang });
  const perLanguage: Throughput["perLanguage"] = [];
  let turns = 0;
  let cpuSeconds = 0;
  let seconds = 0;
  for (const c of corpora) {
    let n = 0;
    for (const d of c.dialogues) n += d.turns.length;
    let bestCpu = Infinity;
    let bestWall = Infinity;
    for (let k = 0; k < rounds; k++) {
      clearAnalysisCache();
      clearDetectionCache();
      const c0 = process.cpuUsage();
      const t0 = process.hrtime.bigint();
      for (const d of c.dialogues) dialogueGateFailures(d.turns, { lang: c.lang });
      const wall = Number(process.hrtime.bigint() - t0) / 1e9;
      const cu = process.cpuUsage(c0);
      bestCpu = Math.min(bestCpu, (cu.user + cu.system) / 1e6);
      bestWall = Math.min(bestWall, wall);
    }
    perLanguage.push({ lang: c.lang, turns: n, turnsPerSecond: n / bestCpu });
    turns += n;
    cpuSeconds += bestCpu;
    seconds += bestWall;
  }
  return {
    turns,
    seconds,
    cpuSeconds,
    turnsPerSecond: turns / seconds,
    turnsPerCpuSecond: turns / cpuSeconds,
    perLanguage,
  };
}

const pct = (n: number, d: number) => (d === 0 ? "—" : `${((100 * n) / d).toFixed(2)}%`);

function table(head: string[], rows: string[][]): string {
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(w[i]!) : c.padStart(w[i]!))).join("  ");
  return [line(head), w.map((n) => "-".repeat(n)).join("  "), ...rows.map(line)].join("\n");
}

export async function run(argv: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        data: { type: "string" },
        trials: { type: "string" },
        seed: { type: "string" },
        rounds: { type: "string" },
        show: { type: "string" },
        half: { type: "string" },
        json: { type: "boolean" },
      },
      strict: true,
    }));
  } catch (e) {
    console.error(`bench gates: ${(e as Error).message}`);
    return 2;
  }
  const dir = values.data ?? DEFAULT_XPERSONA_DIR;
  const trials = Number(values.trials ?? 3);
  const seed = Number(values.seed ?? 1);
  const rounds = Number(values.rounds ?? 5);
  const show = Number(values.show ?? 0);
  if (![trials, seed, rounds, show].every((n) => Number.isInteger(n) && n >= 0) || trials < 1 || rounds < 1) {
    console.error("bench gates: --trials, --rounds must be positive integers; --seed, --show non-negative integers");
    return 2;
  }
  const halfFlag = values.half ?? "both";
  if (halfFlag !== "a" && halfFlag !== "b" && halfFlag !== "both") {
    console.error(`bench gates: --half must be a, b or both (got "${halfFlag}")`);
    return 2;
  }
  const halves: Half[] = halfFlag === "both" ? ["a", "b"] : [halfFlag];
  const corpora = loadXPersona(dir);
  if (corpora.length === 0) {
    console.error(`bench gates: no XPersona files found in ${dir}`);
    return 2;
  }
  let heldOut: HeldOutTemplates;
  try {
    heldOut = loadHeldOutTemplates();
  } catch (e) {
    console.error(`bench gates: ${(e as Error).message}`);
    return 2;
  }

  const results = halves.map((half) => {
    const part = selectHalf(corpora, half);
    return { half, human: measureHuman(part, show), faults: measureFaults(part, trials, seed, show, heldOut) };
  });
  const speed = measureThroughput(corpora, rounds);

  if (values.json) {
    console.log(JSON.stringify({ halves: results, throughput: speed }, null, 2));
    return 0;
  }
  for (const { half, human, faults } of results) report(half, human, faults, corpora, dir, trials, seed);

  const fmtN = (x: number) => Math.round(x).toLocaleString("en-US");
  console.log(
    `\n(c) throughput, dialogueGateFailures on one thread, caches cleared, fastest of ${rounds} passes per language: ${fmtN(speed.turnsPerCpuSecond)} turns per CPU-second ` +
      `(${speed.turns} turns in ${speed.cpuSeconds.toFixed(2)} CPU-s; wall clock ${fmtN(speed.turnsPerSecond)} turns/s in ${speed.seconds.toFixed(2)} s); target ≥ 20,000`,
  );
  console.log(
    `    per language (turns per CPU-second): ${speed.perLanguage.map((p) => `${p.lang} ${fmtN(p.turnsPerSecond)}`).join(", ")}`,
  );
  return 0;
}

function report(
  half: Half,
  human: HumanRow[],
  faults: FaultRow[],
  corpora: readonly Corpus[],
  dir: string,
  trials: number,
  seed: number,
): void {
  const checksSeen = CHECK_NAMES.filter((c) => c !== "repetition" && human.some((h) => h.byCheck[c]));
  console.log(`==== half ${half.toUpperCase()} ====\n`);
  console.log(`(a) human dialogues rejected (XPersona validation, half ${half.toUpperCase()}, ${dir})\n`);
  console.log(
    table(
      ["lang", "dialogues", "turns", "rejected (not repetition)", ...checksSeen, "repetition"],
      human.map((h) => [
        h.lang,
        String(h.dialogues),
        String(h.turns),
        pct(h.rejected, h.dialogues),
        ...checksSeen.map((c) => String(h.byCheck[c] ?? 0)),
        pct(h.repetition, h.dialogues),
      ]),
    ),
  );
  console.log("\n(target: rejected ≤ 1 %; per-check columns count dialogues)");
  for (const h of human)
    for (const ex of h.examples)
      console.log(
        `  ${h.lang} #${ex.id} turn ${ex.failure.turn} ${ex.failure.check}: ${ex.failure.detail} | ${JSON.stringify(ex.text)}`,
      );

  const langs = corpora.map((c) => c.lang);
  console.log(
    `\n(b) injected faults caught by the right check (half ${half.toUpperCase()}, ${trials} trial(s) per dialogue, seed ${seed})\n`,
  );
  console.log(
    table(
      ["fault → check", ...langs, "all"],
      FAULTS.map((f) => {
        const rs = faults.filter((r) => r.fault === f);
        const tot = rs.reduce((a, r) => ({ i: a.i + r.injected, c: a.c + r.caught }), { i: 0, c: 0 });
        return [
          `${f} → ${RIGHT_CHECK[f]}`,
          ...langs.map((l) => {
            const r = rs.find((x) => x.lang === l)!;
            return pct(r.caught, r.injected);
          }),
          pct(tot.c, tot.i),
        ];
      }),
    ),
  );
  console.log("\n(target: ≥ 98 % each)");
  for (const r of faults)
    for (const m of r.misses)
      console.log(
        `  miss ${r.lang} ${r.fault} #${m.id} turn ${m.index}: ${JSON.stringify(m.text)} → ${m.failures.join("; ") || "no failure"}`,
      );
  console.log("");
}
