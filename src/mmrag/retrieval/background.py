"""Keeping an index's calibration current: which spaces its hits come from, a background
sample of each drawn from the store, redrawn when the index has grown or shrunk by a
tenth, saved beside the manifest (:mod:`.calibration` says what it is for)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from ..cache import cached_array
from ..embedders import ImageBackground, describe, embed_texts, normalise
from ..stores.capabilities import Capabilities
from ..stores.filters import Filter
from ..text.tokenize import language
from ..types import MODALITIES
from .calibration import REFERENCES, SAMPLE, Background, Calibration
from .topicality import MIN_SAMPLE, probe_spread


def spaces(store: Any, capabilities: Any) -> dict[str, int]:
    """The spaces an index's hits come from and their sizes: each modality it holds, and
    images' ``alt:text`` / ``alt:average`` vectors where it keeps them."""
    out = {m: n for m in MODALITIES if (n := store.count(Filter(modalities=(m,))))}
    if capabilities.alt is not None and "image" in out:
        for kind in ("text", "average"):
            if capabilities.alt.has_alt(kind):
                out[f"alt:{kind}"] = out["image"]
    return out


TEXT_LIKE = ("text", "audio", "video", "alt:text")  # embedded as text by the text model
REFERENCE_IMAGES = 256


def reference_sentences() -> list[str]:
    path = Path(__file__).with_name("data") / "reference.txt"
    lines = path.read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def reference_texts(embedder: Any) -> np.ndarray:
    """The reference sentences' vectors, made once per embedder and kept in the cache:
    every redraw of a small index's calibration wanted them, 120 sentences through the
    text model (a CLI ingest of 40 photos spent as long on them as on the photos' own text)."""
    sentences = reference_sentences()
    key = {"embedder": describe(embedder), "sentences": sentences, "role": "document"}
    return cached_array(f"references-{embedder.name}", key,
                        lambda: embed_texts(embedder, sentences, "document"))


def probe_queries(embedder: Any) -> dict[str, np.ndarray]:
    """The reference sentences embedded as queries, by language (kept in the cache): the
    off-subject queries whose spread :mod:`.topicality` compares a query's with."""
    sentences = reference_sentences()
    key = {"embedder": describe(embedder), "sentences": sentences, "role": "query"}
    vectors = cached_array(f"probes-{embedder.name}", key,
                           lambda: embed_texts(embedder, sentences, "query"))
    langs = np.array([language(s) for s in sentences])
    return {lang: vectors[langs == lang] for lang in ("en", "zh")}


def references(embedder: Any, wanted: Iterable[str]) -> dict[str, np.ndarray]:
    """Vectors of unrelated content per space: everyday sentences for spaces the text
    model embeds, random image-class mixtures where the embedder can make them (ConSE),
    the mean of the two for images' "average" vectors."""
    wanted = set(wanted)
    out: dict[str, np.ndarray] = {}
    text = (reference_texts(embedder) if wanted & {*TEXT_LIKE, "alt:average"} else None)
    images = (embedder.background_images(REFERENCE_IMAGES)
              if isinstance(embedder, ImageBackground) and wanted & {"image", "mesh",
                                                                       "alt:average"}
              else None)
    for space in wanted:
        if space in TEXT_LIKE and text is not None:
            out[space] = text
        elif space in ("image", "mesh") and images is not None:
            out[space] = images
        elif space == "alt:average" and text is not None and images is not None:
            n = min(len(text), len(images))
            out[space] = normalise(text[:n] + images[:n])
    return out


def draw(samples: Any, counts: Mapping[str, int], previous: Calibration, embedder: Any,
         seed: int = 0) -> Calibration:
    """A new background sample of every space, keeping ``previous``' model, floor and
    topicality bar."""
    drawn = {}
    refs = references(embedder, counts)
    probes = None
    for space in counts:
        count, vectors = samples.sample_vectors(space, SAMPLE, seed)
        if count:
            empty = np.zeros((0, vectors.shape[1] if vectors.ndim == 2 else 0), np.float32)
            if probes is None and len(vectors) >= MIN_SAMPLE:
                probes = probe_queries(embedder)
            drawn[space] = Background(count, vectors, refs.get(space, empty),
                                      probe_spread(vectors, probes or {}))
    return replace(previous, spaces=drawn, references=REFERENCES)


def rereferenced(calibration: Calibration, embedder: Any) -> Calibration:
    """``calibration`` with its references made anew by this mmrag (its samples kept): an
    index saved by an older one is judged as a new one is, without a write."""
    refs = references(embedder, calibration.spaces)
    large = any(len(b.vectors) >= MIN_SAMPLE for b in calibration.spaces.values())
    probes = probe_queries(embedder) if large else {}
    spaces = {s: replace(b, reference=refs.get(s, b.reference),
                         spread=probe_spread(b.vectors, probes))
              for s, b in calibration.spaces.items()}
    return replace(calibration, spaces=spaces, references=REFERENCES)


class CalibrationKeeper:
    """The calibration of one open index: loaded once, redrawn after writes that moved
    the index enough. Calling it gives the current one (what retrievers hold)."""

    def __init__(self, index_dir: Path, store: Any, embedder: Any,
                 capabilities: Capabilities, entry: Mapping[str, Any] | None):
        self.index_dir = index_dir
        self.embedder = embedder
        self.store = store
        self.capabilities = capabilities
        self.current = Calibration.load(index_dir, entry)
        if self.current and self.current.references < REFERENCES:
            self.current = rereferenced(self.current, embedder)

    def __call__(self) -> Calibration:
        return self.current

    def refresh(self, force: bool = False) -> bool:
        """Redraw the background if the index changed enough (the caller holds the
        index's write lock); True if it did. A store that cannot sample keeps none."""
        from ..index import update_manifest

        samples = self.capabilities.samples
        if samples is None:
            return False
        counts = spaces(self.store, self.capabilities)
        if not force and not self.current.stale(counts):
            return False
        self.current = draw(samples, counts, self.current, self.embedder)
        update_manifest(self.index_dir, calibration=self.current.save(self.index_dir))
        return True
