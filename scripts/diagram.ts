/**
 * `npm run graph:diagram`: draws the dialogue graph as Mermaid (offline, from the compiled graph), writes it to
 * docs/graph.mmd and prints it. Paste it into README.md's ```mermaid block under "## The graph" (a unit test
 * checks that both are current).
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { dialogueMermaid } from "../graphs/dialogue/diagram.js";

const root = fileURLToPath(new URL("..", import.meta.url));
const out = join(root, "docs", "graph.mmd");
const mermaid = await dialogueMermaid();
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, mermaid);
process.stdout.write(mermaid);
console.error(`→ docs/graph.mmd; paste it into README.md under "## The graph" as a \`\`\`mermaid block`);
