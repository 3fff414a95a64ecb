import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { DIAGRAM_HEADING, dialogueMermaid, mermaidBlockUnder, normalizeMermaid } from "./diagram.js";

const root = fileURLToPath(new URL("../..", import.meta.url));
const FIX = `run \`npm run graph:diagram\` and paste docs/graph.mmd into README.md as the \`\`\`mermaid block under "${DIAGRAM_HEADING}"`;

describe("the graph diagram", () => {
  it("README.md shows the graph as it is", async () => {
    const readme = join(root, "README.md");
    expect(existsSync(readme), `README.md does not exist: ${FIX}`).toBe(true);
    const block = mermaidBlockUnder(readFileSync(readme, "utf8"));
    expect(block, `README.md has no \`\`\`mermaid block under "${DIAGRAM_HEADING}": ${FIX}`).not.toBeNull();
    expect(normalizeMermaid(block ?? ""), `README.md's graph diagram is out of date: ${FIX}`).toBe(
      normalizeMermaid(await dialogueMermaid()),
    );
  });

  it("docs/graph.mmd is current", async () => {
    const file = join(root, "docs", "graph.mmd");
    expect(existsSync(file), "docs/graph.mmd does not exist: run `npm run graph:diagram`").toBe(true);
    expect(
      normalizeMermaid(readFileSync(file, "utf8")),
      "docs/graph.mmd is out of date: run `npm run graph:diagram`",
    ).toBe(normalizeMermaid(await dialogueMermaid()));
  });

  it("finds the block under its heading only", () => {
    const md = [
      "# T",
      "```mermaid",
      "graph TD;",
      "```",
      DIAGRAM_HEADING,
      "",
      "text",
      "```mermaid",
      "graph TD;\n\ta --> b;  ",
      "```",
      "## Next",
    ].join("\n");
    expect(normalizeMermaid(mermaidBlockUnder(md)!)).toBe("graph TD;\na --> b;");
    // indentation (tabs pasted as spaces) and blank lines do not count
    expect(normalizeMermaid("graph TD;\r\n\n    a --> b;\n")).toBe(normalizeMermaid("graph TD;\n\ta --> b;"));
    expect(mermaidBlockUnder("# T\n```mermaid\ngraph TD;\n```\n")).toBeNull();
    expect(mermaidBlockUnder(`${DIAGRAM_HEADING}\n\n## Other\n\`\`\`mermaid\ngraph TD;\n\`\`\`\n`)).toBeNull();
  });
});
