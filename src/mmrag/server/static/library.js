// The library (ingest with progress, list, delete), the microphone and the page's wiring.
"use strict";

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

// ---- ingest with progress -----------------------------------------------------------------
function startIngest(label) {
  const bar = $("ingest-progress"), status = $("ingest-status");
  bar.hidden = false; bar.value = 0;
  status.textContent = label;
  delete status.dataset.state;
}

function ingest(files) {
  if (!files.length) return;
  const form = new FormData();
  for (const f of files) form.append("files", f, f.name);
  const bar = $("ingest-progress"), status = $("ingest-status");
  startIngest(`Uploading ${files.length} file(s)…`);
  const xhr = new XMLHttpRequest();
  xhr.open("POST", "/api/ingest/upload");
  for (const [k, v] of Object.entries(headers())) xhr.setRequestHeader(k, v);
  // the upload has a bar of its own; indexing starts the bar again from 0
  xhr.upload.onprogress = (e) => {
    if (!e.lengthComputable) return;
    bar.value = 100 * e.loaded / e.total;
    status.textContent = `Uploading ${files.length} file(s)… ${Math.round(bar.value)}%`;
  };
  xhr.onload = () => {
    let body = {};
    try { body = JSON.parse(xhr.responseText); } catch (_) { /* keep {} */ }
    if (xhr.status >= 300) {
      status.textContent = "Not added: " + (body.detail || xhr.statusText);
      status.dataset.state = "failed";
      bar.hidden = true;
      return;
    }
    bar.value = 0;
    poll(body.id);
  };
  xhr.onerror = () => { status.textContent = "Upload failed."; bar.hidden = true; };
  xhr.send(form);
}

async function ingestPath(path) {
  startIngest("Indexing " + path + "…");
  try {
    const job = await (await api("/api/ingest/path", {
      method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ paths: [path] }),
    })).json();
    poll(job.id);
  } catch (e) { $("ingest-status").textContent = e.message; $("ingest-progress").hidden = true; }
}

function progressLabel(job) {
  const name = job.current ? fileName(job.current) : "";
  const n = Math.min(job.done + 1, job.total);
  let label = job.total ? `Indexing ${n} of ${job.total}` + (name ? ": " + name : "") : "Indexing…";
  if (job.seconds) {
    label += ` · ${Math.round(job.seconds)} s` + (job.seconds_total ? ` of ${Math.round(job.seconds_total)} s` : "");
  }
  return label;
}

async function poll(id) {
  const bar = $("ingest-progress"), status = $("ingest-status");
  let job;
  try { job = await (await api("/api/ingest/" + id)).json(); }
  catch (e) { status.textContent = e.message; bar.hidden = true; return; }
  if (job.state === "queued" || job.state === "running") {
    const within = job.seconds_total ? Math.min(1, job.seconds / job.seconds_total) : 0;
    bar.value = job.total ? 100 * (job.done + within) / job.total : 0;
    status.textContent = progressLabel(job);
    setTimeout(() => poll(id), 250);
    return;
  }
  bar.hidden = true;  // done: the report says what happened
  const r = job.report || { added: [], updated: [], unchanged: [], errors: [], chunks: 0 };
  const added = r.added.length + r.updated.length;
  const summary = job.error ? "Failed: " + job.error
    : `Added ${added} file(s), ${r.chunks} chunks` + (r.unchanged.length ? `, ${r.unchanged.length} unchanged` : "");
  status.replaceChildren(summary, ...(r.errors.length ? [el("ul", { class: "errors" },
    ...r.errors.map((e) => {
      const name = fileName(e.source), why = e.error.startsWith(name + ": ") ? e.error.slice(name.length + 2) : e.error;
      return el("li", { textContent: name + ": " + why });
    }))] : []));
  status.dataset.state = job.state;
  refresh();
}

