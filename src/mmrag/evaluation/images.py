"""Image evaluations for ``mmrag eval`` over the caption and class datasets that
:mod:`mmrag.evaluation.datasets` reads.

Captions: the images are ingested; each caption is a text->image query (its image is the
one relevant item), scored per strategy (shared, text, average, ...), and each image is an
image->text query over the captions of the split, ingested as small text files. When the
folder has spoken captions (``tts_mp3/`` or ``speech/``, one recording per image named by
its id), each is transcribed by the speech model and searched: speech->image.
Classes: the images are ingested; zero-shot top-1 ranks the class prompts ("a photo of a
{class}" and its Chinese template when given) against each image's stored vector, beside
WordNet's summed probabilities and both as experts (:mod:`mmrag.vision.zeroshot`), and
image->image precision@10 counts neighbours (by the image features) of the same class.
"""

from __future__ import annotations

import random
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from ..embedders import Adaptable, ImageEncoding, ImageFeaturizer, VisionModels, embed_texts
from ..errors import ConfigError
from ..pipeline import Pipeline
from ..stores.filters import Filter
from ..types import Content
from .datasets import Captions, Classes
from .ranked import ranked_hits

IMAGES = Filter(modalities=("image",))

Progress = Callable[[str, int, int], None]


def _recall(ranks: list[int]) -> dict[str, float]:
    arr = np.array(ranks)
    out = {f"recall@{k}": float(np.mean((arr >= 1) & (arr <= k))) for k in (1, 5, 10)}
    out["mrr@10"] = float(np.mean([1.0 / r if 1 <= r <= 10 else 0.0 for r in ranks]))
    return out


def run_captions(data: Captions, index_dir: Path, workdir: Path, config: Any,
                 progress: Progress | None) -> dict[str, Any]:
    images = sorted(data.captions)
    if config.limit:
        images = sorted(random.Random(config.seed).sample(images, min(config.limit, len(images))))
    corpus = workdir / "images"
    corpus.mkdir(parents=True, exist_ok=True)
    for name in images:
        target = corpus / name
        if not target.exists():  # a copy: ingest follows no file link out of its folder
            shutil.copyfile(data.images_dir / name, target)
    rag = Pipeline.open(index_dir, embedder=config.embedder, create=True)
    report = rag.ingest([corpus], (lambda d, t, p: progress("ingest", d, t)) if progress else None)
    results: dict[str, Any] = {
        "dataset": str(data.path), "kind": "captions", "images": len(images),
        "captions": sum(len(data.captions[i]) for i in images), "embedder": rag.embedder.name,
        "ingest_seconds": report.seconds, "ingest_errors": report.errors, "strategies": {},
    }
    spoken: dict[str, list[str]] = {}
    if data.speech and config.transcriber != "none":
        spoken, results["speech"] = _transcribe(data, images, config.transcriber, progress)
    for strategy in config.strategies:
        results["strategies"][f"t->i {strategy}"] = _text_to_image(
            rag, data.captions, images, strategy, progress)
    for strategy in config.strategies if spoken else ():
        results["strategies"][f"s->i {strategy}"] = _text_to_image(
            rag, spoken, images, strategy, progress, "s->i")
    if "image" in rag.embedder.modalities:
        results["strategies"]["i->t shared"] = _image_to_text(rag, data, images)
    if config.align_pairs:
        results["align"] = _with_adapter(rag, config, set(images), progress, lambda tag: {
            **{f"t->i {s} {tag}": _text_to_image(rag, data.captions, images, s, progress)
               for s in config.strategies},
            **{f"s->i {s} {tag}": _text_to_image(rag, spoken, images, s, progress, "s->i")
               for s in (config.strategies if spoken else ())},
            f"i->t shared {tag}": _image_to_text(rag, data, images),
        }, results["strategies"])
    return results


def _transcribe(data: Captions, images: list[str], transcriber: str,
                progress: Progress | None) -> tuple[dict[str, list[str]], dict[str, Any]]:
    """Each evaluated image's spoken caption as text, by the speech model ingest uses."""
    from ..speech import transcribe_text

    heard: dict[str, list[str]] = {}
    started = time.perf_counter()
    todo = [i for i in images if i in data.speech]
    for n, image in enumerate(todo, 1):
        text = transcribe_text(data.speech[image], transcriber).strip()
        if text:
            heard[image] = [text]
        if progress:
            progress("speech", n, len(todo))
    return heard, {"transcriber": transcriber, "recordings": len(todo), "heard": len(heard),
                   "seconds": time.perf_counter() - started,
                   "examples": {i: heard[i][0] for i in list(heard)[:3]}}


