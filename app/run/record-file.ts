import {
  closeSync,
  constants,
  fstatSync,
  fsync,
  fsyncSync,
  ftruncateSync,
  openSync,
  readFileSync,
  write,
  writeSync,
} from "node:fs";
import { promisify } from "node:util";
import { checkedRecord, type DialogueRecord, DialogueRecordSchema, formatZodError } from "../../lib/records/schema.js";

/** An output file that is not ours to append to: one line for the user. */
export class RecordFileError extends Error {
  override name = "RecordFileError";
}

/** read-write, appending, created when missing — and never through a symbolic link at the path itself */
// O_NOFOLLOW is undefined on Windows, whatever the typings say
// eslint-disable-next-line @typescript-eslint/no-unnecessary-condition
const JOURNAL_FLAGS = constants.O_RDWR | constants.O_APPEND | constants.O_CREAT | (constants.O_NOFOLLOW ?? 0);

/**
 * Opens the journal at `path` for reading and appending: the file itself, not what a link planted there points
 * to (O_NOFOLLOW; folders above it may be links), and only a regular file (not a FIFO or a device).
 */
function openJournal(path: string): number {
  let fd: number;
  try {
    fd = openSync(path, JOURNAL_FLAGS, 0o644);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ELOOP") {
      throw new RecordFileError(
        `${path} is a symbolic link: refusing to read or append to what it points to (pass that file's own path)`,
      );
    }
    if (code === "EISDIR") throw new RecordFileError(`${path} is a folder, not an output file`);
    throw error;
  }
  if (!fstatSync(fd).isFile()) {
    closeSync(fd);
    throw new RecordFileError(
      `${path} is not a regular file (a pipe or a device?): refusing to use it as an output file`,
    );
  }
  return fd;
}

/**
 * The JSONL output of a run, safe to kill at any moment: each record is written as one whole line with one
 * write and flushed to disk before it counts; on open, a torn last line (a crash mid-write) is cut off, and
 * the ids already present are known, so a rerun continues where the last one stopped. Reading, repairing and
 * appending all go through one descriptor of the file at the path, opened without following a link there.
 */
export class RecordFile {
  readonly done: Set<string>;

  private constructor(
    readonly path: string,
    private readonly fd: number,
    existing: DialogueRecord[],
  ) {
    this.done = new Set(existing.map((record) => record.id));
  }

  /**
   * Opens `path` for appending (created if missing). Repairs only what a crash leaves: an unterminated last line
   * that is not a record (a torn write) is cut off at its first byte; a whole record that only lacks its newline
   * gets one. A file that is not ours (a line that is not a record, a first line that does not start like one)
   * and a file holding an id twice are refused, and never written to. `notes`: what was repaired, for the user.
   */
  static open(path: string): { file: RecordFile; records: DialogueRecord[]; repaired: boolean; notes: string[] } {
    const fd = openJournal(path);
    try {
      return RecordFile.load(path, fd);
    } catch (error) {
      closeSync(fd);
      throw error;
    }
  }

  private static load(path: string, fd: number): ReturnType<typeof RecordFile.open> {
    const read = readRecords(path, fd);
    const { records } = read;
    const seen = new Map<string, number>();
    records.forEach((record, i) => {
      const first = seen.get(record.id);
      if (first !== undefined) {
        throw new RecordFileError(
          `${path} holds dialogue ${record.id} twice (records ${first + 1} and ${i + 1}): two runs wrote to it at once; keep one of each before resuming`,
        );
      }
      seen.set(record.id, i);
    });
    const notes: string[] = [];
    const repaired = read.validBytes < read.totalBytes;
    if (repaired) {
      ftruncateSync(fd, read.validBytes);
      notes.push(
        `${path}: cut off a torn last line left by an interrupted run (${read.totalBytes - read.validBytes} bytes)`,
      );
    }
    if (read.invalidUtf8Lines.length) {
      notes.push(
        `${path}: record(s) on line ${read.invalidUtf8Lines.slice(0, 5).join(", ")} hold bytes that are not UTF-8 (kept as U+FFFD)`,
      );
    }
    const file = new RecordFile(path, fd, records);
    if (read.unterminated) {
      writeSync(file.fd, "\n");
      fsyncSync(file.fd);
      notes.push(`${path}: added the newline missing after its last record`);
    }
    return { file, records, repaired, notes };
  }

