import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { compileSeries, runSeries } from "../../graphs/series/graph.js";
import { DialogueRecordSchema } from "../../lib/records/schema.js";
import { ENGLISH_SOURCE_PERSONAS } from "../../testing/spanish-script.js";
import { scriptedMemoryOf, seriesModel } from "../../testing/series-script.js";
import { NodeSqliteSaver } from "./checkpoints.js";

const INPUT = {
  language: "es",
  seed: 7,
  index: 0,
  sourcePersonas: ENGLISH_SOURCE_PERSONAS,
  speechEventId: "getting_to_know_someone",
  sessions: 3,
};
const context = (model: ReturnType<typeof seriesModel>) => ({ chatModel: model, turnsMin: 4, turnsMax: 4 });

describe("NodeSqliteSaver (LangGraph checkpointer on node:sqlite)", () => {
  it("keeps a series that stopped in session 3 on disk; another process's saver resumes it at session 3", async () => {
    const path = join(mkdtempSync(join(tmpdir(), "checkpoints-")), "run.jsonl.series.sqlite");
    const failing = seriesModel({
      beforeSession: (session) => {
        if (session === 3) throw new Error("connect ECONNREFUSED 127.0.0.1:8080");
      },
    });
    const first = new NodeSqliteSaver(path);
    await expect(runSeries(INPUT, context(failing), { checkpointer: first, threadId: "es-7-00000" })).rejects.toThrow(
      /ECONNREFUSED/,
    );
    first.close();

    // a new saver on the same file, as a rerun of the command opens it: the state is there, session 3 next
    const saver = new NodeSqliteSaver(path);
    expect(saver.threads()).toEqual(["es-7-00000"]);
    const saved = await compileSeries(saver).getState({ configurable: { thread_id: "es-7-00000" } });
    expect(saved.next).toEqual(["runSession"]);
    expect((saved.values as { written: unknown[] }).written).toHaveLength(2);
    // the history walks back from the last checkpoint through its parents, newest first, as LangGraph lists it
    const history = [];
    for await (const snapshot of compileSeries(saver).getStateHistory({ configurable: { thread_id: "es-7-00000" } }))
      history.push(snapshot);
    expect(history.length).toBeGreaterThan(6);
    for (const [i, snapshot] of history.slice(0, -1).entries())
      expect(snapshot.parentConfig?.configurable?.checkpoint_id).toBe(
        history[i + 1]!.config.configurable?.checkpoint_id,
      );
    const limited = [];
    for await (const tuple of saver.list(
      { configurable: { thread_id: "es-7-00000", checkpoint_ns: "" } },
      { limit: 2 },
    ))
      limited.push(tuple.config.configurable?.checkpoint_id);
    expect(limited).toEqual(history.slice(0, 2).map((s) => s.config.configurable?.checkpoint_id));

    const resumed = seriesModel({ sessionsBefore: 2 });
    const state = await runSeries(INPUT, context(resumed), { checkpointer: saver, threadId: "es-7-00000" });
    const record = DialogueRecordSchema.parse(state.record);
    expect(record.status).toBe("accepted");
    expect(record.sessions!.map((s) => s.session)).toEqual([1, 2, 3]);
    // sessions 1 and 2 came from the file: no persona, one common ground, session 3's two memories
    expect(resumed.callsFor("persona")).toHaveLength(0);
    expect(resumed.callsFor("common_ground")).toHaveLength(1);
    expect(resumed.callsFor("memory")).toHaveLength(2);
    expect(resumed.callsFor("turn")[0]!.messages[0]!.text).toContain(scriptedMemoryOf("A", 2).summary);

    // once the record is kept elsewhere, the thread goes
    await saver.deleteThread("es-7-00000");
    expect(saver.threads()).toEqual([]);
    expect(await saver.getTuple({ configurable: { thread_id: "es-7-00000" } })).toBeUndefined();
    saver.close();
  });
});
