// mmrag web page: plain JavaScript, no build step, no network beyond this server.
// render.js draws hits; this file talks to the API and wires the controls.
"use strict";

let info = null;
const MODALITIES = ["text", "image", "audio", "video", "mesh"];

// ---- talking to the API ---------------------------------------------------------------
function token() { return localStorage.getItem("mmrag_token") || ""; }

function headers(extra = {}) {
  const h = { ...extra };
  if (token()) h.Authorization = "Bearer " + token();
  return h;
}

async function api(path, options = {}) {
  const response = await fetch(path, { ...options, headers: headers(options.headers) });
  if (response.status === 401) { $("token-form").hidden = false; }
  if (!response.ok) {
    let detail = response.statusText;
    try {
      const body = await response.json();
      detail = typeof body.detail === "string" ? body.detail : JSON.stringify(body.detail);
    } catch (_) { /* not JSON */ }
    const error = new Error(detail);
    error.status = response.status;
    throw error;
  }
  return response;
}

function say(text, isError = false) {
  $("message").textContent = text;
  $("message").className = isError ? "error" : "";
}

// ---- filters ------------------------------------------------------------------------------
function filters() {
  const f = {};
  const kinds = MODALITIES.filter((m) => $("f-" + m).checked);
  if (kinds.length && kinds.length < MODALITIES.length) f.modality = kinds;
  if ($("f-source").value.trim()) f.source = $("f-source").value.trim();
  const tags = $("f-tags").value.split(",").map((t) => t.trim()).filter(Boolean);
  if (tags.length) f.tags = tags;
  if ($("f-after").value !== "") f.after = Number($("f-after").value);
  if ($("f-before").value !== "") f.before = Number($("f-before").value);
  if ($("f-relevance").value !== "") f.min_relevance = Number($("f-relevance").value);
  const n = Object.keys(f).filter((k) => k !== "min_relevance").length;
  $("filter-count").textContent = n ? `(${n} on)` : "";
  return f;
}

// ---- results -------------------------------------------------------------------------------
function clearResults() {
  $("results-title").hidden = true;
  $("results-meta").textContent = "";
  $("empty").hidden = true;
  $("grid").replaceChildren();
  closePreview();
}

let lastQuote = new Map();  // citation n -> the sentence the answer quoted from it

function openPreview(hit, from) {
  $("preview-body").replaceChildren(...preview(hit, lastQuote.get(hit.n)).filter(Boolean));
  $("preview-title").textContent = fileName(hit.source);
  $("preview").hidden = false;
  document.body.classList.add("previewing");
  for (const c of document.querySelectorAll(".card.selected")) c.classList.remove("selected");
  if (from) { from.classList.add("selected"); $("preview").returnTo = from; }
  $("preview-close").focus();
}

function closePreview() {
  if ($("preview").hidden) return;
  $("preview").hidden = true;
  document.body.classList.remove("previewing");
  const back = $("preview").returnTo;
  if (back && back.isConnected) back.querySelector(".preview-btn").focus();
}

// `what`: "for “query”"; `retry`: {label, why, run} offered when nothing is found: search again
// with the index's floor (after a stricter one), or show the nearest hits of a query the index
// judged off its subject.
function showHits(hits, title, took, what = "", retry = null) {
  const weak = hits.filter(isWeak).length;
  $("results-title").hidden = false;
  $("results-title").textContent = title;
  $("results-meta").textContent = `${hits.length} result${hits.length === 1 ? "" : "s"}` +
    (weak ? ` (${weak} weak)` : "") + (took != null ? ` · ${Math.round(took)} ms` : "");
  const best = Math.max(...hits.map((h) => h.score));
  $("empty").hidden = hits.length > 0 && weak < hits.length;
  $("empty-title").textContent = hits.length ? "Nothing clearly relevant" : "Nothing found";
  $("empty-why").textContent = hits.length
    ? `${what}: only weak matches, the best at ${Math.round(100 * best)}% relevance.`
    : what + (retry ? retry.why : ".");
  $("show-weak").hidden = !(retry && !hits.length);
  $("show-weak").textContent = retry ? retry.label : "";
  $("show-weak").onclick = retry ? retry.run : null;
  $("grid").replaceChildren(...hits.map((h) => card(h, openPreview)));
}