  append(record: DialogueRecord): void {
    const checked = checkedRecord(record);
    if (!checked.success)
      throw new Error(`refusing to write an invalid record ${record.id}: ${formatZodError(checked.error)}`);
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
    const checked = checkedRecord(record);
    if (!checked.success)
      return Promise.reject(
        new Error(`refusing to write an invalid record ${record.id}: ${formatZodError(checked.error)}`),
      );
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
  new Promise<number>((resolve, reject) =>
    write(fd, buffer, offset, length, null, (error, written) => (error ? reject(error) : resolve(written))),
  );
const fsyncAsync = promisify(fsync);

/** How every record line starts (JSON.stringify of a record: `id` is its first key). */
const RECORD_START = Buffer.from('{"id":"');
const NEWLINE = 0x0a;
const utf8 = new TextDecoder("utf-8", { fatal: true });
const utf8Lenient = new TextDecoder("utf-8");

function decodeLine(bytes: Buffer): { text: string; valid: boolean } {
  try {
    return { text: utf8.decode(bytes), valid: true };
  } catch {
    return { text: utf8Lenient.decode(bytes), valid: false };
  }
}

function parseRecord(text: string): { record?: DialogueRecord; problem?: string } {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { problem: "is not JSON" };
  }
  const parsed = DialogueRecordSchema.safeParse(json);
  return parsed.success
    ? { record: parsed.data }
    : { problem: `is not a dialogue record: ${formatZodError(parsed.error)}` };
}

/**
 * Reads the records of a JSONL file, working on bytes (offsets never depend on how the text decodes). Complete
 * lines must be valid records (anything else is an error naming the line: the file is not ours to repair). An
 * unterminated last line that is a valid record is kept (`unterminated`); one that is not is torn, and
 * `validBytes` ends before it — unless it does not start like a record (`{"id":"`): then the file is not
 * ours, and an error. `fd`: read from this freshly opened descriptor of `path` instead of opening it again.
 */
export function readRecords(
  path: string,
  fd?: number,
): {
  records: DialogueRecord[];
  validBytes: number;
  totalBytes: number;
  unterminated: boolean;
  invalidUtf8Lines: number[];
} {
  const buffer = readFileSync(fd ?? path);
  const records: DialogueRecord[] = [];
  const invalidUtf8Lines: number[] = [];
  let start = 0;
  let line = 0;
  while (start < buffer.length) {
    line++;
    const newline = buffer.indexOf(NEWLINE, start);
    const end = newline < 0 ? buffer.length : newline;
    const bytes = buffer.subarray(start, end);
    const { text, valid } = decodeLine(bytes);
    if (text.trim() === "" && newline >= 0) {
      start = end + 1;
      continue;
    }
    const { record, problem } = parseRecord(text);
    if (newline < 0) {
      // the last line has no newline: a whole record, or a write cut short
      if (record) {
        if (!valid) invalidUtf8Lines.push(line);
        records.push(record);
        return { records, validBytes: buffer.length, totalBytes: buffer.length, unterminated: true, invalidUtf8Lines };
      }
      const head = Math.min(RECORD_START.length, bytes.length);
      if (!bytes.subarray(0, head).equals(RECORD_START.subarray(0, head))) {
        throw new RecordFileError(
          `${path} line ${line} is not a dialogue record: is this a polyglot-personachat output file?`,
        );
      }
      return { records, validBytes: start, totalBytes: buffer.length, unterminated: false, invalidUtf8Lines };
    }
    if (!record) {
      throw new RecordFileError(
        problem === "is not JSON"
          ? `${path} line ${line} is not JSON: is this a polyglot-personachat output file?`
          : `${path} line ${line} ${problem}`,
      );
    }
    if (!valid) invalidUtf8Lines.push(line);
    records.push(record);
    start = end + 1;
  }
  return { records, validBytes: buffer.length, totalBytes: buffer.length, unterminated: false, invalidUtf8Lines };
}