def _with_adapter(rag: Pipeline, config: Any, evaluated: set[str], progress: Progress | None,
                  measure: Callable[[str], dict[str, Any]],
                  into: dict[str, Any]) -> dict[str, Any]:
    """Train an adapter on the pairs whose images are not evaluated, measure with it mixed
    into ConSE ("+align") and alone ("adapter"), then remove it from the index."""
    from ..align import align, remove_adapter, revector_images

    pairs = [p for p in config.align_pairs if Path(p[0]).name not in evaluated]
    info = align(rag, pairs, progress=progress)
    info["pairs_dropped_as_evaluated"] = len(config.align_pairs) - len(pairs)
    into.update(measure("+align"))
    if isinstance(rag.embedder, Adaptable):
        rag.embedder.adapter.mix = 1.0
    revector_images(rag)
    into.update(measure("adapter"))
    remove_adapter(rag)
    return info


def _text_to_image(rag: Pipeline, queries: dict[str, list[str]], images: list[str],
                   strategy: str, progress: Progress | None,
                   direction: str = "t->i") -> dict[str, Any]:
    """Each query of an image (its captions, or its spoken caption's transcript) searches
    the images; the rank of its own image is scored."""
    ranks, seconds, nothing = [], [], []
    for n, image in enumerate(images, 1):
        for caption in queries.get(image, []):
            started = time.perf_counter()
            hits, judged_off = ranked_hits(rag, caption, 10, where=IMAGES, strategy=strategy)
            seconds.append(time.perf_counter() - started)
            nothing.append(judged_off)
            names = [Path(h.source).name for h in hits]
            ranks.append(names.index(image) + 1 if image in names else 0)
        if progress:
            progress(f"{direction} {strategy}", n, len(images))
    ms = np.array(seconds) * 1000
    return {
        **_recall(ranks),
        "nothing_found": float(np.mean(nothing)) if nothing else 0.0,
        "latency": {"p50_ms": float(np.percentile(ms, 50)),
                    "p95_ms": float(np.percentile(ms, 95))},
        "latencies_ms": ms.tolist(),
    }


def _image_to_text(rag: Pipeline, data: Captions, images: list[str]) -> dict[str, Any]:
    """Rank the split's captions for each image, by the image's vector in the text space."""
    texts = [(image, c) for image in images for c in data.captions[image]]
    vectors = embed_texts(rag.embedder, [c for _, c in texts], "document")
    ranks, seconds = [], []
    for image in images:
        started = time.perf_counter()
        query = Content("image", path=str(data.images_dir / image))
        q = rag.embedder.embed([query], role="query")[0]
        order = np.argsort(-(vectors @ q))[:10]
        seconds.append(time.perf_counter() - started)
        owners = [texts[i][0] for i in order]
        ranks.append(owners.index(image) + 1 if image in owners else 0)
    ms = np.array(seconds) * 1000
    return {**_recall(ranks), "latency": {"p50_ms": float(np.percentile(ms, 50)),
                                          "p95_ms": float(np.percentile(ms, 95))},
            "latencies_ms": ms.tolist()}