// ---- search ------------------------------------------------------------------------------
// `floor`: a relevance floor for this search alone (0: every hit, the index's judgement off)
async function search(query, floor = null) {
  $("answer").hidden = true;  // an old answer does not belong above new results
  say("Searching…");
  const body = { query, k: 12, ...filters(), ...(floor == null ? {} : { min_relevance: floor }) };
  const started = performance.now();
  try {
    const found = await (await api("/api/search", {
      method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body),
    })).json();
    const strict = $("f-relevance").value !== "";
    const retry = strict
      ? { label: "Search with the index's floor",
          why: ": nothing reaches the relevance you asked for.",
          run: () => { $("f-relevance").value = ""; search(query); } }
      : floor == null
        ? { label: "Show the nearest anyway",
            why: ": the index holds nothing on this subject.",
            run: () => search(query, 0) }
        : null;
    showHits(found.hits, `Results for “${query}”`, performance.now() - started, `for “${query}”`,
             retry);
    say("");
  } catch (e) { clearResults(); say(e.message, true); }
}

async function searchWith(endpoint, file, label) {
  $("answer").hidden = true;
  say(label + "…");
  const form = new FormData();
  form.append("file", file, file.name || "query");
  const started = performance.now();
  try {
    const body = await (await api(endpoint, { method: "POST", body: form })).json();
    if (endpoint.endsWith("audio")) $("q").value = body.query;
    const what = endpoint.endsWith("audio") ? "“" + body.query + "”"
      : endpoint.endsWith("mesh") ? "the 3D model" : "the image";
    showHits(body.hits, "Results for " + what, performance.now() - started, "for " + what);
    say("");
  } catch (e) {
    clearResults();  // a failed query leaves no old results looking like its own
    say(e.status === 501 ? "This server cannot do that yet: " + e.message : e.message, true);
  }
}

// ---- ask, streamed -------------------------------------------------------------------------
// The sentence before each "[n]" is what the answer quoted from citation n.
function quotes(text) {
  const found = new Map();
  let last = 0;
  for (const m of text.matchAll(/\[(\d+)\]/g)) {
    const piece = text.slice(last, m.index).replace(/\[\d+\]/g, "").trim();
    if (piece && !found.has(Number(m[1]))) found.set(Number(m[1]), piece);
    last = m.index + m[0].length;
  }
  return found;
}

function citedText(text, citations) {
  // "[n]" becomes a link to citation n; everything else stays text (no HTML injection).
  const byN = new Map(citations.map((c) => [c.n, c]));
  const nodes = [];
  let last = 0;
  for (const m of text.matchAll(/\[(\d+)\]/g)) {
    const c = byN.get(Number(m[1]));
    if (!c) continue;
    nodes.push(text.slice(last, m.index));
    const second = c.span && c.span.start != null ? citedSecond(c, lastQuote.get(c.n)) : null;
    nodes.push(el("a", { class: "cite", href: openUrl(c, second), target: "_blank", textContent: m[0],
                         title: fileName(c.source) + " " + where(c) }));
    last = m.index + m[0].length;
  }
  nodes.push(text.slice(last));
  return nodes;
}

function citationItem(c) {
  const quote = lastQuote.get(c.n);
  const second = c.span && c.span.start != null ? citedSecond(c, quote) : null;
  const link = el("a", { href: openUrl(c, second), target: "_blank", textContent: fileName(c.source) });
  const detail = el("div", { class: "detail" }, link, " ",
    el("span", { class: "muted", textContent: [where(c), relevance(c)].filter(Boolean).join(" · ") }), " ",
    el("button", { type: "button", class: "preview-btn", textContent: "Preview",
                   onclick: (e) => openPreview(c, e.target.closest("li")) }),
    el("div", { class: "snippet" }, ...snippet(c, quote)));
  return el("li", { dataset: { n: c.n, modality: c.modality } },
    el("span", { class: "n", textContent: "[" + c.n + "]" }), detail, visual(c, second));
}

