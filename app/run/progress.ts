/**
 * Progress of a run, on stderr. On a terminal: a live bar per language (done of planned, accepted, rejected,
 * rate, ETA, tokens), redrawn in place with ANSI escapes, under the dialogues printed on stdout. Anywhere else
 * (a log file, CI): a plain line at most every few seconds, only when something changed, and one at the end.
 *
 * Written here rather than with a progress-bar package: the display is a few lines of ANSI (cursor up, clear
 * line), and it must interleave with the dialogues the command prints, which the packages' multi-bar modes
 * handle through their own logging calls anyway.
 */
import { formatCount, formatDuration } from "./summary.js";

export interface LanguageProgress {
  language: string;
  planned: number;
  /** records of planned jobs on disk (earlier sessions included) */
  done: number;
  accepted: number;
  rejected: number;
  tokens: number;
  /** finished in this session (for the rate) */
  session: number;
}

export interface ProgressOptions {
  languages: readonly string[];
  planned: Record<string, number>;
  /** records already on disk for the planned jobs, per language */
  initial?: Record<string, { done: number; accepted: number; tokens: number }>;
  stream?: NodeJS.WriteStream;
  /** stdout, where dialogues are printed (kept apart from the bars) */
  out?: NodeJS.WriteStream;
  /** force the plain (non-TTY) mode, or the TTY mode */
  tty?: boolean;
  /** plain mode: least time between two lines */
  plainIntervalMs?: number;
  now?: () => number;
}

const BAR_WIDTH = 20;

export class Progress {
  readonly languages: LanguageProgress[];
  private readonly stream: NodeJS.WriteStream;
  private readonly out: NodeJS.WriteStream;
  readonly tty: boolean;
  private readonly plainIntervalMs: number;
  private readonly now: () => number;
  private readonly startedAt: number;
  private drawn = 0;
  private lastPlain = 0;
  private lastPlainText = "";
  private timer: NodeJS.Timeout | undefined;
  /** stdout ends in the middle of a line (write()): the bars stay hidden until it is finished */
  private midLine = false;
  inFlight = 0;
  note = "";

  constructor(options: ProgressOptions) {
    this.stream = options.stream ?? process.stderr;
    this.out = options.out ?? process.stdout;
    this.tty = options.tty ?? (this.stream.isTTY && process.env.TERM !== "dumb" && !process.env.CI);
    this.plainIntervalMs = options.plainIntervalMs ?? 5000;
    this.now = options.now ?? (() => Date.now());
    this.startedAt = this.now();
    this.lastPlain = this.startedAt;
    this.languages = options.languages.map((language) => {
      const initial = options.initial?.[language];
      return {
        language,
        planned: options.planned[language] ?? 0,
        done: initial?.done ?? 0,
        accepted: initial?.accepted ?? 0,
        rejected: (initial?.done ?? 0) - (initial?.accepted ?? 0),
        tokens: initial?.tokens ?? 0,
        session: 0,
      };
    });
    if (this.tty) {
      this.timer = setInterval(() => this.redraw(), 1000);
      this.timer.unref();
      this.redraw();
    }
  }

  started(): void {
    this.inFlight++;
    this.tick();
  }

  /** A dialogue was written (or abandoned, with record null). */
  finished(
    record: {
      language: string;
      status: "accepted" | "rejected";
      provenance: { usage: { input_tokens: number; output_tokens: number } };
    } | null,
  ): void {
    this.inFlight = Math.max(0, this.inFlight - 1);
    if (record) {
      const lang = this.languages.find((l) => l.language === record.language);
      if (lang) {
        lang.done++;
        lang.session++;
        if (record.status === "accepted") lang.accepted++;
        else lang.rejected++;
        lang.tokens += record.provenance.usage.input_tokens + record.provenance.usage.output_tokens;
      }
    }
    this.tick();
  }

  /** Prints text on stdout without breaking the bars. */
  log(text: string): void {
    this.endLine();
    if (this.tty) this.erase();
    this.out.write(text.endsWith("\n") ? text : `${text}\n`);
    if (this.tty) this.redraw();
  }

  /**
   * Prints text on stdout as it comes, a line possibly in pieces (a dialogue shown as it is written): the bars are
   * taken away while a line is being written and drawn again under it once it ends.
   */
  write(text: string): void {
    if (!text) return;
    if (this.tty && !this.midLine) this.erase();
    this.out.write(text);
    this.midLine = !text.endsWith("\n");
    if (this.tty && !this.midLine) this.redraw();
  }

