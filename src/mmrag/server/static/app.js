// mmrag web page: plain JavaScript, no build step, no network beyond this server.
"use strict";

const $ = (id) => document.getElementById(id);
let info = null;

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

// ---- how a hit is shown -----------------------------------------------------------------
const isPdf = (hit) => /\.pdf$/i.test(hit.source);

function fileName(source) {
  // Uploads are stored as <12 hex>-<name>: show the name.
  return source.split(/[\\/]/).pop().replace(/^[0-9a-f]{12}-/, "");
}

function clock(seconds) {
  const s = Math.floor(seconds), h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60);
  const mm = String(m).padStart(h ? 2 : 2, "0"), ss = String(s % 60).padStart(2, "0");
  return h ? `${h}:${mm}:${ss}` : `${mm}:${ss}`;
}

function where(hit) {
  const span = hit.span || {};
  const parts = [];
  if (span.page != null) parts.push("p. " + span.page);
  if (span.start != null) parts.push(clock(span.start) + (span.end != null ? "–" + clock(span.end) : ""));
  return parts.join(" ");
}

function mediaUrl(path) { return "/api/media?path=" + encodeURIComponent(path); }

// Where a citation opens: the PDF at its page, a recording at its second.
function openUrl(hit) {
  const span = hit.span || {};
  let url = mediaUrl(hit.source);
  if (isPdf(hit) && span.page != null) url += "#page=" + span.page;
  else if (span.start != null) url += "#t=" + span.start;
  return url;
}

function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (k === "class") node.className = v;
    else if (k === "dataset") Object.assign(node.dataset, v);
    else node[k] = v;
  }
  for (const child of children) if (child != null) node.append(child);
  return node;
}

function player(hit) {
  const span = hit.span || {};
  const kind = hit.modality === "video" ? "video" : "audio";
  const start = span.start || 0;
  const media = el(kind, { controls: true, preload: "metadata", src: mediaUrl(hit.source) + "#t=" + start });
  media.dataset.start = start;
  // The fragment starts playback there in most browsers; seeking makes sure of it.
  media.addEventListener("loadedmetadata", () => {
    if (Math.abs(media.currentTime - start) > 0.5) media.currentTime = start;
  }, { once: true });
  return media;
}

function visual(hit) {
  // a 3D model shows its first rendered view (meta.path); an image shows itself
  if (hit.modality === "image" || (hit.modality === "mesh" && hit.meta && hit.meta.path)) {
    const path = (hit.meta && hit.meta.path) || hit.source;
    return el("img", { class: "thumb", loading: "lazy", alt: fileName(path),
                       src: "/api/thumb?path=" + encodeURIComponent(path) });
  }
  if (hit.modality === "audio" || hit.modality === "video") return player(hit);
  return null;
}

// words the transcriber was unsure of (meta.uncertain) are marked: a misheard name is a guess
function guessed(text, hit) {
  const words = ((hit.meta && hit.meta.uncertain) || []).filter((g) => g.word);
  if (!words.length) return [text];
  const p = new Map(words.map((g) => [g.word, g.p]));
  const escape = (w) => w.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const pattern = new RegExp("(" + [...p.keys()].sort((a, b) => b.length - a.length)
    .map(escape).join("|") + ")", "g");
  return text.split(pattern).map((piece, i) => i % 2 === 0 ? piece
    : el("mark", { class: "guess", textContent: piece,
                   title: "the transcriber was unsure of this word (p " + p.get(piece) + ")" }));
}

function card(hit, n) {
  const title = el("a", { class: "title", href: openUrl(hit), target: "_blank",
                          textContent: fileName(hit.source), title: hit.source });
  const head = el("div", { class: "head" },
    n != null ? el("span", { class: "badge", textContent: "[" + n + "]" }) : null,
    el("span", { class: "badge", textContent: hit.modality }), title,
    el("span", { class: "where", textContent: where(hit) }));
  return el("article", { class: "card", dataset: { modality: hit.modality } },
    head, visual(hit),
    hit.text ? el("p", { class: "text" }, ...guessed(hit.text, hit)) : null,
    el("span", { class: "score", textContent: "score " + hit.score.toFixed(4) }));
}

function showHits(hits, title) {
  $("results-title").hidden = false;
  $("results-title").textContent = title;
  $("grid").replaceChildren(...hits.map((h) => card(h, h.n)));
}

// ---- search ------------------------------------------------------------------------------
async function search(query) {
  say("Searching…");
  try {
    const body = await (await api("/api/search", {
      method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ query, k: 12 }),
    })).json();
    showHits(body.hits, `${body.hits.length} results for “${query}”`);
    say(body.hits.length ? "" : "Nothing found.");
  } catch (e) { say(e.message, true); }
}

