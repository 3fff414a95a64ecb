import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeRecord } from "../../testing/records.js";
import type { DialogueRecord } from "../../lib/records/schema.js";
import { freePort } from "../../testing/ports.js";
import { type ScriptRun, startScript } from "../../testing/processes.js";
import { ReviewStore } from "./store.js";

// The review page for real: the CLI's own server as a child process, Debian's chromium driven by playwright-core,
// the ratings read back from the SQLite file. Skipped, saying why, without chromium or without node:sqlite.
const CHROMIUM = "/usr/bin/chromium";
const [major, minor] = process.versions.node.split(".").map(Number) as [number, number];
const hasSqlite = major > 22 || (major === 22 && minor >= 13);
if (!existsSync(CHROMIUM))
  console.warn(`skipping the review page test: ${CHROMIUM} is absent (apt-get install -y chromium)`);
if (!hasSqlite)
  console.warn(`skipping the review page test: node:sqlite needs Node.js ≥ 22.13 (this is ${process.versions.node})`);

const root = fileURLToPath(new URL("../..", import.meta.url));
const HOSTILE = `<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script> ¡qué bien!`;

function records(): DialogueRecord[] {
  const texts = [
    ["Hola, ¿qué tal el fin de semana?", "Muy bien, fui a la playa con mi hermana.", "¡Qué envidia! Yo trabajé."],
    ["¿Has probado el bar nuevo?", HOSTILE, "Sí, el sábado."],
    ["¿Vienes al concierto?", "No puedo, tengo guardia.", "Vaya, otra vez será."],
    ["Buenos días, vecina.", "Buenos días, ¿cómo está su madre?", "Mejor, gracias."],
  ];
  return texts.map((turns, i) => {
    const record = makeRecord(`es-1-0000${i}`, "es", turns);
    return {
      ...record,
      common_ground: "Son vecinos en Valencia.",
      personas: [
        { speaker: "A", name: "Lucía", sentences: ["Soy enfermera en Valencia."], source_sentences: ["I am a nurse."] },
        { speaker: "B", name: "Javier", sentences: ["Toco la guitarra."], source_sentences: ["I play guitar."] },
      ],
      critique: {
        persona_faithfulness: 4,
        speech_event_fit: 4,
        naturalness: 4,
        verdict: "accept",
        offending_turns: [],
        feedback: "bien",
      },
    };
  });
}

async function serve(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ run: ScriptRun; url: string }> {
  const run = startScript("scripts/review.ts", args, env);
  let stdout = "";
  const url = await new Promise<string>((resolve, reject) => {
    run.child.stdout!.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
      const match = /open (http:\/\/\S+)/.exec(stdout);
      if (match) resolve(match[1]!);
    });
    void run.done.then((r) => reject(new Error(`review exited ${r.code}: ${r.stderr}`)));
  });
  return { run, url };
}

function stop(run: ScriptRun, signal: NodeJS.Signals = "SIGTERM") {
  if (run.child.exitCode === null) process.kill(-run.child.pid!, signal);
  return run.done;
}

/** The little of the page's DOM the test reads inside the browser (the project's types have no DOM library). */
interface Browserside {
  __pwned?: number;
  document: {
    querySelector(selector: string): { textContent: string | null } | null;
    querySelectorAll(selector: string): Iterable<{ name: string; value: string }>;
    activeElement: { getAttribute(name: string): string | null } | null;
    documentElement: { scrollWidth: number };
  };
}

const progress = (page: Page) => page.locator("#progress").textContent();

/** Rates the dialogue on screen with the mouse. */
async function rateWithClicks(
  page: Page,
  scores: [number, number, number],
  verdict: "accept" | "revise",
  wrongTurn: number,
  comment: string,
) {
  for (const [i, name] of ["persona_faithfulness", "speech_event_fit", "naturalness"].entries())
    await page.click(`input[name="${name}"][value="${scores[i]}"]`);
  await page.click(`input[name="verdict"][value="${verdict}"]`);
  await page.click(`#chat [data-turn="${wrongTurn}"]`);
  await page.fill("#comment", comment);
  const before = await progress(page);
  await page.click("#save");
  await page.waitForFunction(
    (text) => (globalThis as unknown as Browserside).document.querySelector("#progress")?.textContent !== text,
    before,
  );
}

/**
 * Rates the dialogue on screen with the keyboard alone: Shift+Tab/Space to mark the last turn, digits in the focused
 * group, Tab, Space, Ctrl+Enter.
 */
async function rateWithKeys(page: Page, scores: [number, number, number]) {
  await page.waitForFunction(
    () =>
      (globalThis as unknown as Browserside).document.activeElement?.getAttribute("name") === "persona_faithfulness",
  );
  await page.keyboard.press("Shift+Tab"); // back to the chat's last turn: mark it wrong
  await page.keyboard.press("Space");
  await page.keyboard.press("Tab");
  for (const [i, score] of scores.entries()) {
    await page.keyboard.press(String(score));
    if (i < 2) await page.keyboard.press("Tab");
  }
  await page.keyboard.press("Tab"); // the verdict group: its first radio, "accept"
  await page.keyboard.press("Space");
  const before = await progress(page);
  await page.keyboard.press("Control+Enter");
  await page.waitForFunction(
    (text) => (globalThis as unknown as Browserside).document.querySelector("#progress")?.textContent !== text,
    before,
  );
}

