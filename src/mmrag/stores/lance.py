"""LanceDB embedded store: one directory with vectors, metadata and a full-text index.

BM25 runs on LanceDB's native full-text index over a column of pre-segmented tokens
(whitespace tokenizer), so Chinese words segmented by rjieba are matched as words. Past
``ann_threshold`` rows an HNSW graph replaces the flat scan (see ``lance_indexes``). Image
items' other vectors and per-item features live in side tables (``lance_tables``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np

from ..types import Chunk, Hit
from . import SideRows, SourceRecord, inner, lance_journal, stores
from . import lance_indexes as indexes
from . import lance_reads as reads
from .filters import Filter, quote
from .lance_items import Items, sample_space
from .lance_items import hit as _hit
from .lance_phonetic import PhoneticKeys
from .lance_tables import AltVectors, FeatureTables
from .rows import bm25_query, in_list, record


@stores.register("lancedb")
class LanceStore:
    name = "lancedb"

    def __init__(
        self,
        path: str | Path,
        dim: int,
        *,
        ann_threshold: int = 5000,
        nprobes: int = 20,
        ef: int = 400,
        refine_factor: int = 50,
        sq_refine: int = 2,
    ):
        self._lancedb, self._pa = indexes.modules()
        self.path = Path(path)
        self.dim = dim
        self.ann_threshold = ann_threshold
        self.nprobes = nprobes
        self.ef = ef
        self.refine_factor = refine_factor  # only for IVF_PQ indexes (older mmrag)
        # HNSW-SQ: twice the candidates, re-scored on the full vectors; the 8-bit vectors'
        # error, not the graph, held recall@10 at 100k to 0.944 (0.976 with 2, ~+1.3 ms)
        self.sq_refine = sq_refine
        self._pq: bool | None = None  # whether the vector index is IVF_PQ, looked up once
        # Readers (a server, a search during an ingest) see other processes' writes within
        # a second; writers call refresh() under the index's write lock to see them at once.
        self._db = self._lancedb.connect(
            str(self.path), read_consistency_interval=timedelta(seconds=1)
        )
        self._chunks, self._sources = indexes.open_tables(self._db, self.path, self._pa, dim)
        self._alt_vectors = AltVectors(self._db, self._pa, dim)
        self._features = FeatureTables(self._db, self._pa)
        self._items = Items(self._chunks, self._pa, dim)
        self.journal = lance_journal.Journal(self.path)
        self._phonetic = PhoneticKeys(self._db, self._pa)  # transcripts' sound-alike keys

    def _chunk_schema(self) -> Any:
        return indexes.chunk_schema(self._pa, self.dim)

    # -- writes ---------------------------------------------------------------------------
    def write(
        self, records: Sequence[SourceRecord], chunks: Sequence[Chunk], vectors: np.ndarray,
        side: SideRows | None = None, *, replace: bool = True, commit: bool = True,
    ) -> None:
        """One batch, in the order :mod:`.lance_journal` explains: the records go first
        and come back last, after the chunks and every side table."""
        if len(chunks) != len(vectors):
            raise ValueError(f"expected one vector per chunk, got {len(vectors)} for {len(chunks)}")
        paths = [r.path for r in records]
        self.journal.begin(paths)
        if paths and replace:
            where = in_list("path", paths)
            self._sources.delete(where)
            self._chunks.delete(where)
            self._features.delete(where)
            self._alt_vectors.delete(where)
            self._phonetic.delete(where)
        if chunks:
            self._add_chunks(records, chunks, vectors)
        if side is not None:
            self._add_side_rows(side)
        if records and commit:
            self._save_records(records)
        self.journal.done()

    def _add_chunks(
        self, records: Sequence[SourceRecord], chunks: Sequence[Chunk], vectors: np.ndarray
    ) -> None:
        paths = indexes.add_chunks(self._chunks, self._pa, self.dim, records, chunks, vectors)
        self._phonetic.write(chunks, paths)

    def _add_side_rows(self, side: SideRows) -> None:
        if side.image_features is not None:
            self.write_image_features(*side.image_features)
        if side.shapes is not None:
            self.write_shape_descriptors(*side.shapes)
        for kind, (ids, paths, vectors) in side.alt.items():
            self.write_alt_vectors(kind, ids, paths, vectors)

    def _save_records(self, records: Sequence[SourceRecord]) -> None:
        rows = self._pa.Table.from_pylist([r.__dict__ for r in records],
                                          schema=indexes.source_schema(self._pa))
        self._sources.merge_insert("path").when_matched_update_all() \
            .when_not_matched_insert_all().execute(rows)

    def side_tables(self) -> list[Any]:
        """The side tables that exist (for recovery and ``mmrag doctor``)."""
        alt = self._alt_vectors.table()
        return [*self._features.existing(), *([alt] if alt is not None else [])]

    # -- the extras (see capabilities.py): other vectors of image items, for strategies
    # "text" and "average"; re-embedding stored items (``mmrag align``); per-item features
    @property
    def _alt(self) -> Any:
        """The alt-vector table, None until one is written."""
        return self._alt_vectors.table()

    def write_alt_vectors(
        self, kind: str, ids: Sequence[str], paths: Sequence[str], vectors: np.ndarray
    ) -> None:
        self._alt_vectors.write(kind, ids, paths, vectors)

    def has_alt(self, kind: str) -> bool:
        return self._alt_vectors.has(kind)

    def dense_alt(self, kind: str, vector: np.ndarray, k: int) -> list[Hit]:
        """The image items nearest ``vector`` by their ``kind`` vector, as hits."""
        score = self._alt_vectors.nearest(kind, vector, k)
        return [replace(h, score=score[h.id], scores={"dense": score[h.id]})
                for h in self.get(list(score))]

    def alt_vectors(self, kind: str, ids: Sequence[str]) -> dict[str, np.ndarray]:
        return self._alt_vectors.vectors(kind, ids)

    def update_alt_vectors(self, kind: str, vectors: dict[str, np.ndarray]) -> None:
        self._alt_vectors.update(kind, vectors)

    def get(self, ids: Sequence[str]) -> list[Hit]:
        return self._items.get(ids)

    def items(self, modality: str) -> list[Hit]:
        return self._items.of_modality(modality)

    def sample_vectors(self, space: str, n: int, seed: int = 0) -> tuple[int, np.ndarray]:
        return sample_space(self._chunks, self._alt_vectors.table(), space, n, seed)

    def update_vectors(self, ids: Sequence[str], vectors: np.ndarray) -> None:
        self._items.update_vectors(ids, vectors)

    def write_image_features(
        self, ids: Sequence[str], paths: Sequence[str], features: np.ndarray
    ) -> None:
        self._features.write("image_vectors", ids, paths, features)

    def image_features(self) -> tuple[list[str], np.ndarray]:
        return self._features.read("image_vectors")

    def write_shape_descriptors(
        self, ids: Sequence[str], paths: Sequence[str], descriptors: np.ndarray
    ) -> None:
        self._features.write("shape_vectors", ids, paths, descriptors)

    def shape_descriptors(self) -> tuple[list[str], np.ndarray]:
        return self._features.read("shape_vectors")

    def delete(self, path: str) -> list[SourceRecord]:
        folder = path.rstrip("/") + "/"
        like = quote(folder.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%")
        # a mail's attachments (sources of their own, see .inner) go with it
        where = (f"path = {quote(path)} OR path LIKE {like} ESCAPE '\\' "
                 f"OR path LIKE {quote(inner.like_inner(path))} ESCAPE '\\'")
        gone = [record(row) for row in self._sources.search().where(where).to_list()]
        # Records go first: a crash in between leaves rows without a record, which the
        # journal makes recover() remove, never a record whose chunks are gone.
        self.journal.begin([r.path for r in gone])
        self._sources.delete(where)
        self._chunks.delete(where)
        self._features.delete(where)
        self._alt_vectors.delete(where)
        self._phonetic.delete(where)
        self.journal.done()
        return gone

    def refresh(self) -> None:
        self._chunks.checkout_latest()
        self._sources.checkout_latest()

    def interrupted(self) -> bool:
        return self.journal.exists()

    def recover(self, force: bool = False) -> int:
        """Make the index whole after a killed write or a damaged table (see
        :func:`.lance_journal.recover`); how many rows it removed."""
        return lance_journal.recover(self, force)

    def optimize(self) -> None:
        self._chunks.optimize()
        self._sources.optimize()
        self._features.optimize()
        self._phonetic.optimize()
        self._maybe_build_ann()
        self.upgrade()

    def upgrade(self) -> bool:
        """Rebuild the indexes an older mmrag made: BM25 without stemming (rebuilt from the
        stored tokens, which did not change; seconds per 100k chunks) and IVF-PQ vectors
        (replaced by HNSW-SQ, which recalls more). Ingest calls it even when no file
        changed, so re-ingesting a folder brings its index up to date. True if it did."""
        done = False
        if indexes.fts_is_unstemmed(self._chunks) or indexes.fts_is_missing(self._chunks):
            indexes.create_fts(self._chunks)
            done = True
        if self._vector_index_is_pq():
            self._maybe_build_ann(force=True)
            done = True
        return self._phonetic.upgrade(self._chunks) or done

    def _maybe_build_ann(self, force: bool = False) -> None:
        if indexes.build_ann(self._chunks, self.ann_threshold, force):
            self._pq = False

    def _vector_index_is_pq(self) -> bool:
        if self._pq is None:
            self._pq = indexes.vector_index_is_pq(self._chunks)
        return self._pq

    # -- reads ----------------------------------------------------------------------------
    def source(self, path: str) -> SourceRecord | None:
        rows = self._sources.search().where(f"path = {quote(path)}").limit(1).to_list()
        return record(rows[0]) if rows else None

    def sources_at(self, paths: Sequence[str]) -> dict[str, SourceRecord | None]:
        """The records of several files in one query (None where a file is not indexed)."""
        found: dict[str, SourceRecord | None] = dict.fromkeys(paths)
        for start in range(0, len(paths), 500):
            part = paths[start:start + 500]
            query = self._sources.search().where(in_list("path", part)).limit(len(part))
            for row in query.to_list():
                found[row["path"]] = record(row)
        return found

    def sources(self) -> list[SourceRecord]:
        rows = self._sources.to_arrow().to_pylist()
        return sorted((record(r) for r in rows), key=lambda r: r.source)

    def count(self, where: Filter | None = None) -> int:
        sql = where.sql() if where else None
        return int(self._chunks.count_rows(sql) if sql else self._chunks.count_rows())

    def vectors(self, ids: Sequence[str]) -> np.ndarray:
        """The stored vectors of ``ids``, in that order."""
        return reads.vectors_by_id(self._chunks, ids, self.dim)

    def dense(self, vector: np.ndarray, k: int, where: Filter | None = None) -> list[Hit]:
        pq = self._vector_index_is_pq()
        rows = self._run(where, k, "_distance", vector=vector, nprobes=self.nprobes,
                         refine_factor=self.refine_factor if pq else self.sq_refine,
                         ef=None if pq else max(self.ef, k))
        return [_hit(r, "dense", 1.0 - float(r["_distance"])) for r in rows]

    def sparse(self, tokens: Sequence[str], k: int, where: Filter | None = None) -> list[Hit]:
        if not (terms := bm25_query(tokens)):
            return []
        rows = self._run(where, k, "_score", text=terms, text_column="tokens")
        return [_hit(r, "bm25", float(r["_score"])) for r in rows]

    def sparse_vectors(self, tokens: Sequence[str], k: int, where: Filter | None = None
                       ) -> tuple[list[Hit], np.ndarray]:
        if not (terms := bm25_query(tokens)):
            return [], np.zeros((0, self.dim), dtype=np.float32)
        search = reads.hit_search(where, k, "_score", "vector", text=terms, text_column="tokens")
        rows, vectors = reads.rows_and_vectors(self._chunks, search, self.dim)
        return [_hit(r, "bm25", float(r["_score"])) for r in rows], vectors

    def has_phonetic_keys(self, chinese: bool = False) -> bool:
        if chinese:
            return self._phonetic.has_chinese()
        return self._phonetic.table() is not None

    def phonetic(self, keys: Sequence[str], k: int, where: Filter | None = None) -> list[Hit]:
        return self._phonetic.search(self._chunks, keys, k, where)

    def _run(self, where: Filter | None, k: int, score: str, **search: Any
             ) -> list[dict[str, Any]]:
        return reads.rows(self._chunks, reads.hit_search(where, k, score, **search))
