import type { VariantManifest } from "../lib/prompts/loader.js";
import type { Usage } from "../lib/records/schema.js";
import type { Comparison, GroupResult, MetricEstimate } from "./aggregate.js";
import type { DialogueFigures, Metric, MetricUnit } from "./metrics.js";
import { type HumanResults, humanSummaryLine, humanTables } from "./human.js";

/** The eval's outputs: results.json (everything), report.md, report.html (inline SVG charts, no external asset). */

export interface VariantInfo {
  name: string;
  /** prompt hash; null for datasets not written with our prompts */
  hash: string | null;
  manifest: VariantManifest | null;
  /** one line saying what the variant is */
  description: string;
}

export interface EvalMeta {
  created_at: string;
  command: string;
  mode: "generate" | "dataset";
  dataset?: { path: string; format: "jsonl" | "xpersona" };
  variants: VariantInfo[];
  reference: string;
  languages: string[];
  n?: number;
  seed: number;
  model?: string;
  judge: { model: string; prompts: string; hash: string } | null;
  price?: { input: number; output: number };
  resamples: number;
  level: number;
  score_rejected: boolean;
  judge_usage: Usage;
  judge_calls: number;
  langsmith: { enabled: boolean; dataset?: string; experiments?: { variant: string; name: string }[]; note?: string };
}

export interface EvalResults {
  meta: EvalMeta;
  metrics: Pick<Metric, "key" | "label" | "section" | "kind" | "scope" | "unit" | "definition" | "better">[];
  groups: GroupResult[];
  comparisons: Comparison[];
  notes: string[];
  dialogues: DialogueFigures[];
  /** native speakers' ratings, when the eval was given --reviews */
  human?: HumanResults;
}

// ── formatting ──────────────────────────────────────────────────────────────────────────────────────

export function formatValue(value: number, unit: MetricUnit): string {
  switch (unit) {
    case "share":
      return value.toFixed(3);
    case "score":
      return value.toFixed(2);
    case "turns":
      return value.toFixed(1);
    case "tokens":
      return Math.abs(value) >= 100 ? value.toFixed(0) : value.toFixed(1);
    case "usd":
      return value === 0 ? "0" : value.toPrecision(3);
  }
}

function formatSigned(value: number, unit: MetricUnit): string {
  return `${value > 0 ? "+" : value < 0 ? "-" : "±"}${formatValue(Math.abs(value), unit)}`;
}

export function formatP(p: number | null, resamples: number, method: string): string {
  if (p === null) return "–";
  if (method === "paired bootstrap" && p < 1 / resamples) return `< ${1 / resamples}`;
  if (p < 0.001) return "< 0.001";
  return p.toFixed(3);
}

export function formatEstimate(e: MetricEstimate | undefined, unit: MetricUnit): string {
  if (!e || e.value === null) return `n/a (${e?.note ?? "no value"})`;
  const ci = e.ci ? ` [${formatValue(e.ci.lo, unit)}, ${formatValue(e.ci.hi, unit)}]` : "";
  return `${formatValue(e.value, unit)}${ci} (n=${e.n})`;
}

const groupOf = (results: EvalResults, variant: string, language: string) =>
  results.groups.find((g) => g.variant === variant && g.language === language);

// ── notes every report states ───────────────────────────────────────────────────────────────────────

