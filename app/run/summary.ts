/**
 * The run's figures, computed from the records on disk (so a resumed run's summary covers every session):
 * per language, accepted / rejected by reason, acceptance rate, mean turns, tokens, cost estimate; and the run's
 * wall time. Written as `X.summary.json` next to `X.jsonl` and printed as a table.
 */
import type { DialogueRecord } from "../../lib/records/schema.js";

/** USD per million input / output tokens (--price IN,OUT). */
export interface Price {
  input: number;
  output: number;
}

export interface LanguageFigures {
  dialogues: number;
  accepted: number;
  rejected: number;
  /** rejected dialogues by their first (deciding) reason's check */
  rejected_by_reason: Record<string, number>;
  acceptance_rate: number;
  /** mean turns of the accepted dialogues (of all dialogues when none was accepted) */
  mean_turns: number;
  tokens: { input: number; output: number };
  /** null without --price */
  cost_usd: number | null;
  /** summed duration of the dialogues (model and orchestration time, overlapping under concurrency) */
  dialogue_time_s: number;
}

export interface RunSummary {
  generated_at: string;
  languages: Record<string, LanguageFigures>;
  total: LanguageFigures;
  wall_time_s: number | null;
  price_per_million_tokens: Price | null;
}

interface Tally {
  dialogues: number;
  accepted: number;
  reasons: Map<string, number>;
  acceptedTurns: number;
  allTurns: number;
  input: number;
  output: number;
  durationMs: number;
}

const emptyTally = (): Tally => ({
  dialogues: 0,
  accepted: 0,
  reasons: new Map(),
  acceptedTurns: 0,
  allTurns: 0,
  input: 0,
  output: 0,
  durationMs: 0,
});

function addTo(tally: Tally, record: DialogueRecord): void {
  tally.dialogues++;
  tally.allTurns += record.turns.length;
  tally.input += record.provenance.usage.input_tokens;
  tally.output += record.provenance.usage.output_tokens;
  tally.durationMs += record.provenance.duration_ms;
  if (record.status === "accepted") {
    tally.accepted++;
    tally.acceptedTurns += record.turns.length;
  } else {
    const reason = record.rejection_reasons[0]?.check ?? "unknown";
    tally.reasons.set(reason, (tally.reasons.get(reason) ?? 0) + 1);
  }
}

const round = (x: number, digits: number) => Math.round(x * 10 ** digits) / 10 ** digits;

export function costOf(tokens: { input: number; output: number }, price: Price | null | undefined): number | null {
  return price ? round((tokens.input * price.input + tokens.output * price.output) / 1e6, 4) : null;
}

function figures(tally: Tally, price: Price | null | undefined): LanguageFigures {
  const tokens = { input: tally.input, output: tally.output };
  return {
    dialogues: tally.dialogues,
    accepted: tally.accepted,
    rejected: tally.dialogues - tally.accepted,
    rejected_by_reason: Object.fromEntries([...tally.reasons].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))),
    acceptance_rate: tally.dialogues ? round(tally.accepted / tally.dialogues, 4) : 0,
    mean_turns: round(
      tally.accepted ? tally.acceptedTurns / tally.accepted : tally.dialogues ? tally.allTurns / tally.dialogues : 0,
      2,
    ),
    tokens,
    cost_usd: costOf(tokens, price),
    dialogue_time_s: round(tally.durationMs / 1000, 1),
  };
}

/** Adds records one at a time (those on disk at start, then each one written), so nothing is kept in memory. */
export class SummaryBuilder {
  private readonly byLanguage = new Map<string, Tally>();
  private readonly total = emptyTally();

  add(record: DialogueRecord): void {
    let tally = this.byLanguage.get(record.language);
    if (!tally) this.byLanguage.set(record.language, (tally = emptyTally()));
    addTo(tally, record);
    addTo(this.total, record);
  }

  addAll(records: Iterable<DialogueRecord>): this {
    for (const record of records) this.add(record);
    return this;
  }

  /** Dialogues, accepted and tokens of one language so far (for the progress display). */
  counts(language: string): { dialogues: number; accepted: number; tokens: number } {
    const tally = this.byLanguage.get(language);
    return tally
      ? { dialogues: tally.dialogues, accepted: tally.accepted, tokens: tally.input + tally.output }
      : { dialogues: 0, accepted: 0, tokens: 0 };
  }

  build(options: { price?: Price | null; wallMs?: number | null } = {}): RunSummary {
    return {
      generated_at: new Date().toISOString(),
      languages: Object.fromEntries(
        [...this.byLanguage]
          .sort(([a], [b]) => a.localeCompare(b))
          .map(([lang, t]) => [lang, figures(t, options.price)]),
      ),
      total: figures(this.total, options.price),
      wall_time_s: options.wallMs != null ? round(options.wallMs / 1000, 1) : null,
      price_per_million_tokens: options.price ?? null,
    };
  }
}

export function summarize(
  records: Iterable<DialogueRecord>,
  options: { price?: Price | null; wallMs?: number | null } = {},
): RunSummary {
  return new SummaryBuilder().addAll(records).build(options);
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return "?";
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
}

export function formatCount(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(1)}G`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)}M`;
  if (n >= 1e4) return `${(n / 1e3).toFixed(0)}k`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)}k`;
  return String(n);
}

function formatReasons(reasons: Record<string, number>): string {
  const entries = Object.entries(reasons);
  return entries.length ? entries.map(([check, count]) => `${check} ${count}`).join(", ") : "–";
}

/** The summary as a plain-text table (one row per language, then the total). */
export function formatSummaryTable(summary: RunSummary): string {
  const header = ["lang", "dialogues", "accepted", "rate", "mean turns", "tokens in/out", "cost", "rejected by reason"];
  const row = (name: string, f: LanguageFigures) => [
    name,
    String(f.dialogues),
    String(f.accepted),
    `${(f.acceptance_rate * 100).toFixed(1)}%`,
    f.mean_turns.toFixed(1),
    `${formatCount(f.tokens.input)}/${formatCount(f.tokens.output)}`,
    f.cost_usd === null ? "–" : `$${f.cost_usd.toFixed(f.cost_usd >= 100 ? 0 : f.cost_usd >= 1 ? 2 : 4)}`,
    formatReasons(f.rejected_by_reason),
  ];
  const rows = [header, ...Object.entries(summary.languages).map(([lang, f]) => row(lang, f))];
  if (Object.keys(summary.languages).length > 1) rows.push(row("all", summary.total));
  const widths = header.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  const lines = rows.map((r) =>
    r
      .map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]!)))
      .join("  ")
      .trimEnd(),
  );
  lines.splice(1, 0, widths.map((w) => "─".repeat(w)).join("  "));
  if (summary.wall_time_s !== null) {
    const rate = summary.wall_time_s > 0 ? (summary.total.dialogues / summary.wall_time_s) * 3600 : 0;
    lines.push(`wall time ${formatDuration(summary.wall_time_s)} (all sessions) · ${rate.toFixed(0)} dialogues/hour`);
  }
  return lines.join("\n");
}
