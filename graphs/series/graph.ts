import { createHash } from "node:crypto";
import type { RunnableConfig } from "@langchain/core/runnables";
import { type BaseCheckpointSaver, END, type Runtime, START, StateGraph } from "@langchain/langgraph";
import { writeMemory } from "../../nodes/write-memory.js";
import { createRng, hashSeed } from "../../lib/random.js";
import {
  addUsage,
  type DialogueRecord,
  parseDialogueRecord,
  type RejectionReason,
  type SeriesSession,
} from "../../lib/records/schema.js";
import { loadSpeechEvents } from "../../lib/speech-events.js";
import { installUntracedRunContext } from "../../lib/untraced-context.js";
import { type DialogueContext, DialogueContextSchema } from "../../nodes/configuration.js";
import { type DialogueRunOptions, runDialogue } from "../dialogue/graph.js";
import { type DialogueEvent, dialogueEvents, WATCHED_STREAM_MODES } from "../../nodes/events.js";
import { drawGap, pickEventAfterGap } from "../../nodes/series-gap.js";
import type { SessionHistory } from "../../nodes/series-history.js";
import { seriesPrompts } from "../../nodes/series-render.js";
import {
  type SeriesInput,
  SeriesInputSchema,
  type SeriesState,
  SeriesStateAnnotation,
  SeriesStateSchema,
  type SeriesUpdate,
} from "../../nodes/series-state.js";

/**
 * A multi-session series: the same two people meet again, session after session.
 *
 *   planSession → runSession → writeMemory → planSession → … → finalizeSeries
 *
 * planSession draws the time since the last session (hours to months, gap.ts) and a speech event that fits it;
 * runSession runs the whole dialogue graph as the session's subgraph, with the speakers' memories and grown
 * personas as its history; writeMemory has each speaker remember the session (its own prompt, prompts/series/).
 * A rejected session or a failed memory ends the series, rejected with the reason. Each node is one LangGraph
 * step, so with a checkpointer the series is saved after every session: it can be paused, resumed where it
 * stopped (a crash in session 3 resumes at session 3), and inspected session by session in Studio.
 */

/** The next session: the first keeps the series' seed and the requested speech event; a later one draws its gap and event. */
export function planSession(state: SeriesState): SeriesUpdate {
  const session = state.written.length + 1;
  const startedAt = state.startedAt || Date.now();
  if (session === 1) {
    return {
      startedAt,
      next: {
        session,
        gap: null,
        seed: state.seed,
        ...(state.speechEventId ? { speechEventId: state.speechEventId } : {}),
      },
    };
  }
  const rng = createRng(hashSeed(state.seed, state.language, state.index, "series", session));
  const gap = drawGap(rng);
  const event = pickEventAfterGap(gap, loadSpeechEvents(), rng, state.written.at(-1)?.record.speech_event.id);
  return { startedAt, next: { session, gap, seed: hashSeed(state.seed, "session", session), speechEventId: event.id } };
}

/** What the next session's dialogue knows of the earlier ones. */
export function historyFor(state: SeriesState): SessionHistory | null {
  const next = state.next;
  if (!next?.gap) return null;
  return {
    session: next.session,
    gap: next.gap,
    earlierEvents: state.written.map((w) => w.record.speech_event.name),
    personas: state.personas,
    memories: state.memories,
  };
}

/** One session: the dialogue graph, run as this step's subgraph (it shares the series' checkpointer, under this node). */
async function runSession(state: SeriesState, runtime: Runtime<DialogueContext>): Promise<SeriesUpdate> {
  const next = state.next;
  if (!next) throw new Error("runSession runs after planSession");
  const history = historyFor(state);
  const dialogue = await runDialogue(
    {
      language: state.language,
      seed: next.seed,
      index: state.index,
      ...(state.sourcePersonas ? { sourcePersonas: state.sourcePersonas } : {}),
      ...(next.speechEventId ? { speechEventId: next.speechEventId } : {}),
      ...(history ? { history } : {}),
    },
    runtime.context ?? {},
    // a node called directly, outside a run, has no signal, whatever the type says
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition
    { ...(runtime.signal ? { signal: runtime.signal } : {}) },
  );
  if (!dialogue.record) throw new Error(`session ${next.session} ended without a record`);
  return {
    next: null,
    written: [
      ...state.written,
      { session: next.session, gap: next.gap, record: dialogue.record, critique: dialogue.critique, memory: [] },
    ],
    personas: state.personas.length ? state.personas : dialogue.record.personas,
  };
}

const sessionRejected = (state: SeriesState) => state.written.at(-1)?.record.status === "rejected";

export function routeAfterSession(state: SeriesState): "memory" | "end" {
  return sessionRejected(state) ? "end" : "memory";
}

export function routeAfterMemory(state: SeriesState): "nextSession" | "end" {
  if (state.rejectionReasons.length > 0) return "end";
  return state.written.length < state.sessions ? "nextSession" : "end";
}

/** The hash of every prompt a series used: the variant's (in each session's record) and the series' own. */
export function seriesPromptHash(variantHash: string): string {
  return createHash("sha256").update(`${variantHash}\0${seriesPrompts().hash}`).digest("hex").slice(0, 12);
}

/**
 * The series' record: one record with every session in `sessions[]`. Its top-level speech event, common ground,
 * personas, turns and critique are the first session's, so tools that read single dialogues see the first meeting;
 * its provenance counts every call of every session and of the memory. Rejected when a session or a memory was,
 * with each reason tagged with its session.
 */