/** Plain statements about what could not be measured, so a report never looks complete when it is not. */
export function reportNotes(meta: EvalMeta, groups: readonly GroupResult[]): string[] {
  const notes: string[] = [];
  if (meta.mode === "generate") {
    const accepted = groups.reduce((n, g) => n + g.counts.accepted, 0);
    const total = groups.reduce((n, g) => n + g.counts.dialogues, 0);
    if (accepted === 0 && !meta.score_rejected) {
      notes.push(
        `No dialogue was accepted (0 of ${total}, every variant and language): the text, grounding and judge metrics have nothing to score and are reported as n/a; only acceptance and the rejection reasons are measured.`,
      );
    } else {
      for (const g of groups) {
        if (g.counts.dialogues > 0 && g.counts.accepted === 0)
          notes.push(`${g.variant} × ${g.language}: no dialogue accepted (0 of ${g.counts.dialogues}).`);
      }
    }
  }
  if (!meta.judge) notes.push("No judge model was given (--judge-model): the LLM-judge metrics are not measured.");
  if (meta.mode === "dataset" && meta.dataset?.format === "xpersona") {
    notes.push(
      "XPersona: one persona per dialogue — the replying speaker's (B); speaker A has none, so persona metrics and the persona judge cover B only. XPersona has no common ground and no speech event: those metrics are n/a.",
    );
  }
  if (meta.score_rejected)
    notes.push(
      "--score-rejected: rejected dialogues with turns are scored too (text metrics are not those of an accepted dataset).",
    );
  const failures = groups.reduce((n, g) => n + g.counts.judge_failures, 0);
  if (failures > 0)
    notes.push(
      `${failures} judge calls gave no usable answer after a retry; those figures are left out (not guessed).`,
    );
  if (meta.langsmith.note) notes.push(meta.langsmith.note);
  return notes;
}

/** A caution when comparisons rest on few pairs (the bootstrap of 4 pairs has only 4⁴ distinct resamples). */
export function pairNotes(comparisons: readonly { n: number; variant: string; language: string }[]): string[] {
  const few = [...new Set(comparisons.filter((c) => c.n > 0 && c.n < 10).map((c) => `${c.variant} × ${c.language}`))];
  return few.length
    ? [`Fewer than 10 paired dialogues (${few.join(", ")}): the intervals and p-values of those comparisons are rough.`]
    : [];
}

// ── Markdown ────────────────────────────────────────────────────────────────────────────────────────

/**
 * Text from a dataset or a command line, made inert in Markdown: HTML special characters as entities (a variant
 * or check name like `<img onerror=…>` stays text where Markdown is rendered as HTML), the markup characters
 * that could change a table, a code span or emphasis backslash-escaped, link brackets broken, line breaks folded.
 */
