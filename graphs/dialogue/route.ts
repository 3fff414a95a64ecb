import { Runnable, type RunnableConfig } from "@langchain/core/runnables";

/**
 * A conditional edge's decision, called as it is. Given a plain function, LangGraph wraps it in a RunnableLambda,
 * and every call of a route (one per graph step) then goes through @langchain/core's run machinery: a callback
 * manager built from the environment, a run id, a config merged and put into the async context, and an untitled
 * "RunnableLambda" run in the trace. A route is a pure function of the state (and the run's settings), and which
 * node it chose is already in the trace as the next node's run, so this Runnable just calls it.
 */
export class Route<State, Choice> extends Runnable<State, Choice> {
  lc_namespace = ["polyglot_personachat", "graph"];

  constructor(private readonly decide: (state: State, config?: RunnableConfig) => Choice) {
    super();
    this.name = decide.name;
  }

  override async invoke(state: State, config?: RunnableConfig): Promise<Choice> {
    return this.decide(state, config);
  }
}

/** A route for addConditionalEdges (see Route). */
export const route = <State, Choice>(decide: (state: State, config?: RunnableConfig) => Choice) => new Route(decide);