let lastAnswer = null;
function showAnswer(answer) {
  lastAnswer = answer;
  lastQuote = quotes(answer.answer);
  const text = $("answer-text");
  text.classList.remove("streaming");
  text.replaceChildren(...citedText(answer.answer, answer.citations));
  $("citations").replaceChildren(...answer.citations.map(citationItem));
  const low = (answer.notes || []).filter((n) => /confidence|do not say|no source/i.test(n));
  const notes = answer.citations.length ? low : ["No source in the index answers this.", ...low];
  $("answer-note").hidden = !notes.length;
  $("answer-note").textContent = notes.join(" ");
  for (const note of (answer.notes || []).filter((n) => !low.includes(n))) {
    $("citations").append(el("li", { class: "muted", textContent: note }));
  }
  // images of the cited sources, with the answer
  $("answer-images").replaceChildren(...answer.citations.filter((c) => c.modality === "image" || c.modality === "mesh")
    .map((c) => el("figure", {}, thumbnail(c), el("figcaption", { textContent: "[" + c.n + "] " + fileName(c.source) }))));
}

// A link that asks the same question again (the page reads ?ask= and ?q= when it opens).
const shareUrl = (question) => location.origin + "/?ask=" + encodeURIComponent(question);

function answerAsText(answer) {
  const lines = [answer.question, "", answer.answer, ""];
  for (const c of answer.citations) {
    const quote = lastQuote.get(c.n);
    lines.push(`[${c.n}] ${fileName(c.source)}${where(c) ? " " + where(c) : ""}` + (quote ? ` — “${quote}”` : ""));
  }
  lines.push("", shareUrl(answer.question));
  return lines.join("\n");
}

async function copyAnswer() {
  if (!lastAnswer) return;
  const text = answerAsText(lastAnswer);
  try { await navigator.clipboard.writeText(text); }
  catch (_) {  // no clipboard permission: the old way
    const area = el("textarea", { value: text });
    document.body.append(area); area.select(); document.execCommand("copy"); area.remove();
  }
  say("Copied the answer and its citations.");
}

async function ask(question) {
  say("Thinking…");
  clearResults();
  $("answer").hidden = false;
  $("answer-note").hidden = true;
  $("answer-images").replaceChildren();
  const text = $("answer-text");
  text.textContent = "";
  text.classList.add("streaming");
  $("citations").replaceChildren();
  lastAnswer = null;
  lastQuote = new Map();
  const started = performance.now();
  try {
    const response = await api("/api/ask/stream", {
      method: "POST", headers: { "Content-Type": "application/json", Accept: "text/event-stream" },
      body: JSON.stringify({ question, k: 5, ...filters() }),
    });
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    let buffer = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      let cut;
      while ((cut = buffer.indexOf("\n\n")) >= 0) {
        const block = buffer.slice(0, cut);
        buffer = buffer.slice(cut + 2);
        const event = /^event: (.*)$/m.exec(block), data = /^data: (.*)$/m.exec(block);
        if (event && data) onEvent(event[1], JSON.parse(data[1]), started, question);
      }
    }
    say("");
  } catch (e) { text.classList.remove("streaming"); say(e.message, true); }
}

function onEvent(name, data, started, question) {
  if (name === "citations") {
    const n = data.citations.length;
    showHits(data.citations, `Read ${n} passage${n === 1 ? "" : "s"}`, performance.now() - started,
             "to read for this question");
  } else if (name === "token") $("answer-text").append(data.text);
  else if (name === "done") showAnswer({ ...data, question });
  else if (name === "error") { $("answer-text").classList.remove("streaming"); say(data.detail, true); }
}