async function searchWith(endpoint, file, label) {
  say(label + "…");
  const form = new FormData();
  form.append("file", file, file.name || "query");
  try {
    const body = await (await api(endpoint, { method: "POST", body: form })).json();
    if (endpoint.endsWith("audio")) $("q").value = body.query;
    const what = endpoint.endsWith("audio") ? "“" + body.query + "”"
      : endpoint.endsWith("mesh") ? "the 3D model" : "the image";
    showHits(body.hits, `${body.hits.length} results for ${what}`);
    say("");
  } catch (e) {
    say(e.status === 501 ? "This server cannot do that yet: " + e.message : e.message, true);
  }
}

// ---- ask, streamed -------------------------------------------------------------------------
function citedText(text, citations) {
  // "[n]" becomes a link to citation n; everything else stays text (no HTML injection).
  const byN = new Map(citations.map((c) => [c.n, c]));
  const nodes = [];
  let last = 0;
  for (const m of text.matchAll(/\[(\d+)\]/g)) {
    const c = byN.get(Number(m[1]));
    if (!c) continue;
    nodes.push(text.slice(last, m.index));
    nodes.push(el("a", { class: "cite", href: openUrl(c), target: "_blank", textContent: m[0],
                         title: fileName(c.source) + " " + where(c) }));
    last = m.index + m[0].length;
  }
  nodes.push(text.slice(last));
  return nodes;
}

function citationItem(c) {
  const link = el("a", { href: openUrl(c), target: "_blank", textContent: fileName(c.source) });
  const detail = el("div", {}, link, " ", el("span", { class: "muted", textContent: where(c) }),
    el("div", { class: "snippet" }, ...guessed((c.text || "").slice(0, 200), c)));
  return el("li", { dataset: { n: c.n } }, el("span", { class: "n", textContent: "[" + c.n + "]" }),
    visual(c), detail);
}

function showAnswer(answer) {
  const text = $("answer-text");
  text.classList.remove("streaming");
  text.replaceChildren(...citedText(answer.answer, answer.citations));
  $("citations").replaceChildren(...answer.citations.map(citationItem));
  for (const note of answer.notes || []) $("citations").append(el("li", { class: "muted", textContent: note }));
}

async function ask(question) {
  say("Thinking…");
  $("answer").hidden = false;
  const text = $("answer-text");
  text.textContent = "";
  text.classList.add("streaming");
  $("citations").replaceChildren();
  try {
    const response = await api("/api/ask/stream", {
      method: "POST", headers: { "Content-Type": "application/json", Accept: "text/event-stream" },
      body: JSON.stringify({ question, k: 5 }),
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
        if (event && data) onEvent(event[1], JSON.parse(data[1]));
      }
    }
    say("");
  } catch (e) { text.classList.remove("streaming"); say(e.message, true); }
}

function onEvent(name, data) {
  if (name === "citations") showHits(data.citations, `Read ${data.citations.length} passages`);
  else if (name === "token") $("answer-text").append(data.text);
  else if (name === "done") showAnswer(data);
  else if (name === "error") say(data.detail, true);
}

// ---- microphone --------------------------------------------------------------------------
let recorder = null;
async function toggleMic() {
  if (recorder) { recorder.stop(); return; }
  let stream;
  try { stream = await navigator.mediaDevices.getUserMedia({ audio: true }); }
  catch (e) { say("No microphone: " + e.message, true); return; }
  const parts = [];
  recorder = new MediaRecorder(stream);
  recorder.ondataavailable = (e) => parts.push(e.data);
  recorder.onstop = () => {
    stream.getTracks().forEach((t) => t.stop());
    recorder = null;
    $("mic").classList.remove("recording");
    $("mic").textContent = "● Speak";
    const blob = new Blob(parts, { type: parts[0] ? parts[0].type : "audio/webm" });
    searchWith("/api/search/audio", new File([blob], "speech.webm"), "Listening");
  };
  recorder.start();
  $("mic").classList.add("recording");
  $("mic").textContent = "■ Stop";
}

// ---- library: ingest with progress, list, delete ------------------------------------------
function ingest(files) {
  if (!files.length) return;
  const form = new FormData();
  for (const f of files) form.append("files", f, f.name);
  const bar = $("ingest-progress"), status = $("ingest-status");
  bar.hidden = false; bar.value = 0;
  status.textContent = `Uploading ${files.length} file(s)…`;
  delete status.dataset.state;
  const xhr = new XMLHttpRequest();
  xhr.open("POST", "/api/ingest/upload");
  for (const [k, v] of Object.entries(headers())) xhr.setRequestHeader(k, v);
  xhr.upload.onprogress = (e) => { if (e.lengthComputable) bar.value = 50 * e.loaded / e.total; };
  xhr.onload = () => {
    let body = {};
    try { body = JSON.parse(xhr.responseText); } catch (_) { /* keep {} */ }
    if (xhr.status >= 300) { status.textContent = "Upload refused: " + (body.detail || xhr.statusText); bar.hidden = true; return; }
    poll(body.id);
  };
  xhr.onerror = () => { status.textContent = "Upload failed."; bar.hidden = true; };
  xhr.send(form);
}