export function finalizeSeries(state: SeriesState): SeriesUpdate {
  const first = state.written[0]?.record;
  if (!first) throw new Error("finalizeSeries runs after the first session");
  const sessions: SeriesSession[] = state.written.map((w) => ({
    session: w.session,
    gap: w.gap,
    status: w.record.status,
    speech_event: w.record.speech_event,
    common_ground: w.record.common_ground,
    personas: w.record.personas,
    turns: w.record.turns,
    critique: w.critique,
    memory: w.memory,
  }));
  const reasons: RejectionReason[] = [
    ...state.written.flatMap((w) => w.record.rejection_reasons.map((reason) => ({ ...reason, session: w.session }))),
    ...state.rejectionReasons,
  ];
  const failedSession = state.written.find((w) => w.record.failed_attempt);
  const failedAttempt =
    state.failedAttempt ??
    (failedSession ? { ...failedSession.record.failed_attempt!, session: failedSession.session } : null);
  const rejected = reasons.length > 0;
  const provenance = {
    ...first.provenance,
    prompt_hash: seriesPromptHash(first.provenance.prompt_hash),
    seed: state.seed,
    attempts: state.written.reduce((sum, w) => sum + w.record.provenance.attempts, state.attempts),
    usage: state.written.reduce((sum, w) => addUsage(sum, w.record.provenance.usage), state.usage),
    created_at: new Date().toISOString(),
    duration_ms: state.startedAt ? Date.now() - state.startedAt : 0,
  };
  const { failed_attempt: _ignored, ...firstFields } = first;
  const record: DialogueRecord = parseDialogueRecord({
    ...firstFields,
    status: rejected ? "rejected" : "accepted",
    rejection_reasons: reasons,
    ...(rejected && failedAttempt ? { failed_attempt: failedAttempt } : {}),
    provenance,
    sessions,
  });
  return { record };
}

export const seriesBuilder = new StateGraph({
  state: SeriesStateAnnotation,
  input: SeriesInputSchema,
  output: SeriesStateSchema,
  context: DialogueContextSchema,
})
  .addNode("planSession", planSession)
  .addNode("runSession", runSession)
  .addNode("writeMemory", writeMemory)
  .addNode("finalizeSeries", finalizeSeries)
  .addEdge(START, "planSession")
  .addEdge("planSession", "runSession")
  .addConditionalEdges("runSession", routeAfterSession, { memory: "writeMemory", end: "finalizeSeries" })
  .addConditionalEdges("writeMemory", routeAfterMemory, { nextSession: "planSession", end: "finalizeSeries" })
  .addEdge("finalizeSeries", END);

/** Steps of a series of `sessions` sessions: three per session (plan, dialogue, memory), the record, LangGraph's last. */
export function seriesStepBudget(sessions: number): number {
  return sessions * 3 + 2;
}

/** Compiled with a checkpointer when the caller keeps the series' progress (tests, the CLI); Studio's server brings its own. */
export function compileSeries(checkpointer?: BaseCheckpointSaver) {
  const compiled = seriesBuilder.compile(checkpointer ? { checkpointer } : {});
  compiled.name = "polyglot-personachat-series";
  return compiled;
}

export const seriesGraph = compileSeries().withConfig({ recursionLimit: seriesStepBudget(8) });

export type SeriesRunOptions = DialogueRunOptions & {
  /** keeps the series' progress after every step; with `threadId`, a series run again resumes where it stopped */
  checkpointer?: BaseCheckpointSaver;
  threadId?: string;
};

/**
 * Runs one series to its record. With a checkpointer and a thread id, a series that has a saved state on that
 * thread (an earlier run that stopped: crash, abort) resumes from its last saved step instead of starting over.
 */
export async function runSeries(
  input: SeriesInput,
  context: DialogueContext,
  options: SeriesRunOptions = {},
  /** sees the series as it is written: each session's dialogue events (events.ts), and a "session" event between */
  watch?: (event: DialogueEvent) => void,
): Promise<SeriesState> {
  installUntracedRunContext(); // as runDialogue does, for the series' own steps too
  const { checkpointer, threadId, ...rest } = options;
  const sessions = input.sessions ?? 3;
  const graph = compileSeries(checkpointer);
  const config: RunnableConfig = {
    ...rest,
    recursionLimit: rest.recursionLimit ?? seriesStepBudget(sessions),
    ...(checkpointer
      ? { configurable: { thread_id: threadId ?? `${input.language}-${input.seed ?? 1}-${input.index ?? 0}` } }
      : {}),
  };
  let start: SeriesInput | null = input;
  if (checkpointer) {
    const saved = await graph.getState(config);
    if (saved.next.length > 0)
      start = null; // a series that stopped part-way: go on from its last step
    else if (saved.values && (saved.values as SeriesState).record) return saved.values as SeriesState;
  }
  if (!watch) return (await graph.invoke(start, { ...config, context: context as never })) as SeriesState;
  // watched: the series' own updates and, from the subgraphs (each session's dialogue graph, run inside runSession),
  // the dialogue's stream modes, which the live view reads as it does a single dialogue's
  const stream = await graph.stream(start, {
    ...config,
    context: context as never,
    streamMode: [...WATCHED_STREAM_MODES],
    subgraphs: true,
  });
  let last: SeriesState | undefined;
  for await (const chunk of stream) {
    const [namespace, mode, payload] = chunk as unknown as [string[], string, unknown];
    if (namespace.length > 0) {
      if (mode !== "values") for (const event of dialogueEvents([mode, payload])) watch(event);
    } else if (mode === "values") last = payload as SeriesState;
    else if (mode === "updates") {
      const planned = (payload as { planSession?: SeriesUpdate }).planSession?.next;
      if (planned?.gap) watch({ event: "session", session: planned.session, gap: planned.gap });
    }
  }
  if (!last) throw new Error("the series graph ended without a state");
  return last;
}
