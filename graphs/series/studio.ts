// The series graph as LangGraph's dev server (`npm run studio`, langgraph.json) loads it: the dialogue graph's
// Studio set-up (every provider loaded, the untraced run context installed) comes first.
import "../dialogue/studio.js";

export { seriesGraph as graph } from "./graph.js";
