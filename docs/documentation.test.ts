import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import GithubSlugger from "github-slugger";
import { Lexer, type Token, type Tokens, walkTokens } from "marked";
import { describe, expect, it } from "vitest";

/**
 * The documentation's relative links point at files that exist and, for `#anchor`, at a heading the target page
 * has, with anchors made as GitHub makes them (github-slugger: lower case, punctuation dropped, spaces as hyphens,
 * a repeated heading numbered). Links are read by a Markdown lexer (marked), so code blocks and code spans are not
 * links and links inside tables and lists are. The repository paths the text names in code spans
 * (`lib/gates/README.md`, `.ci/run`) exist too, so a moved file cannot leave the documentation behind.
 */

const root = fileURLToPath(new URL("..", import.meta.url));

interface Link {
  href: string;
  line: number;
}

interface Page {
  links: Link[];
  anchors: Set<string>;
  /** code spans that name a file or folder of the repository */
  paths: Link[];
}

/** A path in the repository: under one of its top-level folders, with no placeholder (`<variant>`, `*`, `…`). */
const REPO_PATH = /^(?:\.ci|app|data|docs|evals|graphs|lib|nodes|prompts|scripts|testing)\/[\w./-]*$/;

/** The text a heading renders to: code spans without their backticks, links as their text, HTML tags dropped. */
function plainText(tokens: readonly Token[] | undefined): string {
  return (tokens ?? [])
    .map((token) => {
      if (token.type === "html") return "";
      if ("tokens" in token && token.tokens && token.tokens.length > 0) return plainText(token.tokens);
      return "text" in token && typeof token.text === "string" ? token.text : "";
    })
    .join("");
}

function readPage(markdown: string): Page {
  const tokens = new Lexer().lex(markdown);
  const slugger = new GithubSlugger();
  const anchors = new Set<string>();
  const links: Link[] = [];
  const paths: Link[] = [];
  const lineOf = (raw: string) => {
    const at = markdown.indexOf(raw);
    return at < 0 ? 0 : markdown.slice(0, at).split("\n").length;
  };
  void walkTokens(tokens, (token) => {
    if (token.type === "codespan" && REPO_PATH.test((token as Tokens.Codespan).text)) {
      paths.push({ href: (token as Tokens.Codespan).text, line: lineOf(token.raw) });
    }
    if (token.type === "heading") anchors.add(slugger.slug(plainText((token as Tokens.Heading).tokens)));
    if (token.type === "link" || token.type === "image") {
      const { href, raw } = token as Tokens.Link | Tokens.Image;
      links.push({ href, line: lineOf(raw) });
    }
  });
  return { links, anchors, paths };
}

const EXTERNAL = /^[a-z][a-z0-9+.-]*:/i; // https:, mailto:, …

interface Pages {
  /** whether a file or folder exists at this path (relative to the repository) */
  exists: (path: string) => boolean;
  /** the Markdown page at this path, or null when there is none */
  read: (path: string) => Page | null;
}

/** Every broken relative link of the page at `file` (relative to the repository), as "file:line: href (why)". */
function brokenLinks(file: string, pages: Pages): string[] {
  const page = pages.read(file);
  if (!page) return [`${file}: cannot be read`];
  const broken: string[] = [];
  for (const { href, line } of page.links) {
    if (EXTERNAL.test(href)) continue;
    const [pathPart = "", anchor] = href.split("#", 2);
    const target = pathPart === "" ? file : join(dirname(file), decodeURI(pathPart));
    const where = `${file}:${line}: ${href}`;
    if (target.startsWith("..")) {
      broken.push(`${where} (points outside the repository)`);
      continue;
    }
    if (pathPart !== "" && !pages.exists(target)) {
      broken.push(`${where} (no file ${target})`);
      continue;
    }
    if (anchor === undefined || anchor === "") continue;
    if (!target.endsWith(".md")) continue; // anchors of other files (line numbers, …) are not headings
    const targetPage = pages.read(target);
    if (!targetPage?.anchors.has(anchor)) broken.push(`${where} (no heading #${anchor} in ${target})`);
  }
  for (const { href, line } of page.paths) {
    if (!pages.exists(href.replace(/\/$/, ""))) broken.push(`${file}:${line}: \`${href}\` (no such file or folder)`);
  }
  return broken;
}