export const mdText = (s: string) =>
  s
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/([\\`*|])/g, "\\$1")
    .replace(/\[(?=[^\]]*\]\()/g, "\\[")
    .replace(/[\r\n]+/g, " ");
/** A code span that its content cannot close (a fence longer than any backtick run inside). */
export const mdCode = (s: string) => {
  const flat = s.replace(/[\r\n]+/g, " ");
  const fence = "`".repeat(Math.max(0, ...(flat.match(/`+/g) ?? []).map((run) => run.length)) + 1);
  return `${fence}${flat.startsWith("`") || flat.endsWith("`") ? ` ${flat} ` : flat}${fence}`;
};
const cell = mdText;

function methodSection(meta: EvalMeta): string[] {
  return [
    "## Method",
    "",
    `- Samples are dialogues. Scored set: ${meta.score_rejected ? "every dialogue with turns (--score-rejected)" : meta.mode === "dataset" && meta.dataset?.format === "xpersona" ? "every dialogue of the file" : "the accepted dialogues"}; acceptance, tokens and cost look at every generated record.`,
    `- Mean and pooled-ratio metrics: ${Math.round(meta.level * 100)} % percentile bootstrap over dialogues (${meta.resamples} resamples, seeded from --seed ${meta.seed}). Set metrics (distinct-n, opener diversity): delete-one jackknife standard error, value ± 1.96 se (the bootstrap is biased for them: a resample repeats dialogues, which adds n-grams but no unique ones).`,
    "- Comparisons: each variant against the first (reference) on the dialogues both have (same id = same seed, persona pair and speech event). Mean/ratio metrics: paired bootstrap over the pairs; Δ = variant − reference; interval = percentiles of the resampled Δ; two-sided p = 2 · min(P(Δ* ≤ 0), P(Δ* ≥ 0)). Set metrics: paired jackknife, z-test.",
    '- Tokens: word-like segments of `Intl.Segmenter(lang, { granularity: "word" })`, lower-cased; n-grams never cross turns.',
  ];
}

export function renderMarkdown(results: EvalResults): string {
  const { meta } = results;
  const variants = meta.variants.map((v) => v.name);
  const out: string[] = ["# Evaluation report", ""];
  out.push(`Written ${meta.created_at} by ${mdCode(meta.command)}.`, "");
  if (meta.mode === "dataset") out.push(`- Dataset: ${mdCode(meta.dataset!.path)} (${meta.dataset!.format})`);
  else
    out.push(
      `- Generated: ${meta.n} dialogues per variant and language, seed ${meta.seed}, model ${mdText(meta.model ?? "?")}`,
    );
  out.push(`- Languages: ${mdText(meta.languages.join(", "))}`);
  for (const v of meta.variants)
    out.push(
      `- Variant **${mdText(v.name)}**${v.hash ? ` (prompt hash ${mdCode(v.hash)})` : ""}: ${mdText(v.description)}`,
    );
  out.push(
    `- Judge: ${meta.judge ? `${mdText(meta.judge.model)}, prompts judges/${mdText(meta.judge.prompts)} (${mdCode(meta.judge.hash)}), ${meta.judge_calls} calls, ${meta.judge_usage.input_tokens + meta.judge_usage.output_tokens} tokens` : "none"}`,
  );
  if (meta.price)
    out.push(`- Price: ${meta.price.input} USD / M input tokens, ${meta.price.output} USD / M output tokens`);
  if (meta.langsmith.enabled)
    out.push(
      `- LangSmith: dataset ${mdCode(meta.langsmith.dataset ?? "")}, experiments ${meta.langsmith.experiments?.map((e) => mdCode(e.name)).join(", ")}`,
    );
  out.push("");
  if (results.notes.length) {
    out.push("## Notes", "");
    for (const note of results.notes) out.push(`- ${mdText(note)}`);
    out.push("");
  }
  if (results.human) {
    out.push("## Human evaluation", "", cell(humanSummaryLine(results.human)), "");
    for (const table of humanTables(results.human)) {
      out.push(
        `### ${table.title}`,
        "",
        `| ${table.head.map(cell).join(" | ")} |`,
        `|${table.head.map(() => "---").join("|")}|`,
      );
      for (const row of table.rows) out.push(`| ${row.map(cell).join(" | ")} |`);
      out.push("");
    }
  }
  const metrics = results.metrics;
  for (const language of meta.languages) {
    out.push(`## ${mdText(language)}`, "");
    out.push(`| | ${variants.map(cell).join(" | ")} |`, `|---|${variants.map(() => "---").join("|")}|`);
    out.push(
      `| dialogues (accepted / rejected) | ${variants
        .map((v) => {
          const g = groupOf(results, v, language);
          return g ? `${g.counts.dialogues} (${g.counts.accepted} / ${g.counts.rejected})` : "–";
        })
        .join(" | ")} |`,
    );
    out.push(
      `| rejection reasons | ${variants
        .map((v) => {
          const r = groupOf(results, v, language)?.rejections ?? {};
          const e = Object.entries(r).sort((a, b) => b[1] - a[1]);
          return e.length ? cell(e.map(([k, n]) => `${k} ${n}`).join(", ")) : "–";
        })
        .join(" | ")} |`,
    );
    for (const m of metrics) {
      out.push(
        `| ${cell(m.label)} | ${variants.map((v) => cell(formatEstimate(groupOf(results, v, language)?.metrics[m.key], m.unit))).join(" | ")} |`,
      );
    }
    out.push("");
    const comparisons = results.comparisons.filter((c) => c.language === language);
    if (comparisons.length) {
      out.push(`### ${mdText(language)}: variants against ${mdText(meta.reference)} (paired)`, "");
      out.push("| metric | variant | Δ | 95 % interval | p | pairs | test |", "|---|---|---|---|---|---|---|");
      for (const c of comparisons) {
        const m = metrics.find((x) => x.key === c.metric)!;
        const diff = c.diff === null ? "n/a" : formatSigned(c.diff, m.unit);
        const ci = c.ci ? `[${formatValue(c.ci.lo, m.unit)}, ${formatValue(c.ci.hi, m.unit)}]` : "–";
        out.push(
          `| ${cell(m.label)} | ${cell(c.variant)} | ${diff} | ${ci} | ${formatP(c.p, meta.resamples, c.method)} | ${c.n} | ${c.method} |`,
        );
      }
      out.push("");
    }
  }
  out.push("## Metric definitions", "");
  for (const m of metrics)
    out.push(
      `- **${m.label}** (\`${m.key}\`, ${m.kind}${m.better === undefined ? "" : m.better ? ", higher is better" : ", lower is better"}): ${m.definition}`,
    );
  out.push("", ...methodSection(meta), "");
  return out.join("\n");
}

function humanHtml(human: HumanResults): string {
  const tables = humanTables(human)
    .map(
      (t) =>
        `<h3>${esc(t.title)}</h3><table><tr>${t.head.map((h) => `<th>${esc(h)}</th>`).join("")}</tr>${t.rows.map((r) => `<tr>${r.map((c) => `<td>${esc(c)}</td>`).join("")}</tr>`).join("")}</table>`,
    )
    .join("\n");
  return `<h2 id="human">Human evaluation</h2><p>${esc(humanSummaryLine(human))}</p>\n${tables}`;
}

// ── HTML ────────────────────────────────────────────────────────────────────────────────────────────

const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
const PALETTE = ["#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#b07aa1", "#edc948", "#9c755f"];

function scaleMax(unit: MetricUnit, values: number[]): number {
  if (unit === "share") return 1;
  if (unit === "score") return 5;
  const max = Math.max(0, ...values);
  return max > 0 ? max * 1.15 : 1;
}

/** One grouped bar chart: languages on the x axis, one bar per variant, interval whiskers. */
export function barChart(results: EvalResults, metric: EvalResults["metrics"][number]): string {
  const variants = results.meta.variants.map((v) => v.name);
  const languages = results.meta.languages;
  const estimates = languages.map((l) => variants.map((v) => groupOf(results, v, l)?.metrics[metric.key]));
  const values = estimates.flat().flatMap((e) => (e && e.value !== null ? [e.value, e.ci?.hi ?? e.value] : []));
  const width = 520;
  const height = 220;
  const left = 58;
  const bottom = 28;
  const top = 12;
  const plotH = height - top - bottom;
  const max = scaleMax(metric.unit, values);
  const y = (v: number) => top + plotH - (Math.max(0, Math.min(v, max)) / max) * plotH;
  const parts: string[] = [];
  parts.push(
    `<svg class="chart" data-metric="${esc(metric.key)}" xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="${esc(metric.label)}">`,
  );
  for (const t of [0, 0.25, 0.5, 0.75, 1]) {
    const v = t * max;
    parts.push(`<line x1="${left}" x2="${width - 8}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}" stroke="#ddd"/>`);
    parts.push(
      `<text x="${left - 6}" y="${(y(v) + 4).toFixed(1)}" text-anchor="end" font-size="10" fill="#555">${esc(formatValue(v, metric.unit))}</text>`,
    );
  }
  const groupW = (width - left - 8) / Math.max(1, languages.length);
  const barW = Math.min(40, (groupW - 16) / Math.max(1, variants.length));
  languages.forEach((language, li) => {
    const x0 = left + li * groupW + (groupW - barW * variants.length) / 2;
    parts.push(
      `<text x="${(left + li * groupW + groupW / 2).toFixed(1)}" y="${height - 8}" text-anchor="middle" font-size="12">${esc(language)}</text>`,
    );
    variants.forEach((variant, vi) => {
      const e = estimates[li]![vi];
      const x = x0 + vi * barW;
      if (!e || e.value === null) {
        parts.push(
          `<text x="${(x + barW / 2).toFixed(1)}" y="${(top + plotH - 4).toFixed(1)}" text-anchor="middle" font-size="9" fill="#999">n/a</text>`,
        );
        return;
      }
      const yTop = y(e.value);
      const h = Math.max(0, top + plotH - yTop);
      parts.push(
        `<rect class="bar" data-variant="${esc(variant)}" data-language="${esc(language)}" data-value="${e.value}" x="${(x + 2).toFixed(1)}" y="${yTop.toFixed(1)}" width="${(barW - 4).toFixed(1)}" height="${Math.max(h, 0.5).toFixed(1)}" fill="${PALETTE[vi % PALETTE.length]}"><title>${esc(`${variant} · ${language}: ${formatEstimate(e, metric.unit)}`)}</title></rect>`,
      );
      if (e.ci) {
        const cx = (x + barW / 2).toFixed(1);
        const lo = y(e.ci.lo).toFixed(1);
        const hi = y(e.ci.hi).toFixed(1);
        parts.push(`<line class="ci" x1="${cx}" x2="${cx}" y1="${lo}" y2="${hi}" stroke="#222"/>`);
        parts.push(
          `<line x1="${(x + barW / 2 - 4).toFixed(1)}" x2="${(x + barW / 2 + 4).toFixed(1)}" y1="${lo}" y2="${lo}" stroke="#222"/>`,
        );
        parts.push(
          `<line x1="${(x + barW / 2 - 4).toFixed(1)}" x2="${(x + barW / 2 + 4).toFixed(1)}" y1="${hi}" y2="${hi}" stroke="#222"/>`,
        );
      }
    });
  });
  parts.push(`<line x1="${left}" x2="${width - 8}" y1="${top + plotH}" y2="${top + plotH}" stroke="#333"/>`);
  parts.push("</svg>");
  return parts.join("");
}

export function renderHtml(results: EvalResults): string {
  const { meta } = results;
  const variants = meta.variants.map((v) => v.name);
  const legend = variants
    .map(
      (v, i) =>
        `<span class="key"><span class="swatch" style="background:${PALETTE[i % PALETTE.length]}"></span>${esc(v)}</span>`,
    )
    .join(" ");
  const sections = new Map<string, string[]>();
  for (const metric of results.metrics) {
    const measured = results.groups.some((g) => g.metrics[metric.key]?.value != null);
    const notes = [
      ...new Set(results.groups.map((g) => g.metrics[metric.key]?.note).filter((n): n is string => Boolean(n))),
    ];
    const why = notes.join("; ") || "no value";
    const body = measured
      ? barChart(results, metric)
      : `<p class="na">${esc(why.charAt(0).toUpperCase() + why.slice(1))}</p>`;
    const card = `<figure class="card"><figcaption><b>${esc(metric.label)}</b> <code>${esc(metric.key)}</code><br><small>${esc(metric.definition)}</small></figcaption>${body}</figure>`;
    sections.set(metric.section, [...(sections.get(metric.section) ?? []), card]);
  }
  const table = (language: string) => {
    const rows = results.metrics
      .map(
        (m) =>
          `<tr><th>${esc(m.label)}</th>${variants.map((v) => `<td>${esc(formatEstimate(groupOf(results, v, language)?.metrics[m.key], m.unit))}</td>`).join("")}</tr>`,
      )
      .join("");
    const counts = `<tr><th>dialogues (accepted / rejected)</th>${variants
      .map((v) => {
        const g = groupOf(results, v, language);
        return `<td>${g ? `${g.counts.dialogues} (${g.counts.accepted} / ${g.counts.rejected})` : "–"}</td>`;
      })
      .join("")}</tr>`;
    const comparisons = results.comparisons.filter((c) => c.language === language);
    const compRows = comparisons
      .map((c) => {
        const m = results.metrics.find((x) => x.key === c.metric)!;
        return `<tr><th>${esc(m.label)}</th><td>${esc(c.variant)}</td><td>${c.diff === null ? "n/a" : esc(formatSigned(c.diff, m.unit))}</td><td>${c.ci ? esc(`[${formatValue(c.ci.lo, m.unit)}, ${formatValue(c.ci.hi, m.unit)}]`) : "–"}</td><td>${esc(formatP(c.p, meta.resamples, c.method))}</td><td>${c.n}</td><td>${esc(c.method)}</td></tr>`;
      })
      .join("");
    return `<h3>${esc(language)}</h3><table><tr><th></th>${variants.map((v) => `<th>${esc(v)}</th>`).join("")}</tr>${counts}${rows}</table>${
      compRows
        ? `<h4>${esc(language)}: against ${esc(meta.reference)} (paired)</h4><table><tr><th>metric</th><th>variant</th><th>Δ</th><th>95 % interval</th><th>p</th><th>pairs</th><th>test</th></tr>${compRows}</table>`
        : ""
    }`;
  };
  const markdownish = renderMarkdown(results).split("\n");
  const methodStart = markdownish.indexOf("## Method");
  const method = markdownish
    .slice(methodStart + 2)
    .filter((l) => l.startsWith("- "))
    .map((l) => `<li>${esc(l.slice(2))}</li>`)
    .join("");
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Evaluation report — ${esc(variants.join(", "))} × ${esc(meta.languages.join(", "))}</title>
<style>
body{font:14px/1.45 system-ui,sans-serif;margin:24px auto;max-width:1120px;color:#222;padding:0 16px}
h1{font-size:22px}h2{font-size:18px;margin-top:28px;border-bottom:1px solid #ddd}
.cards{display:flex;flex-wrap:wrap;gap:12px}.card{margin:0;border:1px solid #e3e3e3;border-radius:6px;padding:8px;width:536px}
figcaption small{color:#666}.na{color:#999;font-style:italic}table{border-collapse:collapse;margin:8px 0 16px}
td,th{border:1px solid #ddd;padding:3px 8px;text-align:left;font-size:13px;vertical-align:top}.notes li{margin:4px 0}
.key{margin-right:14px}.swatch{display:inline-block;width:12px;height:12px;margin-right:4px;vertical-align:-1px}
</style></head>
<body data-rendered-bars="0">
<h1>Evaluation report</h1>
<p>Written ${esc(meta.created_at)} by <code>${esc(meta.command)}</code>.</p>
<ul>${meta.variants.map((v) => `<li><b>${esc(v.name)}</b>${v.hash ? ` <code>${esc(v.hash)}</code>` : ""}: ${esc(v.description)}</li>`).join("")}
<li>Languages: ${esc(meta.languages.join(", "))}${meta.mode === "generate" ? ` · ${meta.n} dialogues per variant and language · seed ${meta.seed} · model ${esc(meta.model ?? "?")}` : ` · dataset <code>${esc(meta.dataset!.path)}</code> (${esc(meta.dataset!.format)})`}</li>
<li>Judge: ${meta.judge ? esc(`${meta.judge.model}, prompts judges/${meta.judge.prompts} (${meta.judge.hash})`) : "none"}</li></ul>
${results.notes.length ? `<h2>Notes</h2><ul class="notes">${results.notes.map((n) => `<li>${esc(n)}</li>`).join("")}</ul>` : ""}
<h2>Charts</h2><p>${legend} — bars: value; whiskers: ${Math.round(meta.level * 100)} % interval.</p>
${[...sections].map(([name, cards]) => `<h3>${esc(name)}</h3><div class="cards">${cards.join("")}</div>`).join("\n")}
${results.human ? humanHtml(results.human) : ""}
<h2>Tables</h2>
${meta.languages.map(table).join("\n")}
<h2>Method</h2><ul>${method}</ul>
<script>
// Counts the bars the browser actually laid out (width and height > 0): a check that the charts render.
(function () {
  var bars = document.querySelectorAll("svg.chart rect.bar");
  var drawn = 0;
  for (var i = 0; i < bars.length; i++) { var b = bars[i].getBBox(); if (b.width > 0 && b.height > 0) drawn++; }
  document.body.setAttribute("data-rendered-bars", String(drawn));
  document.body.setAttribute("data-charts", String(document.querySelectorAll("svg.chart").length));
})();
</script>
</body></html>
`;
}