// ---- the library list, with a confirmed delete --------------------------------------------
function sourceItem(s) {
  const remove = el("button", { type: "button", textContent: "✕", title: "Remove from the index",
                                "aria-label": "Remove " + fileName(s.source) });
  const link = el("a", { href: mediaUrl(s.source), target: "_blank", textContent: fileName(s.source), title: s.source });
  const mail = s.source.split("#attachment/")[0];
  if (mail !== s.source) {  // a mail's attachment goes with its mail: no button of its own
    return el("li", {}, link, el("span", { class: "muted", textContent: s.chunks + " · in " + fileName(mail) }));
  }
  const item = el("li", {}, link, el("span", { class: "muted", textContent: s.chunks }), remove);
  remove.onclick = () => {
    const yes = el("button", { type: "button", class: "danger", textContent: "Remove",
                               "aria-label": "Confirm removing " + fileName(s.source), onclick: () => removeSource(s.source) });
    const no = el("button", { type: "button", textContent: "Keep", onclick: () => { item.replaceWith(sourceItem(s)); } });
    item.replaceChildren(el("span", { class: "confirm", textContent: `Remove ${fileName(s.source)}? ` }), yes, no);
    no.focus();
  };
  return item;
}

async function refresh() {
  try {
    info = await (await api("/api/info")).json();
    $("status").textContent = `${info.sources} files · ${info.chunks} chunks · ${info.embedder} · ${info.generator}`;
    $("library-toggle").textContent = `Library (${info.sources})`;
    const caps = info.capabilities;
    $("drop").classList.toggle("disabled", !caps.image_query);
    $("drop").title = caps.image_query ? "Search with an image" : "Image search needs an index built with an image embedder";
    $("mic").disabled = !caps.audio_query || !window.MediaRecorder;
    $("audio-file").disabled = !caps.audio_query;
    $("audio-file").parentElement.classList.toggle("disabled", !caps.audio_query);
    $("path-form").hidden = !info.allowed_paths.length;
    $("allowed-paths").replaceChildren(...info.allowed_paths.map((p) => el("option", { value: p })));
    const sources = await (await api("/api/sources")).json();
    $("sources").replaceChildren(...sources.map(sourceItem));
  } catch (e) { $("status").textContent = e.message; }
}

async function removeSource(source) {
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

function toggleLibrary(open) {
  document.body.classList.toggle("library-open", open);
  $("library-toggle").setAttribute("aria-expanded", String(open));
  if (open) $("ingest-files").focus();
}

const MESH = /\.(ply|obj|stl|glb|gltf|off)$/i;
function searchWithFile(file) {
  if (MESH.test(file.name)) searchWith("/api/search/mesh", file, "Searching by shape");
  else searchWith("/api/search/image", file, "Searching by image");
}
const onFile = (handle) => (e) => { if (e.target.files[0]) handle(e.target.files[0]); e.target.value = ""; };

$("modalities").append(...MODALITIES.map((m) => el("label", { class: "check" },
  el("input", { type: "checkbox", id: "f-" + m, checked: true }), " " + m)));
$("search-form").addEventListener("submit", (e) => { e.preventDefault(); search($("q").value.trim()); });
const askNow = () => { const q = $("q").value.trim(); if (q) ask(q); else $("q").focus(); };
$("ask-btn").addEventListener("click", askNow);
$("q").addEventListener("keydown", (e) => {
  if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) { e.preventDefault(); askNow(); }
});
$("copy-answer").addEventListener("click", copyAnswer);
$("preview-close").addEventListener("click", closePreview);
document.addEventListener("keydown", (e) => {
  if (e.key !== "Escape") return;
  if (!$("preview").hidden) closePreview();
  else if (document.body.classList.contains("library-open")) { toggleLibrary(false); $("library-toggle").focus(); }
});
$("library-close").addEventListener("click", () => { toggleLibrary(false); $("library-toggle").focus(); });
$("library-toggle").addEventListener("click", () => toggleLibrary(!document.body.classList.contains("library-open")));
$("image-file").addEventListener("change", onFile(searchWithFile));
dropZone($("drop"), (files) => { if (files[0]) searchWithFile(files[0]); });
$("mesh-file").addEventListener("change", onFile(searchWithFile));
$("audio-file").addEventListener("change", onFile((f) => searchWith("/api/search/audio", f, "Transcribing")));
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
// a shared link: /?ask=question asks it, /?q=query searches it
const opening = new URLSearchParams(location.search);
if (opening.get("ask") || opening.get("q")) {
  $("q").value = opening.get("ask") || opening.get("q");
  if (opening.get("ask")) ask($("q").value.trim()); else search($("q").value.trim());
}