describe.skipIf(!existsSync(CHROMIUM) || !hasSqlite)("npm run review in headless Chromium", () => {
  let browser: Browser;
  let dir: string;
  let data: string;

  beforeAll(async () => {
    const { chromium } = await import("playwright-core");
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    });
    dir = mkdtempSync(join(tmpdir(), "review-"));
    data = join(dir, "data.jsonl");
    writeFileSync(
      data,
      records()
        .map((r) => JSON.stringify(r))
        .join("\n") + "\n",
    );
  });
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- unset when beforeAll failed
  afterAll(async () => browser?.close());

  it("two annotators rate at once, with clicks and with the keyboard; reloads and a killed server keep every rating; eval reports them", async () => {
    const port = await freePort();
    const { run, url } = await serve([data, "--seed", "2", "--port", String(port)]);
    try {
      const ana = await (await browser.newContext({ viewport: { width: 1200, height: 900 } })).newPage();
      const bea = await (
        await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true })
      ).newPage();
      const hostileShown: string[] = [];
      for (const page of [ana, bea]) page.on("dialog", (d) => void d.dismiss());

      const signIn = async (page: Page, name: string) => {
        await page.goto(url);
        await page.fill("#name", name);
        await page.click("#signin-form button");
        await page.waitForSelector("#review:not([hidden])");
      };
      await Promise.all([signIn(ana, "Ana"), signIn(bea, "Bea")]);
      expect(await progress(ana)).toBe("0 of 4 rated");

      // Ana: two with the mouse, one with the keyboard; Bea (phone width): three with the mouse, concurrently
      await Promise.all([
        (async () => {
          await rateWithClicks(ana, [4, 3, 5], "accept", 1, "natural, pero el turno 2 es raro");
          await rateWithClicks(ana, [2, 2, 3], "revise", 0, "");
          await rateWithKeys(ana, [5, 4, 4]);
        })(),
        (async () => {
          await rateWithClicks(bea, [3, 3, 3], "accept", 2, "ok");
          await rateWithClicks(bea, [4, 4, 4], "accept", 0, "");
          await rateWithClicks(bea, [1, 2, 1], "revise", 1, "traducido");
        })(),
      ]);
      expect(await progress(ana)).toBe("3 of 4 rated");
      expect(await progress(bea)).toBe("3 of 4 rated");
      const width = await bea.evaluate(
        () => (globalThis as unknown as Browserside).document.documentElement.scrollWidth,
      );
      expect(width).toBeLessThanOrEqual(390); // no sideways scrolling on a phone

      // a reload signs Ana back in where she stopped, and an earlier rating shows as she left it
      await ana.reload();
      await ana.waitForSelector("#review:not([hidden])");
      expect(await progress(ana)).toBe("3 of 4 rated");
      for (let step = 0; step < 4; step++) {
        const chat = await ana.locator("#chat").textContent();
        if (chat!.includes("<script>")) hostileShown.push("shown as text");
        expect(await ana.locator("#chat img, #chat script").count()).toBe(0);
        await ana.keyboard.press("Alt+ArrowLeft");
        await ana.waitForTimeout(150);
      }
      expect(hostileShown).toEqual(["shown as text"]); // the hostile turn was on screen once, as text
      expect(await ana.evaluate(() => (globalThis as unknown as Browserside).__pwned)).toBeUndefined();
      await ana.goto(url); // reload lands on the unrated one; go back to the first rated (index 0 of her order)
      await ana.waitForSelector("#review:not([hidden])");
      const checked = async () =>
        ana.evaluate(() =>
          [...(globalThis as unknown as Browserside).document.querySelectorAll("#rating input:checked")].map(
            (i) => `${i.name}=${i.value}`,
          ),
        );
      while (!(await ana.locator("#prev").isDisabled())) {
        await ana.click("#prev");
        await ana.waitForTimeout(100);
      }
      expect(await checked()).toEqual([
        "persona_faithfulness=4",
        "speech_event_fit=3",
        "naturalness=5",
        "verdict=accept",
      ]);
      expect(await ana.locator('#chat [aria-pressed="true"]').count()).toBe(1);
    } finally {
      await stop(run, "SIGKILL"); // a killed server: what it confirmed is on disk
    }

    const store = await ReviewStore.open(join(dir, "data.reviews.sqlite"), { readOnly: true });
    const saved = store.currentRatings();
    store.close();
    expect(saved.filter((r) => r.annotator === "Ana")).toHaveLength(3);
    expect(saved.filter((r) => r.annotator === "Bea")).toHaveLength(3);
    expect(saved.find((r) => r.comment === "traducido")).toMatchObject({
      persona_faithfulness: 1,
      speech_event_fit: 2,
      naturalness: 1,
      verdict: "revise",
      wrong_turns: [1],
    });
    expect(saved.find((r) => r.annotator === "Ana" && r.persona_faithfulness === 5)).toMatchObject({
      speech_event_fit: 4,
      naturalness: 4,
      verdict: "accept",
      wrong_turns: [2],
    });

    // exports, then the eval's report of them
    const exportRun = (file: string) =>
      execFileSync(process.execPath, ["--import", "tsx", "scripts/review.ts", data, "--export", join(dir, file)], {
        cwd: root,
        encoding: "utf8",
      });
    expect(exportRun("ratings.csv")).toContain("6 ratings");
    exportRun("ratings.jsonl");
    const csv = readFileSync(join(dir, "ratings.csv"), "utf8").trim().split("\r\n");
    expect(csv).toHaveLength(7);
    expect(csv[0]).toBe(
      "annotator,id,variant,model,language,persona_faithfulness,speech_event_fit,naturalness,verdict,wrong_turns,comment,created_at",
    );
    const out = join(dir, "eval");
    execFileSync(
      process.execPath,
      [
        "--import",
        "tsx",
        "scripts/eval.ts",
        "--dataset",
        data,
        "--reviews",
        join(dir, "ratings.jsonl"),
        "--out",
        out,
        "--resamples",
        "200",
      ],
      { cwd: root, encoding: "utf8" },
    );
    const results = JSON.parse(readFileSync(join(out, "results.json"), "utf8")) as {
      human: { annotators: number; ratings: number; dialogues: number };
    };
    expect(results.human).toMatchObject({ annotators: 2, ratings: 6 });
    expect(readFileSync(join(out, "report.md"), "utf8")).toContain("## Human evaluation");
    expect(readFileSync(join(out, "report.html"), "utf8")).toContain('<h2 id="human">Human evaluation</h2>');
  });

  it("beyond loopback every request needs the token; JSON only, no CORS grant, bounded bodies", async () => {
    const port = await freePort();
    const { run, url } = await serve([
      data,
      "--db",
      join(dir, "token.sqlite"),
      "--host",
      "0.0.0.0",
      "--port",
      String(port),
    ]);
    try {
      const token = new URL(url).searchParams.get("token");
      expect(token).toMatch(/^[\w-]{20,}$/);
      const base = `http://127.0.0.1:${port}`;
      expect((await fetch(`${base}/`)).status).toBe(401);
      expect((await fetch(`${base}/?token=wrong${token}`)).status).toBe(401);
      expect(
        (
          await fetch(`${base}/api/signin`, {
            method: "POST",
            headers: { "Content-Type": "application/json" },
            body: JSON.stringify({ name: "Eve" }),
          })
        ).status,
      ).toBe(401);
      const page = await fetch(`${base}/?token=${token}`);
      expect(page.status).toBe(200);
      expect(page.headers.get("content-security-policy")).toContain("script-src 'nonce-");
      const auth = { Authorization: `Bearer ${token}` };
      const signin = await fetch(`${base}/api/signin`, {
        method: "POST",
        headers: { ...auth, "Content-Type": "application/json" },
        body: JSON.stringify({ name: "Eve" }),
      });
      expect(signin.status).toBe(200);
      // a cross-site "simple" request (text/plain, no preflight) is refused and granted nothing
      const crossSite = await fetch(`${base}/api/rating`, {
        method: "POST",
        headers: { ...auth, "Content-Type": "text/plain", Origin: "https://evil.example" },
        body: "{}",
      });
      expect(crossSite.status).toBe(415);
      expect(crossSite.headers.get("access-control-allow-origin")).toBeNull();
      const huge = await fetch(`${base}/api/signin`, {
        method: "POST",
        headers: { ...auth, "Content-Type": "application/json" },
        body: JSON.stringify({ name: "x".repeat(20_000) }),
      });
      expect(huge.status).toBe(413);
      const bad = await fetch(`${base}/api/rating`, {
        method: "POST",
        headers: { ...auth, "Content-Type": "application/json" },
        body: JSON.stringify({ annotator: "Eve", index: 0, rating: { persona_faithfulness: 9 } }),
      });
      expect(bad.status).toBe(400);
      expect(((await bad.json()) as { error: string }).error).toMatch(/^rating\./);
      const ghostTurn = await fetch(`${base}/api/rating`, {
        method: "POST",
        headers: { ...auth, "Content-Type": "application/json" },
        body: JSON.stringify({
          annotator: "Eve",
          index: 0,
          rating: {
            persona_faithfulness: 3,
            speech_event_fit: 3,
            naturalness: 3,
            verdict: "accept",
            wrong_turns: [40],
            comment: "",
          },
        }),
      });
      expect(ghostTurn.status).toBe(400);
    } finally {
      await stop(run);
    }
  });

  it("refuses a database made for another sample, in one line", async () => {
    const db = join(dir, "data.reviews.sqlite");
    const result = await startScript("scripts/review.ts", [
      data,
      "--db",
      db,
      "--sample",
      "2",
      "--port",
      String(await freePort()),
    ]).done;
    expect(result.code).toBe(2);
    expect(result.stderr.trim().split("\n")).toHaveLength(1);
    expect(result.stderr).toMatch(/belongs to another sample/);
  });
});
