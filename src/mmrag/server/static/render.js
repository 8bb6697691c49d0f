// How hits, citations and the preview are drawn: DOM nodes only, never innerHTML.
"use strict";

const $ = (id) => document.getElementById(id);

function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (k === "class") node.className = v;
    else if (k === "dataset") Object.assign(node.dataset, v);
    else if (k.startsWith("aria-")) node.setAttribute(k, v);
    else node[k] = v;
  }
  for (const child of children) if (child != null && child !== false) node.append(child);
  return node;
}

const isPdf = (hit) => /\.pdf$/i.test(hit.source);
const isMarkdown = (hit) => /\.(md|markdown)$/i.test(hit.source);

function fileName(source) {
  // Uploads are stored as <12 hex>-<name>: show the name.
  return source.split(/[\\/]/).pop().replace(/^[0-9a-f]{12}-/, "");
}

function clock(seconds) {
  const s = Math.floor(seconds), h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60);
  const mm = String(m).padStart(2, "0"), ss = String(s % 60).padStart(2, "0");
  return h ? `${h}:${mm}:${ss}` : `${mm}:${ss}`;
}

function where(hit) {
  const span = hit.span || {};
  const parts = [];
  if (span.page != null) parts.push("p. " + span.page);
  if (span.start != null) parts.push(clock(span.start) + (span.end != null ? "–" + clock(span.end) : ""));
  return parts.join(" ");
}

// The calibrated score is a probability-like relevance (0-1); other scores are shown as they are.
function relevance(hit) {
  const s = hit.score;
  if (typeof s !== "number") return "";
  return s >= 0 && s <= 1 ? "relevance " + Math.round(100 * s) + "%" : "score " + s.toFixed(3);
}

const mediaUrl = (path) => "/api/media?path=" + encodeURIComponent(path);
const thumbUrl = (path, page) => "/api/thumb?path=" + encodeURIComponent(path) +
  (page != null ? "&page=" + page : "");

// Where a citation opens: the PDF at its page, a recording at its (cited) second.
function openUrl(hit, second) {
  const span = hit.span || {};
  let url = mediaUrl(hit.source);
  if (isPdf(hit) && span.page != null) url += "#page=" + span.page;
  else if (second != null || span.start != null) url += "#t=" + (second != null ? second : span.start);
  return url;
}

// ---- text: the sentence an answer quoted, Markdown, words the transcriber guessed ------------
const squash = (s) => s.replace(/\s+/g, " ").trim();

// Words, and each Chinese character, lower-cased: what two sentences share.
const tokens = (s) => new Set((s.toLowerCase().match(/[\p{Script=Han}]|[\p{L}\p{N}]+/gu) || []));

// Where `quote` sits in `text` (whitespace-insensitive), or null. A generator that words the
// sentence its own way (an LLM) quotes nothing exactly: then the sentence of the text sharing
// most of the quote's words, if it shares at least half of them.
function locate(text, quote) {
  const flat = squash(text), q = squash(quote || "");
  if (q.length < 3) return null;
  const at = flat.indexOf(q);
  if (at >= 0) return { flat, at, end: at + q.length };
  const want = tokens(q);
  let best = null, bestShare = 0.5;
  for (const m of flat.matchAll(/[^.!?。！？]+[.!?。！？]*/g)) {
    const have = tokens(m[0]);
    const share = [...want].filter((t) => have.has(t)).length / (want.size || 1);
    if (share >= bestShare && (!best || share > bestShare)) {
      const lead = m[0].length - m[0].trimStart().length;
      best = { flat, at: m.index + lead, end: m.index + m[0].trimEnd().length };
      bestShare = share;
    }
  }
  return best;
}

// A recording's cited second: the sentence's place in the chunk's time span (chunks carry no
// per-word times, so this is proportional to the characters before it).
function citedSecond(hit, quote) {
  const span = hit.span || {};
  const found = locate(hit.text || "", quote);
  if (span.start == null || !found) return span.start;
  // the transcript's segments say where each starts (meta.times: [second, opening words]):
  // the last one to open at or before the quote
  let best = null;
  for (const [second, opening] of (hit.meta && hit.meta.times) || []) {
    const at = found.flat.indexOf(squash(opening));
    if (at >= 0 && at <= found.at + 1 && (best == null || at >= best.at)) best = { at, second };
  }
  if (best) return best.second;
  const end = span.end != null ? span.end : span.start;
  return Math.round(10 * (span.start + (end - span.start) * found.at / found.flat.length)) / 10;
}

