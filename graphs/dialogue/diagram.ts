import { graph } from "./graph.js";

/** The README section whose ```mermaid block shows the graph. */
export const DIAGRAM_HEADING = "## The graph";

/** The dialogue graph as a Mermaid flowchart (drawn offline from the compiled graph). */
export async function dialogueMermaid(): Promise<string> {
  const text = (await graph.getGraphAsync()).drawMermaid();
  return `${text
    .split("\n")
    .map((line) => line.trimEnd())
    .join("\n")
    .trim()}\n`;
}

/** A diagram as Mermaid reads it, for comparing: indentation, blank lines and line endings do not count. */
export function normalizeMermaid(text: string): string {
  return text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter(Boolean)
    .join("\n");
}

/** The first ```mermaid block under `heading` in a Markdown text, or null. */
export function mermaidBlockUnder(markdown: string, heading = DIAGRAM_HEADING): string | null {
  const lines = markdown.replace(/\r\n/g, "\n").split("\n");
  const start = lines.findIndex((line) => line.trim() === heading);
  if (start < 0) return null;
  const level = heading.match(/^#+/)![0].length;
  const section: string[] = [];
  for (const line of lines.slice(start + 1)) {
    const next = /^(#+)\s/.exec(line);
    if (next && next[1]!.length <= level) break;
    section.push(line);
  }
  const match = /^```mermaid[ \t]*\n([\s\S]*?)^```[ \t]*$/m.exec(section.join("\n"));
  return match ? match[1]! : null;
}