function repositoryPages(): string[] {
  const docs = readdirSync(join(root, "docs")).filter((name) => name.endsWith(".md"));
  return ["README.md", ...docs.map((name) => join("docs", name))];
}

function pageFromDisk(path: string): Page | null {
  const full = resolve(root, path);
  if (!existsSync(full) || !statSync(full).isFile()) return null;
  return readPage(readFileSync(full, "utf8"));
}

const DISK: Pages = { exists: (path) => existsSync(resolve(root, path)), read: pageFromDisk };

describe("documentation", () => {
  it("every relative link in README.md and docs/*.md resolves to a file, its #anchor to a heading, and every path they name exists", () => {
    const pages = repositoryPages();
    expect(pages.length).toBeGreaterThan(1);
    const read = pages.map((page) => pageFromDisk(page)!);
    expect(
      read.reduce((sum, page) => sum + page.links.length, 0),
      "the pages were read and hold links",
    ).toBeGreaterThan(20);
    expect(
      read.reduce((sum, page) => sum + page.paths.length, 0),
      "the pages name repository paths",
    ).toBeGreaterThan(20);
    expect(pages.flatMap((page) => brokenLinks(page, DISK))).toEqual([]);
  });

  it("README.md stays a short read (at most 12,500 characters): the reference belongs in docs/", () => {
    const characters = Array.from(readFileSync(join(root, "README.md"), "utf8")).length;
    expect(
      characters,
      "README.md has grown past 12,500 characters: move the detail into the matching docs/ page",
    ).toBeLessThanOrEqual(12_500);
  });

  it("every docs/*.md page is linked from README.md", () => {
    const readme = pageFromDisk("README.md")!;
    const linked = new Set(readme.links.map((link) => relative(root, resolve(root, link.href.split("#")[0]!))));
    const unlinked = repositoryPages().filter((page) => page !== "README.md" && !linked.has(page));
    expect(unlinked, "pages a reader of the README cannot reach").toEqual([]);
  });

  it("reports a missing file, a missing heading, a link out of the repository and a named path that is gone, and makes anchors as GitHub does", () => {
    const files: Record<string, string> = {
      "docs/a.md": [
        "# Title",
        "## The default model and `npm run model:pull`",
        "## Many machines: a fleet of workers on a Redis queue",
        "## Repeated",
        "## Repeated",
        "see [b](b.md#exists), [self](#repeated-1), [gone](missing.md), [nohead](b.md#nope), [out](../../x.md), [mmd](graph.mmd#L2)",
        "`[code span](nowhere.md)` and [ext](https://example.com/x#y)",
        "```",
        "[in a code block](nowhere.md)",
        "```",
        "| a | b |",
        "|---|---|",
        "| [in a table](b.md#not-here) | x |",
        "",
        "names `docs/b.md`, `docs/`, `lib/gone.ts`, `prompts/<variant>/turn.md` and `~/.cache/lib/x`",
      ].join("\n"),
      "docs/b.md": "# B\n\n## Exists\n",
      "docs/graph.mmd": "graph TD;",
    };
    const pages: Pages = {
      exists: (path) => Object.keys(files).some((file) => file === path || file.startsWith(`${path}/`)),
      read: (path) => (files[path] === undefined ? null : readPage(files[path])),
    };
    const page = pages.read("docs/a.md")!;
    expect([...page.anchors]).toEqual([
      "title",
      "the-default-model-and-npm-run-modelpull",
      "many-machines-a-fleet-of-workers-on-a-redis-queue",
      "repeated",
      "repeated-1",
    ]);
    expect(brokenLinks("docs/a.md", pages)).toEqual([
      "docs/a.md:6: missing.md (no file docs/missing.md)",
      "docs/a.md:6: b.md#nope (no heading #nope in docs/b.md)",
      "docs/a.md:6: ../../x.md (points outside the repository)",
      "docs/a.md:13: b.md#not-here (no heading #not-here in docs/b.md)",
      "docs/a.md:15: `lib/gone.ts` (no such file or folder)",
    ]);
    expect(brokenLinks("docs/gone.md", pages)).toEqual(["docs/gone.md: cannot be read"]);
  });
});
