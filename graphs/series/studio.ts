// The series graph as LangGraph's dev server (`npm run studio`, langgraph.json) loads it: the dialogue graph's
// Studio set-up (server preload dropped from forked children, every provider loaded) comes first.
import "../dialogue/studio.js";

export { seriesGraph as graph } from "./graph.js";