def run_classes(data: Classes, index_dir: Path, workdir: Path, config: Any,
                progress: Progress | None) -> dict[str, Any]:
    per_class = config.limit or 50
    corpus = workdir / "classes"
    labels: dict[str, str] = {}
    for cls, files in data.files.items():
        (corpus / cls).mkdir(parents=True, exist_ok=True)
        for f in files[:per_class]:
            target = corpus / cls / f.name
            if not target.exists():
                # a copy, not a link: ingest follows no file link out of its folder
                shutil.copyfile(f, target)
            labels[f"{cls}/{f.name}"] = cls
    rag = Pipeline.open(index_dir, embedder=config.embedder, create=True)
    report = rag.ingest([corpus], (lambda d, t, p: progress("ingest", d, t)) if progress else None)
    records = [r for r in rag.sources() if r.chunks]
    key = {r.source: "/".join(Path(r.source).parts[-2:]) for r in records}
    classes = sorted(data.files)
    items = _stored_images(rag)
    truths = [labels.get(key.get(h.source, "")) for h in items]
    items = [h for h, t in zip(items, truths, strict=True) if t is not None]
    truths = [t for t in truths if t is not None]

    def similarity() -> np.ndarray:
        # each image's stored vector against the class prompts: text->image in one space
        prompts = embed_texts(rag.embedder, [f"a photo of a {c}." for c in classes], "query")
        return rag.store.vectors([h.id for h in items]) @ prompts.T

    def top1(scores: np.ndarray) -> float:
        guess = np.argmax(scores, axis=1) if len(items) else np.zeros(0, int)
        hits = [classes[g] == t for g, t in zip(guess, truths, strict=True)]
        return float(np.mean(hits)) if hits else 0.0

    def zero_shot(tag: str) -> dict[str, Any]:
        return {f"shared {tag}".strip(): {"zero_shot_top1": top1(similarity()),
                                          "latency": {"p50_ms": 0.0, "p95_ms": 0.0},
                                          "latencies_ms": [0.0]}}

    rows = [{"id": h.id, "source": h.source} for h in items]
    results: dict[str, Any] = {
        "dataset": str(data.path), "kind": "classes", "images": len(items),
        "classes": len(classes),
        "embedder": rag.embedder.name, "ingest_seconds": report.seconds, "strategies": {},
    }
    by_vectors = similarity()
    metrics: dict[str, Any] = {"zero_shot_top1": top1(by_vectors)}
    if isinstance(rag.embedder, ImageEncoding) and isinstance(rag.embedder, VisionModels):
        # by WordNet: each class's summed ImageNet probability ("dog" = every breed), and
        # both views as experts (vision.zeroshot), beside the vectors' figure
        from ..vision.zeroshot import TEMPERATURE, combined_scores

        summed = _concept_probs(rag, items, classes)
        adapter = rag.embedder.adapter if isinstance(rag.embedder, Adaptable) else None
        temperature = float((adapter.info if adapter else {}).get("temperature", TEMPERATURE))
        metrics["zero_shot_top1_wordnet"] = top1(summed)
        metrics["zero_shot_top1_combined"] = top1(combined_scores(by_vectors, summed,
                                                                  temperature))
    if isinstance(rag.embedder, ImageFeaturizer) and "image" in rag.embedder.modalities:
        precisions: list[float] = []
        seconds: list[float] = []
        for n, row in enumerate(rows[: min(len(rows), 200)], 1):
            truth = labels.get(key.get(row["source"], ""))
            source = Path(corpus / key[row["source"]])
            started = time.perf_counter()
            found = rag.search_image(source, 11)
            seconds.append(time.perf_counter() - started)
            others = [h for h in found if h.source != row["source"]][:10]
            same = [labels.get(key.get(h.source, "")) == truth for h in others]
            precisions.append(sum(same) / len(same) if same else 0.0)
            if progress:
                progress("i->i", n, min(len(rows), 200))
        metrics["image_p@10"] = float(np.mean(precisions)) if precisions else 0.0
        ms = np.array(seconds or [0.0]) * 1000
        metrics["latency"] = {"p50_ms": float(np.percentile(ms, 50)),
                              "p95_ms": float(np.percentile(ms, 95))}
        metrics["latencies_ms"] = ms.tolist()
    else:
        metrics["latency"] = {"p50_ms": 0.0, "p95_ms": 0.0}
        metrics["latencies_ms"] = [0.0]
    results["strategies"]["shared"] = metrics
    if config.align_pairs:
        results["align"] = _with_adapter(rag, config, set(), progress, zero_shot,
                                         results["strategies"])
    return results


def _concept_probs(rag: Pipeline, items: list[Any], classes: list[str],
                   batch: int = 64) -> np.ndarray:
    """(images, classes): each class name's summed ImageNet probability (WordNet)."""
    from ..vision.hierarchy import concept_probs, resolve

    embedder: Any = rag.embedder
    members = resolve([c.replace("_", " ") for c in classes], embedder)
    parts = [np.zeros((0, len(classes)), np.float32)]
    for start in range(0, len(items), batch):
        part = items[start:start + batch]
        encoded = embedder.with_encodings([Content("image", path=h.source) for h in part])
        probs = np.concatenate([c.encoded.probs for c in encoded])
        parts.append(concept_probs(probs, members))
    return np.concatenate(parts)


def _stored_images(rag: Pipeline) -> list[Any]:
    items = rag.capabilities.items
    if items is None:
        raise ConfigError(f"zero-shot evaluation reads every stored image; the "
                          f"{getattr(rag.store, 'name', '')} store cannot list them: "
                          f"evaluate with --store lancedb")
    return list(items.items("image"))
