import { lstatSync } from "node:fs";
import { UsageError } from "../../app/cli/errors.js";
import type { Rating, RatingInput } from "./study.js";

/**
 * The review's ratings in SQLite (Node's built-in `node:sqlite`, Node ≥ 22.13: no native add-on to build), next
 * to the data (`data.reviews.sqlite`).
 *
 * - WAL journal and `synchronous = FULL`: a rating is on disk when its request is answered, so a killed server
 *   loses nothing it had confirmed; readers (an export, `npm run eval --reviews`) never block the server.
 * - Ratings are only ever inserted, never updated: saving a dialogue again adds a row, and the current rating of
 *   an annotator for a dialogue is their newest row. Two annotators write different rows, so neither can
 *   overwrite the other, and every earlier answer stays in the file.
 * - One study per database: the sample's fingerprint is stored on first use, and opening the database for
 *   another sample is refused (the ratings would no longer match the dialogues).
 */

/** The part of node:sqlite this module uses (typed here so that it builds with any @types/node). */
interface Statement {
  run(...params: (string | number | null)[]): unknown;
  get(...params: (string | number | null)[]): Record<string, unknown> | undefined;
  all(...params: (string | number | null)[]): Record<string, unknown>[];
}
interface Database {
  exec(sql: string): void;
  prepare(sql: string): Statement;
  close(): void;
}
interface SqliteModule {
  DatabaseSync: new (path: string, options?: { readOnly?: boolean }) => Database;
}

/** The database is not usable as asked (not one, another study's, no node:sqlite): the user's to fix. */
export class ReviewStoreError extends UsageError {
  override name = "ReviewStoreError";
}

async function loadSqlite(): Promise<SqliteModule> {
  try {
    const specifier = "node:sqlite";
    return (await import(specifier)) as SqliteModule;
  } catch {
    throw new ReviewStoreError(
      `the review database needs Node.js ≥ 22.13 (node:sqlite); this is Node.js ${process.versions.node}`,
    );
  }
}

