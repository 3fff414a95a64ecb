/**
 * `npm run graph:diagram`: draws the dialogue graph as Mermaid (offline, from the compiled graph), writes it to
 * docs/graph.mmd and prints it. Paste it into README.md's ```mermaid block under "## The graph" (a unit test
 * checks that both are current).
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const USAGE = `Usage: npm run graph:diagram

Draws the dialogue graph as Mermaid (offline, from the compiled graph), writes it to docs/graph.mmd and prints it;
paste it into README.md under "## The graph". Takes no options.`;

let help = false;
try {
  help =
    parseArgs({ args: process.argv.slice(2), strict: true, options: { help: { type: "boolean", short: "h" } } }).values
      .help === true;
} catch (error) {
  console.error(`graph:diagram: ${(error as Error).message.split("\n")[0]} (usage: npm run graph:diagram)`);
  process.exit(2);
}
if (help) {
  console.log(USAGE);
  process.exit(0);
}

const { dialogueMermaid } = await import("../graphs/dialogue/diagram.js");
const root = fileURLToPath(new URL("..", import.meta.url));
const out = join(root, "docs", "graph.mmd");
const mermaid = await dialogueMermaid();
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, mermaid);
process.stdout.write(mermaid);
console.error(`→ docs/graph.mmd; paste it into README.md under "## The graph" as a \`\`\`mermaid block`);
