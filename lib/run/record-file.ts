import { closeSync, existsSync, fsync, fsyncSync, openSync, readFileSync, truncateSync, write, writeSync } from "node:fs";
import { promisify } from "node:util";
import { type DialogueRecord, DialogueRecordSchema, formatZodError } from "../records/schema.js";

/** An output file that is not ours to append to: one line for the user. */
export class RecordFileError extends Error {
  override name = "RecordFileError";
}

/**
 * The JSONL output of a run, safe to kill at any moment: each record is written as one whole line with one
 * write and flushed to disk before it counts; on open, a torn last line (a crash mid-write) is cut off, and
 * the ids already present are known, so a rerun continues where the last one stopped.
 */
export class RecordFile {
  readonly done: Set<string>;
  private readonly fd: number;

  private constructor(
    readonly path: string,
    existing: DialogueRecord[],
  ) {
    this.done = new Set(existing.map((record) => record.id));
    this.fd = openSync(path, "a");
  }

  static open(path: string): { file: RecordFile; records: DialogueRecord[]; repaired: boolean } {
    const { records, validBytes, totalBytes } = existsSync(path) ? readRecords(path) : { records: [], validBytes: 0, totalBytes: 0 };
    const repaired = validBytes < totalBytes;
    if (repaired) truncateSync(path, validBytes);
    return { file: new RecordFile(path, records), records, repaired };
  }

  append(record: DialogueRecord): void {
    const checked = DialogueRecordSchema.safeParse(record);
    if (!checked.success) throw new Error(`refusing to write an invalid record ${record.id}: ${formatZodError(checked.error)}`);
    if (this.done.has(record.id)) return;
    writeSync(this.fd, `${JSON.stringify(checked.data)}\n`);
    fsyncSync(this.fd);
    this.done.add(record.id);
  }

  private queue: Promise<void> = Promise.resolve();
  private readonly writing = new Set<string>();

  /**
   * The same as append(), with the write and the fsync on libuv's thread pool instead of the event loop (a
   * sync fsync takes milliseconds, which every dialogue in flight would wait for). Appends are serialised, so
   * each record is still one whole line; the promise resolves once the line is on disk.
   */
  appendAsync(record: DialogueRecord): Promise<void> {
    const checked = DialogueRecordSchema.safeParse(record);
    if (!checked.success) return Promise.reject(new Error(`refusing to write an invalid record ${record.id}: ${formatZodError(checked.error)}`));
    if (this.done.has(record.id) || this.writing.has(record.id)) return this.queue;
    this.writing.add(record.id);
    const line = Buffer.from(`${JSON.stringify(checked.data)}\n`);
    const next = this.queue.then(async () => {
      try {
        let offset = 0;
        while (offset < line.length) offset += await writeAsync(this.fd, line, offset, line.length - offset);
        await fsyncAsync(this.fd);
        this.done.add(record.id);
      } finally {
        this.writing.delete(record.id);
      }
    });
    this.queue = next.catch(() => undefined);
    return next;
  }

  /** Waits for the appends in progress, then closes the file. */
  async closeAsync(): Promise<void> {
    await this.queue;
    this.close();
  }

  close(): void {
    closeSync(this.fd);
  }
}

const writeAsync = (fd: number, buffer: Buffer, offset: number, length: number) =>
  new Promise<number>((resolve, reject) => write(fd, buffer, offset, length, null, (error, written) => (error ? reject(error) : resolve(written))));
const fsyncAsync = promisify(fsync);

/**
 * Reads the records of a JSONL file. Complete lines must be valid records (anything else is an error naming
 * the line: the file is not ours to repair); only an unterminated last line is treated as torn.
 */
export function readRecords(path: string): { records: DialogueRecord[]; validBytes: number; totalBytes: number } {
  const buffer = readFileSync(path);
  const text = buffer.toString("utf8");
  const end = text.lastIndexOf("\n") + 1;
  const records: DialogueRecord[] = [];
  const lines = text.slice(0, end).split("\n");
  lines.pop();
  lines.forEach((line, i) => {
    if (line.trim() === "") return;
    let json: unknown;
    try {
      json = JSON.parse(line);
    } catch {
      throw new RecordFileError(`${path} line ${i + 1} is not JSON: is this a polyglot-personachat output file?`);
    }
    const parsed = DialogueRecordSchema.safeParse(json);
    if (!parsed.success) throw new RecordFileError(`${path} line ${i + 1} is not a dialogue record: ${formatZodError(parsed.error)}`);
    records.push(parsed.data);
  });
  return { records, validBytes: Buffer.byteLength(text.slice(0, end), "utf8"), totalBytes: buffer.length };
}