export interface StudyInfo {
  fingerprint: string;
  source: string;
  seed: number;
  size: number;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS study (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS annotators (name TEXT PRIMARY KEY, created_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS ratings (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  annotator TEXT NOT NULL REFERENCES annotators(name),
  item TEXT NOT NULL,
  persona_faithfulness INTEGER NOT NULL CHECK (persona_faithfulness BETWEEN 1 AND 5),
  speech_event_fit INTEGER NOT NULL CHECK (speech_event_fit BETWEEN 1 AND 5),
  naturalness INTEGER NOT NULL CHECK (naturalness BETWEEN 1 AND 5),
  verdict TEXT NOT NULL CHECK (verdict IN ('accept', 'revise')),
  wrong_turns TEXT NOT NULL,
  comment TEXT NOT NULL,
  created_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS ratings_by_annotator ON ratings (annotator, item, id);
`;

/** The newest row of each (annotator, item). */
const LATEST = `SELECT r.* FROM ratings r
  JOIN (SELECT MAX(id) AS id FROM ratings GROUP BY annotator, item) newest ON newest.id = r.id`;

function toRating(row: Record<string, unknown>): Rating {
  return {
    annotator: String(row.annotator),
    item: String(row.item),
    persona_faithfulness: Number(row.persona_faithfulness),
    speech_event_fit: Number(row.speech_event_fit),
    naturalness: Number(row.naturalness),
    verdict: row.verdict === "accept" ? "accept" : "revise",
    wrong_turns: JSON.parse(String(row.wrong_turns)) as number[],
    comment: String(row.comment),
    created_at: String(row.created_at),
  };
}

/**
 * SQLite opens a path as it finds it, links included (node:sqlite has no O_NOFOLLOW), and writes beside it (-wal,
 * -shm, -journal): a link planted at any of them would have the ratings written, or read, somewhere else. Each
 * that exists must be a regular file, checked just before the open.
 */
function refuseLinks(path: string): void {
  for (const file of [path, `${path}-wal`, `${path}-shm`, `${path}-journal`]) {
    let stat;
    try {
      stat = lstatSync(file);
    } catch {
      continue; // not there (yet): SQLite creates it
    }
    if (stat.isSymbolicLink())
      throw new ReviewStoreError(`${file} is a symbolic link: a review database is opened only as a regular file`);
    if (!stat.isFile()) throw new ReviewStoreError(`${file} is not a regular file`);
  }
}

export class ReviewStore {
  private constructor(private readonly db: Database) {}

  /** Opens (creating it if needed) the database at `path`; `readOnly` for exports and the eval. */
  static async open(path: string, options: { readOnly?: boolean } = {}): Promise<ReviewStore> {
    refuseLinks(path);
    const { DatabaseSync } = await loadSqlite();
    let db: Database;
    try {
      db = new DatabaseSync(path, options.readOnly ? { readOnly: true } : {});
      if (!options.readOnly) {
        db.exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;");
        db.exec(SCHEMA);
      }
      db.exec("PRAGMA busy_timeout = 5000;");
      db.prepare("SELECT COUNT(*) AS n FROM ratings").get();
    } catch (error) {
      throw new ReviewStoreError(`${path} is not a review database: ${(error as Error).message.split("\n")[0]}`);
    }
    return new ReviewStore(db);
  }

  /** Binds the database to a study, or refuses a database made for another sample. */
  bindStudy(study: StudyInfo): void {
    const row = this.db.prepare("SELECT value FROM study WHERE key = 'study'").get();
    if (!row) {
      this.db.prepare("INSERT INTO study (key, value) VALUES ('study', ?)").run(JSON.stringify(study));
      return;
    }
    const existing = JSON.parse(String(row.value)) as StudyInfo;
    if (existing.fingerprint !== study.fingerprint) {
      throw new ReviewStoreError(
        `this review database belongs to another sample (${existing.size} dialogues of ${existing.source}, --seed ${existing.seed}); use the same --sample and --seed, or another --db`,
      );
    }
  }

  study(): StudyInfo | null {
    const row = this.db.prepare("SELECT value FROM study WHERE key = 'study'").get();
    return row ? (JSON.parse(String(row.value)) as StudyInfo) : null;
  }

  signIn(name: string): void {
    this.db
      .prepare("INSERT OR IGNORE INTO annotators (name, created_at) VALUES (?, ?)")
      .run(name, new Date().toISOString());
  }

  save(annotator: string, item: string, input: RatingInput): Rating {
    const rating: Rating = {
      ...input,
      annotator,
      item,
      wrong_turns: [...new Set(input.wrong_turns)].sort((a, b) => a - b),
      created_at: new Date().toISOString(),
    };
    this.db
      .prepare(
        "INSERT INTO ratings (annotator, item, persona_faithfulness, speech_event_fit, naturalness, verdict, wrong_turns, comment, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
      )
      .run(
        annotator,
        item,
        rating.persona_faithfulness,
        rating.speech_event_fit,
        rating.naturalness,
        rating.verdict,
        JSON.stringify(rating.wrong_turns),
        rating.comment,
        rating.created_at,
      );
    return rating;
  }

  /** An annotator's current ratings, by item. */
  ratingsOf(annotator: string): Map<string, Rating> {
    const rows = this.db.prepare(`${LATEST} WHERE r.annotator = ? ORDER BY r.id`).all(annotator);
    return new Map(rows.map((row) => [String(row.item), toRating(row)]));
  }

  /** Every annotator's current rating of every item they rated, oldest first. */
  currentRatings(): Rating[] {
    return this.db.prepare(`${LATEST} ORDER BY r.id`).all().map(toRating);
  }

  /** Rows ever saved (revisions included). */
  savedCount(): number {
    return Number(this.db.prepare("SELECT COUNT(*) AS n FROM ratings").get()?.n ?? 0);
  }

  close(): void {
    this.db.close();
  }
}