// Markdown's marks are not the text: "# Tea" reads "Tea" (in the chunk and in the quote alike).
const unmark = (hit, text) => isMarkdown(hit) ? (text || "").replace(/^#{1,6}\s+/gm, "").replace(/[*`]/g, "") : text || "";

// The cited sentence with some context, highlighted; the chunk's opening, cut at a word, if none.
function snippet(hit, quote, room = 140) {
  const found = locate(unmark(hit, hit.text), unmark(hit, quote));
  const flat = found ? found.flat : squash(unmark(hit, hit.text));
  if (!found) {
    const cut = flat.length > 2 * room ? flat.slice(0, 2 * room).replace(/\s+\S*$/, "") + " …" : flat;
    return guessed(cut, hit);
  }
  let from = Math.max(0, found.at - room), to = Math.min(flat.length, found.end + room);
  if (from > 0) from = flat.indexOf(" ", from) + 1 || from;
  if (to < flat.length) to = Math.max(flat.lastIndexOf(" ", to), found.end);
  return [from > 0 ? "… " : "", ...guessed(flat.slice(from, found.at), hit),
    el("mark", { class: "quote" }, ...guessed(flat.slice(found.at, found.end), hit)),
    ...guessed(flat.slice(found.end, to), hit), to < flat.length ? " …" : ""];
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

// Markdown, the safe way: a few block and inline forms become elements, the rest stays text.
function inline(text) {
  const nodes = [];
  const pattern = /(\*\*[^*]+\*\*|`[^`]+`|\*[^*\s][^*]*\*|\[[^\]]+\]\([^)]+\))/g;
  let last = 0;
  for (const m of text.matchAll(pattern)) {
    nodes.push(text.slice(last, m.index));
    const t = m[0];
    if (t.startsWith("**")) nodes.push(el("strong", { textContent: t.slice(2, -2) }));
    else if (t.startsWith("`")) nodes.push(el("code", { textContent: t.slice(1, -1) }));
    else if (t.startsWith("[")) nodes.push(t.slice(1, t.indexOf("]")));  // links: their words only
    else nodes.push(el("em", { textContent: t.slice(1, -1) }));
    last = m.index + t.length;
  }
  nodes.push(text.slice(last));
  return nodes;
}

function markdown(text) {
  const out = [];
  let list = null;
  for (const block of text.split(/\n\s*\n/)) {
    for (const line of block.split("\n")) {
      const heading = /^(#{1,6})\s+(.*)$/.exec(line), item = /^\s*(?:[-*+]|\d+\.)\s+(.*)$/.exec(line);
      if (item) {
        if (!list) out.push(list = el("ul"));
        list.append(el("li", {}, ...inline(item[1])));
        continue;
      }
      list = null;
      if (heading) out.push(el("h" + Math.min(6, heading[1].length + 2), {}, ...inline(heading[2])));
      else if (line.trim()) {
        const last = out[out.length - 1];
        if (last && last.tagName === "P" && !last.dataset.closed) last.append(" ", ...inline(line));
        else out.push(el("p", {}, ...inline(line)));
      }
    }
    const last = out[out.length - 1];
    if (last) last.dataset.closed = "1";
    list = null;
  }
  return out;
}

// A card's text: Markdown marks dropped, an image's description replaced by its labels and OCR.
function plain(hit) {
  if (hit.modality === "image") return "";
  return unmark(hit, hit.text);
}

// ---- visuals: thumbnails, PDF pages, players -----------------------------------------------
function icon(hit) {
  return el("div", { class: "icon", "aria-hidden": "true",
                     textContent: isPdf(hit) ? "PDF" : hit.modality.toUpperCase() });
}

function thumbnail(hit, big = false) {
  const span = hit.span || {};
  let src = null;
  if (hit.modality === "image" || (hit.modality === "mesh" && hit.meta && hit.meta.path)) {
    src = thumbUrl((hit.meta && hit.meta.path) || hit.source);
  } else if (isPdf(hit)) {
    src = thumbUrl(hit.source, span.page != null ? span.page : 1);  // the cited page
  } else if (hit.meta && hit.meta.frames && hit.meta.frames.length) {
    src = thumbUrl(hit.meta.frames[0].path || hit.meta.frames[0]);
  }
  if (!src) return null;
  // a page's top, where its text starts, not its blank middle
  const kind = (big ? "big" : "thumb") + (isPdf(hit) ? " page" : "");
  const img = el("img", { class: kind, loading: "lazy",
                          alt: fileName(hit.source) + (span.page != null ? ", page " + span.page : ""), src });
  // a server without page pictures (or a file it cannot draw) answers 404: the preview shows
  // an icon, a card drops the picture (its badge already says what the file is)
  img.addEventListener("error", () => (big ? img.replaceWith(icon(hit)) : img.remove()), { once: true });
  return img;
}

function player(hit, start) {
  const span = hit.span || {};
  const kind = hit.modality === "video" ? "video" : "audio";
  start = start != null ? start : span.start || 0;
  const media = el(kind, { controls: true, preload: "metadata", src: mediaUrl(hit.source) + "#t=" + start,
                           "aria-label": "Play " + fileName(hit.source) + " from " + clock(start) });
  media.dataset.start = start;
  // The fragment starts playback there in most browsers; seeking makes sure of it.
  media.addEventListener("loadedmetadata", () => {
    if (Math.abs(media.currentTime - start) > 0.5) media.currentTime = start;
  }, { once: true });
  return media;
}

function visual(hit, start, big = false) {
  if (hit.modality === "audio" || hit.modality === "video") return player(hit, start);
  return big && isPdf(hit) ? onPage(hit, thumbnail(hit, big)) : thumbnail(hit, big);
}

// A PDF passage's rectangles (meta.boxes: PDF points from the page's bottom-left, with
// meta.page_size) drawn over the page's picture, in shares of the page so that they follow
// the picture at any size. OCR'd pages carry them too (from the OCR line boxes).
function onPage(hit, img) {
  const meta = hit.meta || {};
  const [w, h] = meta.page_size || [];
  if (!img || !w || !h || !(meta.boxes || []).length) return img;
  const pct = (v) => (100 * v).toFixed(2) + "%";
  const marks = meta.boxes.map(([l, b, r, t]) => el("span", { class: "page-mark",
    "aria-hidden": "true", style: `left:${pct(l / w)};top:${pct((h - t) / h)};` +
    `width:${pct((r - l) / w)};height:${pct((t - b) / h)}` }));
  const frame = el("div", { class: "page-frame", title: "the passage on its page" }, img, ...marks);
  img.addEventListener("error", () => frame.replaceWith(icon(hit)), { once: true });
  return frame;
}

function chips(hit) {
  const labels = (hit.meta && hit.meta.labels) || [];
  if (!labels.length) return null;
  return el("ul", { class: "chips", "aria-label": "labels" }, ...labels.map((l) => el("li", {
    textContent: l.name, title: (l.zh ? l.zh + " · " : "") + "p " + l.p })));
}

function ocr(hit) {
  const text = hit.meta && hit.meta.ocr && hit.meta.ocr.trim();
  return text ? el("p", { class: "ocr" }, el("span", { class: "muted", textContent: "Text in image: " }), text) : null;
}

// ---- cards and the preview ------------------------------------------------------------------
// Below this calibrated relevance a hit is shown as a weak match. It is not hidden: correct
// image hits in Chinese often score below it (docs/benchmarks.md), a floor is the user's choice.
const WEAK = 0.05;
const isWeak = (hit) => typeof hit.score === "number" && hit.score >= 0 && hit.score < WEAK;

function card(hit, onPreview) {
  const title = el("a", { class: "title", href: openUrl(hit), target: "_blank", rel: "noopener",
                          textContent: fileName(hit.source), title: hit.source });
  const head = el("div", { class: "head" },
    hit.n != null ? el("span", { class: "badge", textContent: "[" + hit.n + "]" }) : null,
    el("span", { class: "badge", textContent: isPdf(hit) ? "pdf" : hit.modality }), title,
    where(hit) ? el("span", { class: "where", textContent: where(hit) }) : null);
  const text = plain(hit);
  const node = el("article", { class: isWeak(hit) ? "card weak" : "card", dataset: { modality: hit.modality } },
    head, visual(hit), chips(hit), ocr(hit),
    text ? el("p", { class: "text" }, ...guessed(text, hit)) : null,
    el("div", { class: "foot" }, el("span", { class: "score", textContent: relevance(hit) }),
      isWeak(hit) ? el("span", { class: "badge weak-badge", textContent: "weak match" }) : null,
      el("button", { type: "button", class: "preview-btn", textContent: "Preview",
                     "aria-label": "Preview " + fileName(hit.source) + " " + where(hit),
                     onclick: () => onPreview(hit, node) })));
  return node;
}

function preview(hit, quote) {
  const start = hit.modality === "audio" || hit.modality === "video" ? citedSecond(hit, quote) : null;
  const body = [
    el("p", {}, el("a", { href: openUrl(hit, start), target: "_blank", rel: "noopener",
                          textContent: "Open " + fileName(hit.source) }),
      " ", el("span", { class: "muted", textContent: [where(hit), relevance(hit)].filter(Boolean).join(" · ") })),
    visual(hit, start, true), chips(hit), ocr(hit),
  ];
  if (start != null && (hit.span || {}).start != null && start !== hit.span.start) {
    body.push(el("p", { class: "muted small", textContent: "The player starts at the cited sentence, about " + clock(start) + "." }));
  }
  if (hit.modality !== "image") {
    const found = quote && locate(hit.text || "", quote);
    body.push(found || !isMarkdown(hit)
      ? el("div", { class: "full" }, ...snippet(hit, quote, 100000))
      : el("div", { class: "full markdown" }, ...markdown(hit.text || "")));
  }
  return body;
}