async function ingestPath(path) {
  $("ingest-status").textContent = "Indexing " + path + "…";
  $("ingest-progress").hidden = false;
  delete $("ingest-status").dataset.state;
  try {
    const job = await (await api("/api/ingest/path", {
      method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ paths: [path] }),
    })).json();
    poll(job.id);
  } catch (e) { $("ingest-status").textContent = e.message; $("ingest-progress").hidden = true; }
}

async function poll(id) {
  const bar = $("ingest-progress"), status = $("ingest-status");
  const job = await (await api("/api/ingest/" + id)).json();
  bar.value = 50 + (job.total ? 50 * job.done / job.total : 0);
  if (job.state === "queued" || job.state === "running") {
    status.textContent = `Indexing ${job.done}/${job.total} ${job.current ? fileName(job.current) : ""}`;
    setTimeout(() => poll(id), 250);
    return;
  }
  bar.value = 100;
  const r = job.report || { added: [], updated: [], unchanged: [], errors: [], chunks: 0 };
  const errors = r.errors.map((e) => fileName(e.source) + ": " + e.error).join("; ");
  status.textContent = job.error ? "Failed: " + job.error
    : `Added ${r.added.length + r.updated.length} file(s), ${r.chunks} chunks` +
      (r.unchanged.length ? `, ${r.unchanged.length} unchanged` : "") + (errors ? ". " + errors : "");
  status.dataset.state = job.state;
  refresh();
}

async function refresh() {
  try {
    info = await (await api("/api/info")).json();
    $("status").textContent = `${info.sources} files · ${info.chunks} chunks · ${info.embedder} · ${info.generator}`;
    const caps = info.capabilities;
    $("drop").classList.toggle("disabled", !caps.image_query);
    $("drop").title = caps.image_query ? "Search with an image" : "Image search needs an index built with an image embedder";
    $("mic").disabled = !caps.audio_query || !window.MediaRecorder;
    $("audio-file").disabled = !caps.audio_query;
    $("audio-file").parentElement.classList.toggle("disabled", !caps.audio_query);
    $("path-form").hidden = !info.allowed_paths.length;
    $("allowed-paths").replaceChildren(...info.allowed_paths.map((p) => el("option", { value: p })));
    const sources = await (await api("/api/sources")).json();
    $("sources").replaceChildren(...sources.map((s) => el("li", {},
      el("a", { href: mediaUrl(s.source), target: "_blank", textContent: fileName(s.source), title: s.source }),
      el("span", { class: "muted", textContent: s.chunks }),
      el("button", { textContent: "✕", title: "Remove from the index", onclick: () => remove(s.source) }))));
  } catch (e) { $("status").textContent = e.message; }
}

async function remove(source) {
  try {
    await api("/api/sources?path=" + encodeURIComponent(source), { method: "DELETE" });
    $("ingest-status").textContent = "Removed " + fileName(source);
  } catch (e) { $("ingest-status").textContent = e.message; }
  refresh();
}

// ---- wiring ------------------------------------------------------------------------------
function dropZone(zone, onFiles) {
  zone.addEventListener("dragover", (e) => { e.preventDefault(); zone.classList.add("over"); });
  zone.addEventListener("dragleave", () => zone.classList.remove("over"));
  zone.addEventListener("drop", (e) => {
    e.preventDefault(); zone.classList.remove("over");
    onFiles([...e.dataTransfer.files]);
  });
}

$("search-form").addEventListener("submit", (e) => { e.preventDefault(); search($("q").value.trim()); });
$("ask-btn").addEventListener("click", () => { const q = $("q").value.trim(); if (q) ask(q); });
const MESH = /\.(ply|obj|stl|glb|gltf|off)$/i;
function searchWithFile(file) {
  if (MESH.test(file.name)) searchWith("/api/search/mesh", file, "Searching by shape");
  else searchWith("/api/search/image", file, "Searching by image");
}
$("image-file").addEventListener("change", (e) => { if (e.target.files[0]) searchWithFile(e.target.files[0]); e.target.value = ""; });
dropZone($("drop"), (files) => { if (files[0]) searchWithFile(files[0]); });
$("mesh-file").addEventListener("change", (e) => { if (e.target.files[0]) searchWithFile(e.target.files[0]); e.target.value = ""; });
$("audio-file").addEventListener("change", (e) => { if (e.target.files[0]) searchWith("/api/search/audio", e.target.files[0], "Transcribing"); e.target.value = ""; });
$("mic").addEventListener("click", toggleMic);
$("ingest-files").addEventListener("change", (e) => { ingest([...e.target.files]); e.target.value = ""; });
dropZone($("ingest-drop"), ingest);
$("path-form").addEventListener("submit", (e) => {
  e.preventDefault();
  const path = $("server-path").value.trim();
  if (path) ingestPath(path);
});
$("token-form").addEventListener("submit", (e) => {
  e.preventDefault();
  const value = $("token").value.trim();
  localStorage.setItem("mmrag_token", value);
  // Images and players load by URL, without headers: they send the token as a cookie.
  document.cookie = "mmrag_token=" + encodeURIComponent(value) + "; path=/; SameSite=Strict";
  $("token-form").hidden = true;
  refresh();
});
refresh();
