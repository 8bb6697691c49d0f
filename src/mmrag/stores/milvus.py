"""Milvus store: the same chunks and source records in a Milvus collection pair.

``uri`` a path ending in ``.db`` is Milvus Lite (an embedded file, default
``<index>/milvus.db``); ``http://host:19530`` or ``milvus://host:19530`` is a server.
Dense search is COSINE over a FLAT index by default, so results are exact and equal
LanceDB's flat scan. BM25 runs on the server (a BM25 function over the pre-segmented
``tokens`` column) on Milvus 2.5+; on older servers, and on Milvus Lite, whose BM25 keeps
per-segment statistics, it runs in process (``bm25_local``) with the same formula as LanceDB.
Milvus has no nullable columns before 2.5, so an absent page or time is stored as -1.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .._lazy import require
from ..errors import ConfigError
from ..types import Chunk, Hit
from . import SideRows, SourceRecord, stores
from . import milvus_schema as schema
from .bm25_local import K1, B, LiveBM25
from .filters import Filter, glob_regex
from .inner import inner_path
from .milvus_schema import resolve_uri, sample
from .rows import HIT_COLUMNS, MISSING, SOURCE_FIELDS, chunk_columns, none_if_missing
from .rows import hit as _row_hit
from .rows import in_list as _in_list
from .rows import record as _record

_MAX_K = 16384  # Milvus' largest top-k and query window
_BATCH = 1000
# "Strong" reads wait for the server's next time tick: 200 ms a search on the 2.3.5 server
# against 7 ms "Bounded" (stale by at most the 5 s grace time, as LanceDB readers see other
# processes' writes within a second). Reads are Strong for a while after this store writes,
# so it always sees its own writes, and Bounded otherwise; source records are always Strong.
_STRONG_FOR_S = 6.0


def lit(value: str) -> str:
    """A Milvus expression string literal."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def in_list(column: str, values: Sequence[str]) -> str:
    return _in_list(column, values, lit, "in [{}]")