  /** Prints a message on stderr (above the bars). */
  message(text: string): void {
    this.endLine();
    if (this.tty) this.erase();
    this.stream.write(`${text}\n`);
    if (this.tty) this.redraw();
  }

  /** A line left unfinished on stdout is ended before anything else is printed (on a terminal it would be run into). */
  private endLine(): void {
    if (!this.midLine) return;
    this.out.write("\n");
    this.midLine = false;
  }

  private tick(): void {
    if (this.tty) this.redraw();
    else if (this.now() - this.lastPlain >= this.plainIntervalMs) this.plain();
  }

  private rate(): number {
    const minutes = (this.now() - this.startedAt) / 60_000;
    const session = this.languages.reduce((sum, l) => sum + l.session, 0);
    return minutes > 0 ? session / minutes : 0;
  }

  private eta(lang: LanguageProgress): string {
    const remaining = Math.max(0, lang.planned - lang.done);
    if (remaining === 0) return "done";
    const minutes = (this.now() - this.startedAt) / 60_000;
    const rate = minutes > 0 ? lang.session / minutes : 0;
    return rate > 0 ? formatDuration((remaining / rate) * 60) : "?";
  }

  /** The bar lines (exposed for tests). */
  lines(): string[] {
    const width = Math.max(...this.languages.map((l) => l.language.length), 4);
    const total = this.languages.reduce((acc, l) => ({ done: acc.done + l.done, planned: acc.planned + l.planned }), {
      done: 0,
      planned: 0,
    });
    const header = `${total.done}/${total.planned} dialogues · ${this.inFlight} in flight · ${this.rate().toFixed(1)}/min · ${formatDuration((this.now() - this.startedAt) / 1000)}${this.note ? ` · ${this.note}` : ""}`;
    const rows = this.languages.map((l) => {
      const ratio = l.planned ? Math.min(1, l.done / l.planned) : 1;
      const filled = Math.round(ratio * BAR_WIDTH);
      const bar = `${"█".repeat(filled)}${"░".repeat(BAR_WIDTH - filled)}`;
      const minutes = (this.now() - this.startedAt) / 60_000;
      const rate = minutes > 0 ? l.session / minutes : 0;
      return `${l.language.padEnd(width)} ${bar} ${String(l.done).padStart(String(l.planned).length)}/${l.planned}  ✓ ${l.accepted}  ✗ ${l.rejected}  ${rate.toFixed(1)}/min  ETA ${this.eta(l)}  ${formatCount(l.tokens)} tok`;
    });
    return [header, ...rows];
  }

  private erase(): void {
    if (this.drawn > 0) this.stream.write(`\x1b[${this.drawn}F\x1b[J`);
    this.drawn = 0;
  }

  private redraw(): void {
    if (this.midLine) return;
    const columns = this.stream.columns || 120;
    const lines = this.lines().map((line) => (line.length >= columns ? `${line.slice(0, columns - 2)}…` : line));
    const up = this.drawn > 0 ? `\x1b[${this.drawn}F` : "";
    this.stream.write(`${up}${lines.map((line) => `\x1b[2K${line}`).join("\n")}\n\x1b[J`);
    this.drawn = lines.length;
  }

  /** One plain line (non-TTY mode), when anything changed since the last one. */
  private plain(force = false): void {
    const parts = this.languages.map(
      (l) =>
        `${l.language} ${l.done}/${l.planned} (${l.accepted} accepted, ${l.rejected} rejected, ETA ${this.eta(l)})`,
    );
    const tokens = this.languages.reduce((sum, l) => sum + l.tokens, 0);
    const body = `${parts.join(" · ")} · ${this.rate().toFixed(1)}/min · ${formatCount(tokens)} tokens${this.note ? ` · ${this.note}` : ""}`;
    this.lastPlain = this.now();
    if (!force && body === this.lastPlainText) return;
    this.lastPlainText = body;
    this.stream.write(`[progress ${formatDuration((this.now() - this.startedAt) / 1000)}] ${body}\n`);
  }

  /** Final state: the bars stay on screen (TTY), or one last plain line. */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.endLine();
    if (this.tty) {
      this.redraw();
      this.drawn = 0;
    } else {
      // the final state, unless the last line already said exactly that
      this.plain(this.lastPlainText === "");
    }
  }
}
