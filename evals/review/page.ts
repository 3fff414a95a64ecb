import { RUBRIC } from "./study.js";

/**
 * The review page: one self-contained HTML document (no external asset, no framework), served by server.ts.
 *
 * - Every piece of dialogue text is put in the page with `textContent`, never as HTML; the server's
 *   Content-Security-Policy allows only this page's own script (by nonce), so even markup that slipped through
 *   could not run.
 * - Keyboard alone: native radio groups (Tab between groups, arrows or 1–5 within one), turns are toggle buttons
 *   (Space/Enter), Ctrl+Enter saves and goes on, Alt+←/→ moves between dialogues.
 * - Phone width: one column under 700 px.
 * - The annotator's name is kept in localStorage, so a reload resumes where they stopped.
 */
export function reviewPage(nonce: string): string {
  const rubric = JSON.stringify(RUBRIC);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Dialogue review</title>
<style nonce="${nonce}">
  :root { font-family: system-ui, sans-serif; line-height: 1.4; color: #1d1d1f; background: #f6f6f8; }
  body { margin: 0; }
  main { max-width: 1100px; margin: 0 auto; padding: 12px; }
  header { display: flex; flex-wrap: wrap; gap: 8px 16px; align-items: baseline; justify-content: space-between; }
  h1 { font-size: 1.2rem; margin: 4px 0; }
  h2 { font-size: 1.05rem; margin: 4px 0 8px; }
  input[type="radio"] { width: 1.25em; height: 1.25em; }
  .panel { background: #fff; border-radius: 8px; padding: 10px 14px; margin: 10px 0; box-shadow: 0 1px 2px #0002; }
  .grid { display: grid; grid-template-columns: 1fr 1fr; gap: 10px; }
  .grid > .panel { margin: 0; }
  @media (max-width: 700px) { .grid { grid-template-columns: 1fr; } }
  .chat { display: flex; flex-direction: column; gap: 6px; }
  .turn { max-width: 85%; text-align: left; font: inherit; border: 2px solid transparent; border-radius: 12px; padding: 6px 10px; cursor: pointer; white-space: pre-wrap; overflow-wrap: anywhere; }
  .turn.A { align-self: flex-start; background: #e9e9ee; }
  .turn.B { align-self: flex-end; background: #d8ecff; }
  .turn[aria-pressed="true"] { border-color: #c62828; background: #fde7e7; }
  .turn .who { display: block; font-size: .75rem; color: #555; }
  .turn:focus-visible, input:focus-visible, button:focus-visible, textarea:focus-visible { outline: 3px solid #1565c0; outline-offset: 2px; }
  fieldset { border: 1px solid #ddd; border-radius: 6px; margin: 6px 0; }
  fieldset label { display: inline-flex; align-items: center; gap: 2px; margin-right: 10px; padding: 4px 0; }
  textarea { width: 100%; box-sizing: border-box; min-height: 4em; font: inherit; }
  .actions { display: flex; flex-wrap: wrap; gap: 8px; }
  button.primary { background: #1565c0; color: #fff; border: 0; border-radius: 6px; padding: 8px 14px; font: inherit; }
  button { font: inherit; padding: 6px 12px; }
  .hint { color: #555; font-size: .85rem; }
  .error { color: #b71c1c; }
  [hidden] { display: none !important; }
</style>
</head>
<body>
<main>
  <section id="signin" class="panel" hidden>
    <h1>Dialogue review</h1>
    <p>Rate each dialogue as a native speaker of its language. Sign in with your name to start, or to go on where you stopped.</p>
    <form id="signin-form">
      <label for="name">Your name</label>
      <input id="name" name="name" autocomplete="name" maxlength="64" required>
      <button class="primary" type="submit">Start</button>
    </form>
    <p id="signin-error" class="error" role="alert"></p>
  </section>

  <section id="review" hidden>
    <header>
      <h1 id="title">Dialogue</h1>
      <span id="progress" aria-live="polite"></span>
      <span class="hint">Signed in as <b id="who"></b> · <button id="signout" type="button">not you?</button></span>
    </header>
    <div class="grid">
      <div class="panel"><h2>Speaker A: <span id="name-A"></span></h2><ul id="persona-A"></ul></div>
      <div class="panel"><h2>Speaker B: <span id="name-B"></span></h2><ul id="persona-B"></ul></div>
    </div>
    <div class="panel">
      <p><b>Kind of talk:</b> <span id="event"></span> — <span id="event-description" class="hint"></span></p>
      <p><b>Common ground:</b> <span id="common-ground"></span></p>
    </div>
    <div class="panel">
      <h2>Conversation</h2>
      <p class="hint">Click (or Space) on a message that is wrong, to mark it.</p>
      <div id="chat" class="chat"></div>
    </div>
    <form id="rating" class="panel">
      <div id="criteria"></div>
      <fieldset>
        <legend>Verdict: would you keep this dialogue as it is?</legend>
        <label><input type="radio" name="verdict" value="accept" required> keep (accept)</label>
        <label><input type="radio" name="verdict" value="revise"> needs changes (revise)</label>
      </fieldset>
      <label for="comment">Comment (optional)</label>
      <textarea id="comment" name="comment" maxlength="2000"></textarea>
      <p id="rating-error" class="error" role="alert"></p>
      <div class="actions">
        <button id="prev" type="button">← Previous</button>
        <button id="save" class="primary" type="submit">Save and next →</button>
        <button id="next" type="button">Skip →</button>
      </div>
      <p class="hint">Keyboard: Tab between questions, arrows or 1–5 to choose, Ctrl+Enter to save, Alt+←/→ to move.</p>
    </form>
    <p id="done" class="panel" hidden>You have rated every dialogue of this sample. Thank you! You can still go back and change a rating.</p>
  </section>
</main>
<script nonce="${nonce}">
"use strict";
const RUBRIC = ${rubric};
const token = new URLSearchParams(location.search).get("token");
const $ = (id) => document.getElementById(id);
let annotator = localStorage.getItem("review-annotator");
let state = { index: 0, total: 0, done: 0, turns: 0 };

async function api(path, body) {
  const headers = { "Accept": "application/json" };
  if (token) headers["Authorization"] = "Bearer " + token;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(path, { method: body === undefined ? "GET" : "POST", headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const json = await response.json().catch(() => ({ error: "the server did not answer in JSON" }));
  if (!response.ok) throw new Error(json.error || ("HTTP " + response.status));
  return json;
}

function text(el, value) { el.textContent = value; return el; }
function make(tag, cls) { const el = document.createElement(tag); if (cls) el.className = cls; return el; }

function buildCriteria() {
  const box = $("criteria");
  for (const c of RUBRIC) {
    const fs = make("fieldset");
    fs.dataset.criterion = c.key;
    text(fs.appendChild(make("legend")), c.label + ": " + c.question + " (1 = poor, 5 = excellent)");
    for (let v = 1; v <= 5; v++) {
      const label = make("label");
      const input = make("input");
      input.type = "radio"; input.name = c.key; input.value = String(v); input.required = true;
      label.appendChild(input);
      label.appendChild(document.createTextNode(String(v)));
      fs.appendChild(label);
    }
    fs.addEventListener("keydown", (e) => {
      if (e.key >= "1" && e.key <= "5" && !e.ctrlKey && !e.altKey) {
        const input = fs.querySelector('input[value="' + e.key + '"]');
        input.checked = true; input.focus(); e.preventDefault();
      }
    });
    box.appendChild(fs);
  }
}

function showSignin(message) {
  $("review").hidden = true; $("signin").hidden = false;
  text($("signin-error"), message || "");
  $("name").focus();
}

async function signIn(name) {
  const session = await api("/api/signin", { name });
  annotator = session.annotator;
  localStorage.setItem("review-annotator", annotator);
  text($("who"), annotator);
  $("signin").hidden = true; $("review").hidden = false;
  await load(session.next);
}

function fill(listId, sentences) {
  const ul = $(listId); ul.replaceChildren();
  for (const s of sentences) text(ul.appendChild(make("li")), s);
}

async function load(index) {
  const data = await api("/api/item?annotator=" + encodeURIComponent(annotator) + "&index=" + index);
  state = { index: data.index, total: data.total, done: data.done, turns: data.view.turns.length };
  $("done").hidden = data.done < data.total;
  text($("title"), "Dialogue " + (data.index + 1) + " of " + data.total + " (" + data.view.language + ")");
  text($("progress"), data.done + " of " + data.total + " rated");
  for (const p of data.view.personas) { text($("name-" + p.speaker), p.name || "(no name)"); fill("persona-" + p.speaker, p.sentences); }
  text($("event"), data.view.speech_event.name);
  text($("event-description"), data.view.speech_event.description);
  text($("common-ground"), data.view.common_ground || "(none)");
  const chat = $("chat"); chat.replaceChildren();
  data.view.turns.forEach((t, i) => {
    const b = make("button", "turn " + t.speaker);
    b.type = "button"; b.dataset.turn = String(i);
    b.setAttribute("aria-pressed", "false");
    text(b.appendChild(make("span", "who")), t.speaker + " · turn " + (i + 1));
    b.appendChild(document.createTextNode(t.text));
    b.addEventListener("click", () => b.setAttribute("aria-pressed", b.getAttribute("aria-pressed") === "true" ? "false" : "true"));
    chat.appendChild(b);
  });
  const form = $("rating"); form.reset(); text($("rating-error"), "");
  const r = data.rating;
  if (r) {
    for (const c of RUBRIC) form.querySelector('input[name="' + c.key + '"][value="' + r[c.key] + '"]').checked = true;
    form.querySelector('input[name="verdict"][value="' + r.verdict + '"]').checked = true;
    $("comment").value = r.comment;
    for (const i of r.wrong_turns) { const b = chat.querySelector('[data-turn="' + i + '"]'); if (b) b.setAttribute("aria-pressed", "true"); }
  }
  $("prev").disabled = data.index === 0;
  form.querySelector("input").focus();
  window.scrollTo(0, 0);
}

async function save() {
  const form = $("rating");
  const value = (name) => { const el = form.querySelector('input[name="' + name + '"]:checked'); return el ? el.value : null; };
  const missing = RUBRIC.filter((c) => !value(c.key)).map((c) => c.label);
  if (!value("verdict")) missing.push("Verdict");
  if (missing.length) { text($("rating-error"), "Please answer: " + missing.join(", ")); return; }
  const rating = { verdict: value("verdict"), comment: $("comment").value, wrong_turns: [...$("chat").querySelectorAll('[aria-pressed="true"]')].map((b) => Number(b.dataset.turn)) };
  for (const c of RUBRIC) rating[c.key] = Number(value(c.key));
  try {
    const saved = await api("/api/rating", { annotator, index: state.index, rating });
    await load(saved.next);
  } catch (e) { text($("rating-error"), "Not saved: " + e.message); }
}

function move(delta) {
  const target = state.index + delta;
  if (target >= 0 && target < state.total) load(target).catch((e) => text($("rating-error"), e.message));
}

buildCriteria();
$("signin-form").addEventListener("submit", (e) => { e.preventDefault(); signIn($("name").value).catch((err) => showSignin(err.message)); });
$("rating").addEventListener("submit", (e) => { e.preventDefault(); save(); });
$("prev").addEventListener("click", () => move(-1));
$("next").addEventListener("click", () => move(1));
$("signout").addEventListener("click", () => { localStorage.removeItem("review-annotator"); annotator = null; showSignin(""); });
document.addEventListener("keydown", (e) => {
  if (e.ctrlKey && e.key === "Enter" && annotator) { e.preventDefault(); save(); }
  if (e.altKey && e.key === "ArrowLeft") { e.preventDefault(); move(-1); }
  if (e.altKey && e.key === "ArrowRight") { e.preventDefault(); move(1); }
});
if (annotator) signIn(annotator).catch((err) => showSignin(err.message)); else showSignin("");
</script>
</body>
</html>
`;
}
