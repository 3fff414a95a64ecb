import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { DatabaseSync, type SQLInputValue } from "node:sqlite";
import type { RunnableConfig } from "@langchain/core/runnables";
import {
  BaseCheckpointSaver,
  type ChannelVersions,
  type Checkpoint,
  type CheckpointListOptions,
  type CheckpointMetadata,
  type CheckpointTuple,
  copyCheckpoint,
  type PendingWrite,
  type SerializerProtocol,
  WRITES_IDX_MAP,
} from "@langchain/langgraph-checkpoint";

/**
 * A LangGraph checkpointer in an SQLite file, on Node's built-in `node:sqlite` (Node ≥ 22.13, which the project
 * requires). It keeps the tables and semantics of LangGraph's own SQLite checkpointer
 * (@langchain/langgraph-checkpoint-sqlite's SqliteSaver: `checkpoints` and `writes`, the same keys, OR REPLACE for
 * the special writes and OR IGNORE for the rest), so a file written here opens there too. That package is not used
 * because its binding, better-sqlite3, is a native addon: its install downloads a prebuilt binary or compiles
 * SQLite with node-gyp against the Node headers it finds, which fails or builds against the wrong Node on a machine
 * without those (a fresh CI box, an offline one); node:sqlite ships with Node.
 *
 * The command line keeps a series' progress here (`<journal>.series.sqlite`), one thread per series id, so a run
 * killed in the middle of a series resumes it at the step it reached; the thread is deleted once the series' record
 * is in the journal.
 */
export class NodeSqliteSaver extends BaseCheckpointSaver {
  private readonly db: DatabaseSync;

  constructor(
    readonly path: string,
    serde?: SerializerProtocol,
  ) {
    super(serde);
    if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
    this.db = new DatabaseSync(path);
    this.db.exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=5000;");
    this.db.exec(`
CREATE TABLE IF NOT EXISTS checkpoints (
  thread_id TEXT NOT NULL,
  checkpoint_ns TEXT NOT NULL DEFAULT '',
  checkpoint_id TEXT NOT NULL,
  parent_checkpoint_id TEXT,
  type TEXT,
  checkpoint BLOB,
  metadata BLOB,
  PRIMARY KEY (thread_id, checkpoint_ns, checkpoint_id)
);
CREATE TABLE IF NOT EXISTS writes (
  thread_id TEXT NOT NULL,
  checkpoint_ns TEXT NOT NULL DEFAULT '',
  checkpoint_id TEXT NOT NULL,
  task_id TEXT NOT NULL,
  idx INTEGER NOT NULL,
  channel TEXT NOT NULL,
  type TEXT,
  value BLOB,
  PRIMARY KEY (thread_id, checkpoint_ns, checkpoint_id, task_id, idx)
);`);
  }

  /** The thread ids that have a saved checkpoint (series that stopped part-way). */
  threads(): string[] {
    const rows = this.db.prepare("SELECT DISTINCT thread_id FROM checkpoints ORDER BY thread_id").all();
    return (rows as unknown as Pick<CheckpointRow, "thread_id">[]).map((row) => row.thread_id);
  }

  close(): void {
    if (this.db.isOpen) this.db.close();
  }

  private async tuple(row: CheckpointRow): Promise<CheckpointTuple> {
    const { thread_id, checkpoint_ns, checkpoint_id } = row;
    const writes = this.db
      .prepare(
        "SELECT task_id, channel, type, value FROM writes WHERE thread_id = ? AND checkpoint_ns = ? AND checkpoint_id = ? ORDER BY task_id, idx",
      )
      .all(thread_id, checkpoint_ns, checkpoint_id) as unknown as WriteRow[];
    const pendingWrites = await Promise.all(
      writes.map(
        async (write) =>
          [write.task_id, write.channel, await this.serde.loadsTyped(write.type ?? "json", bytes(write.value))] as [
            string,
            string,
            unknown,
          ],
      ),
    );
    const type = row.type ?? "json";
    const parent = row.parent_checkpoint_id ?? undefined;
    return {
      config: { configurable: { thread_id, checkpoint_ns, checkpoint_id } },
      checkpoint: (await this.serde.loadsTyped(type, bytes(row.checkpoint))) as Checkpoint,
      metadata: (await this.serde.loadsTyped(type, bytes(row.metadata))) as CheckpointMetadata,
      ...(parent ? { parentConfig: { configurable: { thread_id, checkpoint_ns, checkpoint_id: parent } } } : {}),
      pendingWrites,
    };
  }

  override async getTuple(config: RunnableConfig): Promise<CheckpointTuple | undefined> {
    const { thread_id, checkpoint_ns = "", checkpoint_id } = (config.configurable ?? {}) as Configurable;
    if (thread_id === undefined) return undefined;
    const row = (checkpoint_id
      ? this.db
          .prepare("SELECT * FROM checkpoints WHERE thread_id = ? AND checkpoint_ns = ? AND checkpoint_id = ?")
          .get(String(thread_id), checkpoint_ns, checkpoint_id)
      : this.db
          .prepare(
            "SELECT * FROM checkpoints WHERE thread_id = ? AND checkpoint_ns = ? ORDER BY checkpoint_id DESC LIMIT 1",
          )
          .get(String(thread_id), checkpoint_ns)) as unknown as CheckpointRow | undefined;
    return row ? this.tuple(row) : undefined;
  }

