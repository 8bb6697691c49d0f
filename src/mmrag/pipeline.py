"""The facade: opens an index with its parts and hands work to them. No logic of its own.

Ranking lives in :mod:`mmrag.retrieval` (strategies by name, image and shape search),
ingest in :mod:`mmrag.ingest`, the index's manifest in :mod:`mmrag.index`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from . import vocab
from .config import IndexConfig
from .embedders import Embedder, ImageFeaturizer, embed_query, embedders
from .errors import ConfigError, busy
from .generators import Generator, StreamingGenerator, generators
from .generators.abstain import abstention
from .index import open_index, read_manifest, write_lock
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
from .retrieval import DEFAULT_STRATEGY, Retriever, StrategyContext, strategies
from .retrieval.background import CalibrationKeeper
from .retrieval.calibration import above
from .retrieval.hybrid import hybrid_options
from .retrieval.image import ImageRetriever
from .retrieval.shape import ShapeRetriever
from .retrieval.topicality import answered
from .speech import DEFAULT_TRANSCRIBER
from .stores import SourceRecord, Store
from .stores.capabilities import Capabilities
from .stores.filters import Filter
from .stores.inner import outer_of
from .text.tokenize import language
from .types import Answer, Hit


class Pipeline:
    def __init__(
        self,
        index_dir: Path,
        embedder: Embedder,
        store: Store,
        generator: Generator,
        config: IndexConfig = IndexConfig(),
        *,
        reranker: Reranker | None = None,
        refiner: Refiner | None = None,
        rerank_depth: int = 20,
        strategy: str = DEFAULT_STRATEGY,
        fusion: Mapping[str, Any] | None = None,
        hybrid: Mapping[str, Any] | None = None,
        min_relevance: float | None = None,
    ):
        self.index_dir = index_dir
        self.embedder = embedder
        self.generator = generator
        self.config = config
        self.reranker = reranker
        self.refiner = refiner or refiners.create("none")
        self.rerank_depth = rerank_depth
        self._hybrid = hybrid_options(dict(hybrid or {}), f"{index_dir}/mmrag.json")
        self._fusion = dict(fusion or {})
        # hits below this calibrated relevance are not returned (None: the index's floor)
        self.min_relevance = min_relevance
        self.strategy = strategy
        self.store = store  # builds the default strategy's retriever, or refuses the name

    @property
    def store(self) -> Store:
        return self._store

    @store.setter
    def store(self, store: Store) -> None:
        """Everything built on the store follows it: what it keeps beside chunks and
        vectors (found once, here) and the strategies' retrievers."""
        self._store = store
        self.capabilities = Capabilities.of(store)
        manifest = read_manifest(self.index_dir) or {}
        self.calibration = CalibrationKeeper(self.index_dir, store, self.embedder,
                                             self.capabilities, manifest.get("calibration"))
        self._context = StrategyContext(store, self.embedder, self.capabilities,
                                        hybrid=self._hybrid, fusion=self._fusion,
                                        calibration=self.calibration)
        self._retrievers: dict[str, Retriever] = {}
        self.retriever(self.strategy)

    @classmethod
    def open(
        cls,
        index_dir: str | Path | None = None,
        *,
        embedder: str | None = None,
        embedder_options: dict[str, object] | None = None,
        config: IndexConfig | None = None,
        create: bool = False,
        store: str | None = None,
        store_uri: str | None = None,
        generator: str = "extractive",
        generator_options: dict[str, object] | None = None,
        reranker: str | None = None,
        reranker_options: dict[str, object] | None = None,
        refiner: str = "extractive",
        refiner_options: dict[str, object] | None = None,
        strategy: str | None = None,
    ) -> Pipeline:
        """Open the index at ``index_dir`` (default ``$MMRAG_INDEX`` or ``./.mmrag``).

        ``embedder`` None means the one the index was built with (conse for a new index),
        ``embedder_options`` its factory's options for a new index. ``config`` says how a
        new index is built (an existing one refuses a different one; None: its own).
        ``create`` makes a new index if there is none; otherwise a missing index is an error.
        ``store`` (``lancedb``, ``milvus``, ``milvus:URI`` or ``milvus://host:port``) and
        ``store_uri`` pick where a new index keeps its chunks. Stages are named from their
        registries; ``*_options`` go to their factories.
        """
        opened = open_index(index_dir, embedder=embedder, embedder_options=embedder_options,
                            config=config, create=create, store=store, store_uri=store_uri)
        emb, kept, manifest = opened.embedder, opened.store, opened.manifest
        rer = (
            rerankers.create(reranker, embedder=emb, store=kept, **(reranker_options or {}))
            if reranker
            else None
        )
        return cls(
            opened.path, emb, kept,
            generators.create(generator, embedder=emb, **(generator_options or {})),
            opened.config, reranker=rer,
            refiner=refiners.create(refiner, embedder=emb, **(refiner_options or {})),
            strategy=strategy or manifest.get("strategy", DEFAULT_STRATEGY),
            fusion=manifest.get("fusion"), hybrid=manifest.get("hybrid"),
        )

    @property
    def chunker(self) -> Any:
        return self.config.chunker

    @property
    def strategy_vectors(self) -> bool:
        return self.config.strategy_vectors

    # -- ingest ---------------------------------------------------------------------------
    def ingest(
        self,
        paths: Sequence[str | Path],
        on_progress: ProgressCallback | None = None,
        on_file_progress: FileProgressCallback | None = None,
        *,
        transcriber: str = DEFAULT_TRANSCRIBER,
        batch_chunks: int = 256,
        tags: Sequence[str] = (),
        retranscribe: bool = False,
    ) -> IngestReport:
        """``retranscribe``: also redo the recordings transcribed with another vocabulary
        or model than the index's (:mod:`mmrag.vocab`)."""
        ingestor = self.ingestor(transcriber=transcriber, batch_chunks=batch_chunks, tags=tags,
                                 retranscribe=retranscribe)
        with write_lock(self.index_dir):
            self.store.refresh()
            report = ingestor.run(paths, on_progress, on_file_progress)
            self.calibration.refresh()  # the background follows the index as it grows
            return report

    def ingestor(
        self, *, transcriber: str = DEFAULT_TRANSCRIBER, batch_chunks: int = 256,
        tags: Sequence[str] = (), retranscribe: bool = False,
    ) -> Ingestor:
        """The ingest job for this index (``ingest`` runs it; Ray ingest splits it)."""
        return Ingestor(
            self.store, self.embedder, self.config, batch_chunks=batch_chunks,
            skip=[self.index_dir], media_dir=self.index_dir / "media", transcriber=transcriber,
            tags=tags, **vocab.ingest_options(self.index_dir, self.store, retranscribe),
        )

    def delete(self, path: str | Path, *, wait: bool | float = True) -> list[SourceRecord]:
        """``wait``: seconds to wait for a running ingest (True: as long as it takes); past
        them a :class:`BusyError`."""
        with write_lock(self.index_dir, wait) as taken:
            if not taken:
                raise busy(self.index_dir)
            self.store.refresh()
            target = safe_str(Path(path).expanduser().resolve())
            outer = outer_of(target)
            if outer is not None and self.store.source(target) is not None:
                # it would come back only when its mail changes: the two go together
                raise ConfigError(f"{path} is an attachment of {outer}: delete the mail "
                                  "(its attachments go with it)")
            gone = self.store.delete(target)
            drop_media(self.index_dir / "media", [r.hash for r in gone], self.store)
            self.calibration.refresh()
            return gone

    def sources(self) -> list[SourceRecord]:
        return self.store.sources()

    # -- queries --------------------------------------------------------------------------
    def search(
        self, query: str, k: int = 10, *, where: Filter | None = None,
        strategy: str | None = None, min_relevance: float | None = None,
    ) -> list[Hit]:
        """Hits by calibrated relevance; none below ``min_relevance`` (default: the floor)."""
        k = self._depth(k)
        depth = max(k, self.rerank_depth) if self.reranker else k
        floor = self.floor if min_relevance is None else min_relevance
        hits = above(self.retriever(strategy).retrieve(query, depth, _cut(where)), floor)
        # a floor asked for by the caller replaces the default judgement, 0 keeps everything
        if min_relevance is None and self.min_relevance is None and not self._on_subject(
                query, hits):
            return []
        return self.reranker.rerank(query, hits)[:k] if self.reranker else hits

    def _on_subject(self, query: str, hits: list[Hit]) -> bool:
        """Whether the index holds anything on the query's subject (:mod:`.topicality`)."""
        if not hits or any("relevance" not in h.scores for h in hits):
            return True  # nothing to cut, or a strategy that does not calibrate
        calibration = self.calibration()
        topical = calibration.topicality(embed_query(self.embedder, query), language(query))
        return answered(hits, topical, floor=calibration.topical)

    @property
    def floor(self) -> float:
        """The calibrated relevance below which hits are not returned."""
        return self.calibration().floor if self.min_relevance is None else self.min_relevance

    def search_image(
        self, image: str | Path, k: int = 10, *, where: Filter | None = None,
        text: str | None = None,
    ) -> list[Hit]:
        """Search with an image file (and optionally words): see
        :class:`mmrag.retrieval.image.ImageRetriever`."""
        _positive(k)
        if not isinstance(self.embedder, ImageFeaturizer) or \
                "image" not in self.embedder.modalities:
            raise ConfigError(
                f"embedder {self.embedder.name!r} reads no images; build the index with "
                f"an image embedder (available: {embedders.names()})"
            )
        caps = self.capabilities
        retriever = ImageRetriever(self.store, self.embedder, self.embedder, caps.images,
                                   caps.items)
        return retriever.retrieve(str(image), k, where, text=text)

    def search_mesh(
        self, mesh: str | Path, k: int = 10, *, where: Filter | None = None
    ) -> list[Hit]:
        """Search with a 3D model file: the indexed models nearest in shape (3D->3D)."""
        _positive(k)
        caps = self.capabilities
        if caps.shapes is None or caps.items is None:
            raise ConfigError(
                f"the {getattr(self.store, 'name', 'configured')!r} store keeps no shape "
                "descriptors; 3D->3D search needs an index on the lancedb store "
                "(text and image search find 3D models on any store)"
            )
        retriever = ShapeRetriever(caps.shapes, caps.items, self.config.mesh)
        return retriever.retrieve(str(mesh), k, where)

    def ask(
        self, question: str, k: int = 5, *, where: Filter | None = None,
        strategy: str | None = None, min_relevance: float | None = None,
    ) -> Answer:
        return self.answer(question, self.search(question, k, where=where, strategy=strategy,
                                                 min_relevance=min_relevance))

    def answer(
        self, question: str, hits: list[Hit], on_token: Callable[[str], None] | None = None
    ) -> Answer:
        """Answer from hits already retrieved. ``on_token`` receives the answer's text as a
        generator that can stream produces it (a preview: the returned answer is final)."""
        if not hits:  # nothing relevant: say so, whatever the generator, citing nothing
            return abstention(question, self.generator.name)
        context = self.refiner.refine(question, hits)
        if on_token is not None and isinstance(self.generator, StreamingGenerator):
            answer = self.generator.stream(question, context, on_token)
        else:
            answer = self.generator.generate(question, context)
        answer.stats.update(compression(hits, context))
        return answer

    def retriever(self, strategy: str | None = None) -> Retriever:
        """The retriever of a registered strategy, built once per pipeline."""
        name = strategy or self.strategy
        if name not in self._retrievers:
            self._retrievers[name] = strategies.get(name)(self._context)
        return self._retrievers[name]

    def _depth(self, k: int) -> int:
        _positive(k)
        return min(k, max(self.store.count(), 1))


def _positive(k: int) -> None:
    if k < 1:
        raise ConfigError(f"k must be a positive number of hits, got {k}")


def _cut(where: Filter | None) -> Filter | None:
    """No filter for an empty one (stores then skip the WHERE clause)."""
    return where if where is not None and where.sql() else None
