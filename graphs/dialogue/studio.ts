import { loadProviders, PROVIDERS } from "../../lib/models/factory.js";
import { installUntracedRunContext } from "../../lib/untraced-context.js";

/**
 * The dialogue graph as LangGraph's dev server (`npm run studio`, langgraph.json) loads it: this module is the
 * server's entry, and sets up its process as a run of the CLI is set up. (The server's node flags are seen to by
 * scripts/studio-server-setup.ts, which `npm run studio` loads into the processes it starts.)
 */

// Studio picks the provider per run (the context's provider field): every provider's SDK is loaded up front
await loadProviders(...PROVIDERS);
// Studio runs the compiled graph, not runDialogue, which installs this: untraced runs skip @langchain/core's
// placeholder RunTree per runnable call (lib/untraced-context.ts)
installUntracedRunContext();

export { graph } from "./graph.js";