  override async *list(config: RunnableConfig, options?: CheckpointListOptions): AsyncGenerator<CheckpointTuple> {
    const { thread_id, checkpoint_ns } = (config.configurable ?? {}) as Configurable;
    const where: string[] = [];
    const args: SQLInputValue[] = [];
    if (thread_id !== undefined) {
      where.push("thread_id = ?");
      args.push(String(thread_id));
    }
    if (checkpoint_ns !== undefined) {
      where.push("checkpoint_ns = ?");
      args.push(checkpoint_ns);
    }
    const before = (options?.before?.configurable as Configurable | undefined)?.checkpoint_id;
    if (before !== undefined) {
      where.push("checkpoint_id < ?");
      args.push(before);
    }
    const sql = `SELECT * FROM checkpoints${where.length ? ` WHERE ${where.join(" AND ")}` : ""} ORDER BY checkpoint_id DESC`;
    const filter = Object.entries(options?.filter ?? {}).filter(([, value]) => value !== undefined);
    let left = options?.limit ?? Infinity;
    for (const row of this.db.prepare(sql).all(...args) as unknown as CheckpointRow[]) {
      if (left <= 0) return;
      const tuple = await this.tuple(row);
      const metadata = tuple.metadata as Record<string, unknown> | undefined;
      if (!filter.every(([key, value]) => JSON.stringify(metadata?.[key]) === JSON.stringify(value))) continue;
      left--;
      yield tuple;
    }
  }

  override async put(
    config: RunnableConfig,
    checkpoint: Checkpoint,
    metadata: CheckpointMetadata,
    _newVersions: ChannelVersions,
  ): Promise<RunnableConfig> {
    const { thread_id, checkpoint_ns = "", checkpoint_id: parent } = (config.configurable ?? {}) as Configurable;
    if (thread_id === undefined) throw new Error('Missing "thread_id" field in passed "config.configurable".');
    const [[type, serialized], [metadataType, serializedMetadata]] = await Promise.all([
      this.serde.dumpsTyped(copyCheckpoint(checkpoint)),
      this.serde.dumpsTyped(metadata),
    ]);
    if (type !== metadataType) throw new Error("Failed to serialize checkpoint and metadata to the same type.");
    this.db
      .prepare(
        "INSERT OR REPLACE INTO checkpoints (thread_id, checkpoint_ns, checkpoint_id, parent_checkpoint_id, type, checkpoint, metadata) VALUES (?, ?, ?, ?, ?, ?, ?)",
      )
      .run(String(thread_id), checkpoint_ns, checkpoint.id, parent ?? null, type, serialized, serializedMetadata);
    return { configurable: { thread_id, checkpoint_ns, checkpoint_id: checkpoint.id } };
  }

  override async putWrites(config: RunnableConfig, writes: PendingWrite[], taskId: string): Promise<void> {
    const { thread_id, checkpoint_ns = "", checkpoint_id } = (config.configurable ?? {}) as Configurable;
    if (thread_id === undefined) throw new Error("Missing thread_id field in config.configurable.");
    if (checkpoint_id === undefined) throw new Error("Missing checkpoint_id field in config.configurable.");
    const special = writes.every(([channel]) => channel in WRITES_IDX_MAP);
    const rows = await Promise.all(
      writes.map(async ([channel, value], idx) => {
        const [type, serialized] = await this.serde.dumpsTyped(value);
        return [
          String(thread_id),
          checkpoint_ns,
          checkpoint_id,
          taskId,
          WRITES_IDX_MAP[channel] ?? idx,
          channel,
          type,
          serialized,
        ] as SQLInputValue[];
      }),
    );
    const insert = this.db.prepare(
      `INSERT ${special ? "OR REPLACE" : "OR IGNORE"} INTO writes (thread_id, checkpoint_ns, checkpoint_id, task_id, idx, channel, type, value) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.transaction(() => {
      for (const row of rows) insert.run(...row);
    });
  }

  override async deleteThread(threadId: string): Promise<void> {
    this.transaction(() => {
      this.db.prepare("DELETE FROM checkpoints WHERE thread_id = ?").run(threadId);
      this.db.prepare("DELETE FROM writes WHERE thread_id = ?").run(threadId);
    });
  }

  private transaction(body: () => void): void {
    this.db.exec("BEGIN");
    try {
      body();
      this.db.exec("COMMIT");
    } catch (error) {
      this.db.exec("ROLLBACK");
      throw error;
    }
  }
}

/** A row of `checkpoints` as node:sqlite returns it (BLOBs as Uint8Array). */
interface CheckpointRow {
  thread_id: string;
  checkpoint_ns: string;
  checkpoint_id: string;
  parent_checkpoint_id: string | null;
  type: string | null;
  checkpoint: Uint8Array | string;
  metadata: Uint8Array | string;
}
/** A row of `writes`. */
interface WriteRow {
  task_id: string;
  channel: string;
  type: string | null;
  value: Uint8Array | string | null;
}
interface Configurable {
  thread_id?: string | number;
  checkpoint_ns?: string;
  checkpoint_id?: string;
}

/** A BLOB as node:sqlite returns it (Uint8Array), or text written by another writer. */
function bytes(value: Uint8Array | string | null): Uint8Array | string {
  return value ?? "";
}

/** Where the command line keeps the progress of the series of a journal. */
export function seriesCheckpointPath(journal: string): string {
  return `${journal}.series.sqlite`;
}