class MilvusStore:
    name = "milvus"

    def __init__(
        self,
        path: str | Path,
        dim: int,
        *,
        uri: str | None = None,
        collection: str = "mmrag",
        bm25: str = "auto",
        index: str = "FLAT",
        token: str = "",
    ):
        if bm25 not in ("auto", "native", "local"):
            raise ConfigError(f"unknown bm25 mode {bm25!r}; expected 'auto', 'native' or 'local'")
        self._pm = require("pymilvus", extra="milvus", purpose="the Milvus store")
        self.path = Path(path)
        self.dim = dim
        self.uri = resolve_uri(uri, self.path)
        self.index = index.upper()
        if self.uri.endswith(".db"):
            Path(self.uri).parent.mkdir(parents=True, exist_ok=True)
        self._client = self._pm.MilvusClient(uri=self.uri, token=token)
        self.version = str(self._client.get_server_version())
        # a Lite file, not the standalone server of the old "milvus" wheel ("v2.3.5-lite")
        self.lite = self.uri.endswith(".db")
        self._chunks = f"{collection}_chunks"
        self._sources = f"{collection}_sources"
        if not self._client.has_collection(self._chunks):
            native = bm25 == "native" or (
                bm25 == "auto" and schema.server_has_bm25(self.version, self.lite))
            schema.create_chunks(self._pm, self._client, self._chunks, dim, self.index, native,
                                 self.lite)
        self.native_bm25 = schema.has_bm25_function(self._client, self._chunks)
        if bm25 == "native" and not self.native_bm25:
            raise ConfigError(f"{self._chunks} was made without server BM25; use bm25='local'")
        if not self._client.has_collection(self._sources):
            schema.create_sources(self._pm, self._client, self._sources)
        for name in (self._chunks, self._sources):
            self._client.load_collection(name)
        self._bm25 = LiveBM25(
            lambda: self._scan(self._chunks, ["id", "tokens", "modality", "path"]), self._mark
        )
        self._strong_until = 0.0

    # -- writes ---------------------------------------------------------------------------
    def write(
        self, records: Sequence[SourceRecord], chunks: Sequence[Chunk], vectors: np.ndarray,
        side: SideRows | None = None,  # never given: this store has no side tables
        *, replace: bool = True, commit: bool = True,
    ) -> None:
        if len(chunks) != len(vectors):
            raise ValueError(f"expected one vector per chunk, got {len(vectors)} for {len(chunks)}")
        for batch in _batches([r.path for r in records] if replace else []):
            self._client.delete(self._chunks, filter=in_list("path", batch))
        columns = chunk_columns(records, chunks)
        del columns["tags"]  # the collection has no tags column
        for name in ("page", "start", "end"):
            columns[name] = [MISSING if v is None else v for v in columns[name]]
        columns["vector"] = np.asarray(vectors, dtype=np.float32).tolist()
        rows = [dict(zip(columns, row, strict=True))
                for row in zip(*columns.values(), strict=True)]
        for batch in _batches(rows):
            self._client.insert(self._chunks, batch)
        if records and commit:
            rows = [{**r.__dict__, "unused": [0.0, 0.0]} for r in records]
            self._client.upsert(self._sources, rows)
        self._wrote()

    def delete(self, path: str) -> list[SourceRecord]:
        folder = path.rstrip("/") + "/"
        within = (folder, inner_path(path, ""))  # and its attachments (see .inner)
        gone = [r for r in self.sources() if r.path == path or r.path.startswith(within)]
        for batch in _batches([r.path for r in gone]):
            # records first: a crash in between leaves chunks without a record, which
            # recover() removes, never a record whose chunks are gone
            self._client.delete(self._sources, filter=in_list("path", batch))
            self._client.delete(self._chunks, filter=in_list("path", batch))
        self._wrote()
        return gone

    def refresh(self) -> None:
        self._wrote()

    def _wrote(self) -> None:
        self._bm25.stale()
        self._strong_until = time.monotonic() + _STRONG_FOR_S

    def _level(self) -> str:
        return "Strong" if time.monotonic() < self._strong_until else "Bounded"

    def interrupted(self) -> bool:
        # No journal here: every ingest starts with recover(), which scans for leftovers.
        return False

    def recover(self) -> int:
        """Remove chunks of a file with no source record, or made from other content."""
        records = {r.path: r.hash for r in self.sources()}
        stale: dict[tuple[str, str], int] = {}
        for row in self._scan(self._chunks, ["id", "path", "source_hash"]):
            key = (row["path"], row["source_hash"])
            if records.get(key[0]) != key[1]:
                stale[key] = stale.get(key, 0) + 1
        for path, source_hash in stale:
            self._client.delete(
                self._chunks, filter=f"path == {lit(path)} and source_hash == {lit(source_hash)}"
            )
        self._wrote()
        return sum(stale.values())

    def optimize(self) -> None:
        # Sealing the growing segment builds its vector index: measured on Lite at 10k
        # vectors, 32 ms a search after against 400 ms before.
        self._client.flush(self._chunks)
        self._client.flush(self._sources)

    def close(self) -> None:
        self._client.close()

    # -- reads ----------------------------------------------------------------------------
    def source(self, path: str) -> SourceRecord | None:
        rows = self._client.query(self._sources, filter=f"path == {lit(path)}",
                                  output_fields=SOURCE_FIELDS, limit=1)
        return _record(rows[0]) if rows else None

    def sources_at(self, paths: Sequence[str]) -> dict[str, SourceRecord | None]:
        """The records of several files in one query per batch (None where not indexed)."""
        found: dict[str, SourceRecord | None] = dict.fromkeys(paths)
        for batch in _batches(list(paths)):
            for row in self._client.query(self._sources, filter=in_list("path", batch),
                                          output_fields=SOURCE_FIELDS, limit=len(batch)):
                found[row["path"]] = _record(row)
        return found

    def sources(self) -> list[SourceRecord]:
        rows = self._scan(self._sources, SOURCE_FIELDS)
        return sorted((_record(r) for r in rows), key=lambda r: r.source)

    def count(self, where: Filter | None = None) -> int:
        expr = self._expr(where)
        if expr is None:
            return 0
        rows = self._client.query(self._chunks, filter=expr, output_fields=["count(*)"],
                                  consistency_level=self._level())
        return int(rows[0]["count(*)"])

    def vectors(self, ids: Sequence[str]) -> np.ndarray:
        level = self._level()
        by_id = {row["id"]: row["vector"] for batch in _batches(list(ids)) for row in
                 self._client.query(self._chunks, filter=in_list("id", batch),
                                    output_fields=["id", "vector"], consistency_level=level)}
        return np.asarray([by_id[i] for i in ids], dtype=np.float32).reshape(-1, self.dim)

    def sample_vectors(self, space: str, n: int, seed: int = 0) -> tuple[int, np.ndarray]:
        return sample(self._client, self._chunks, self._level(), space, n, seed)

    def dense(self, vector: np.ndarray, k: int, where: Filter | None = None) -> list[Hit]:
        expr = self._expr(where)
        if expr is None or k < 1:
            return []
        vec = np.asarray(vector, dtype=np.float32).reshape(-1).tolist()
        found = self._client.search(
            self._chunks, data=[vec], anns_field="vector", limit=min(k, _MAX_K),
            filter=expr, output_fields=HIT_COLUMNS, consistency_level=self._level(),
            search_params={"metric_type": "COSINE", "params": {"ef": max(64, k)}},
        )
        return [_hit(r["entity"], "dense", float(r["distance"])) for r in found[0]]

    def sparse(self, tokens: Sequence[str], k: int, where: Filter | None = None) -> list[Hit]:
        terms = list(dict.fromkeys(t for t in tokens if t.strip()))
        expr = self._expr(where)
        if not terms or expr is None or k < 1:
            return []
        if self.native_bm25:
            found = self._client.search(
                self._chunks, data=[" ".join(terms)], anns_field="sparse",
                limit=min(k, _MAX_K), filter=expr, output_fields=HIT_COLUMNS,
                consistency_level=self._level(),
                search_params={"metric_type": "BM25", "params": {"bm25_k1": K1, "bm25_b": B}},
            )
            # Lite reports BM25 as a negated distance; a server as the score.
            return [_hit(r["entity"], "bm25", abs(float(r["distance"]))) for r in found[0]]
        return self._local_sparse(terms, k, where)

    def _local_sparse(self, terms: list[str], k: int, where: Filter | None) -> list[Hit]:
        index = self._bm25.index()
        modalities = set(where.modalities) if where is not None else set()
        paths = self._paths(where.source) if where is not None and where.source else None
        ranked = index.search(terms, min(k, _MAX_K), self._bm25.keep(modalities, paths))
        if not ranked:
            return []
        found: dict[str, dict[str, Any]] = {}
        for batch in _batches([i for i, _ in ranked]):
            for row in self._client.query(self._chunks, filter=in_list("id", batch),
                                          output_fields=HIT_COLUMNS,
                                          consistency_level=self._level()):
                found[row["id"]] = row
        return [_hit(found[i], "bm25", score) for i, score in ranked if i in found]

    def _mark(self) -> tuple[Any, ...]:
        stamps = [r["ingested_at"] for r in self._scan(self._sources, ["path", "ingested_at"])]
        return (self.count(), len(stamps), max(stamps, default=0.0))

    def _paths(self, pattern: str) -> set[str]:
        regex = glob_regex(pattern)
        return {
            r.path for r in self.sources()
            if regex.fullmatch(r.source) or regex.fullmatch(r.path)
        }

    def _expr(self, where: Filter | None) -> str | None:
        """The Milvus filter for ``where``; None when no file can match.

        A source glob is resolved against the source records (one per file, few next to
        the chunks) into a list of paths: exact, and the same on every Milvus version,
        whose LIKE differs in what wildcards and escapes it accepts.
        """
        clauses = []
        if where is not None and where.modalities:
            clauses.append(in_list("modality", where.modalities))
        if where is not None and where.source:
            paths = self._paths(where.source)
            if not paths:
                return None
            clauses.append(in_list("path", sorted(paths)))
        return " and ".join(clauses)  # "" is no filter, and costs nothing per row

    def _scan(self, collection: str, fields: list[str]) -> Iterator[dict[str, Any]]:
        iterator = self._client.query_iterator(collection, batch_size=_BATCH, filter="",
                                               output_fields=fields)
        try:
            while batch := iterator.next():
                yield from batch
        finally:
            iterator.close()


def _batches(items: list[Any], size: int = _BATCH) -> Iterator[list[Any]]:
    for i in range(0, len(items), size):
        yield items[i:i + size]


def _hit(row: dict[str, Any], stage: str, score: float) -> Hit:
    return _row_hit(row, stage, score, none_if_missing)


stores.register("milvus")(MilvusStore)
