"""The LanceDB chunk and source tables: their schemas, how a new index makes them, and the
indexes over the chunks, BM25 full text and HNSW-SQ vectors (with those an older mmrag made).

Past the store's ``ann_threshold`` rows an HNSW graph over scalar-quantised vectors
(LanceDB's IVF_HNSW_SQ, one partition per 100k rows, all searched) replaces the flat scan.
On 100k concentrated e5-like vectors (the store benchmark's) it gave recall@10 0.91 at ef
400 in 5-10 ms, where the IVF_PQ index used before needed a refine factor of 50 and still
gave 0.44 at 95 ms for the hybrid retriever's 50 candidates. Indexes built with IVF_PQ by
an older mmrag keep working (with the exact re-ranking they need).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from pathlib import Path
from typing import Any

import numpy as np

from .._lazy import (
    checks_as_on_python_312,
    defer_package_init,
    deferred_model_builds,
    require,
)


def modules() -> tuple[Any, Any]:
    """lancedb and pyarrow, imported on first use (a CLI search pays for them)."""
    # Lance logs warnings (k-means on small or duplicate data) to stderr; the library
    # must not print, so only errors unless the user asks for more.
    os.environ.setdefault("LANCEDB_LOG", "error")
    # its REST namespace client, 366 pydantic-wrapped calls an embedded store never makes
    defer_package_init("lance_namespace_urllib3_client")
    # and the ~150 models of its requests and its override checks, built at import
    with deferred_model_builds(), checks_as_on_python_312():
        lancedb = require("lancedb", purpose="the embedded store")
    return lancedb, require("pyarrow", purpose="the embedded store")


def chunk_schema(pa: Any, dim: int) -> Any:
    return pa.schema(
        [
            ("id", pa.string()),
            ("path", pa.string()),
            # the content hash the chunk was made from: with the source records, it
            # tells a finished file's chunks from a crashed write's (see recover)
            ("source_hash", pa.string()),
            ("source", pa.string()),
            ("modality", pa.string()),
            ("chunk_index", pa.int32()),
            ("page", pa.int32()),
            ("start", pa.float64()),
            ("end", pa.float64()),
            ("text", pa.string()),
            ("tokens", pa.string()),
            ("tags", pa.string()),
            ("meta", pa.string()),
            ("vector", pa.list_(pa.float32(), dim)),
        ]
    )


def source_schema(pa: Any) -> Any:
    return pa.schema(
        [
            ("path", pa.string()),
            ("source", pa.string()),
            ("hash", pa.string()),
            ("size", pa.int64()),
            ("mtime", pa.float64()),
            ("chunks", pa.int32()),
            ("loader", pa.string()),
            ("ingested_at", pa.float64()),
        ]
    )


def open_tables(db: Any, path: Path, pa: Any, dim: int) -> tuple[Any, Any]:
    """The "chunks" and "sources" tables of the index at ``path``, made if new."""
    if {"chunks", "sources"} <= set(db.list_tables().tables):
        with contextlib.suppress(ValueError):  # a table another process is creating
            return db.open_table("chunks"), db.open_table("sources")
    # A new index: processes opening it at once (two `mmrag ingest` runs) take turns to
    # create its tables and BM25 index, which LanceDB would otherwise let collide.
    path.mkdir(parents=True, exist_ok=True)
    with open(path / ".create.lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        return (_open(db, "chunks", chunk_schema(pa, dim)),
                _open(db, "sources", source_schema(pa)))


def _open(db: Any, name: str, schema: Any) -> Any:
    if name in db.list_tables().tables:
        return db.open_table(name)
    table = db.create_table(name, schema=schema, exist_ok=True)
    if name == "chunks":
        create_fts(table)
    return table


def create_fts(table: Any) -> None:
    from lancedb.index import FTS

    # English Snowball stemming on both sides ("studies" finds "study"; Chinese words
    # pass through): on SciFact it lifted BM25 nDCG@10 from 0.642 to 0.677.
    config = FTS(
        base_tokenizer="whitespace",
        language="English",
        lower_case=True,
        stem=True,
        remove_stop_words=False,
        ascii_folding=False,
        with_position=False,
    )
    table.create_index("tokens", config=config, replace=True)


def fts_is_unstemmed(table: Any) -> bool:
    """Whether the full-text index is an older mmrag's, made without stemming."""
    return any(
        i.index_type == "FTS" and not (i.index_details or {}).get("stem", True)
        for i in table.list_indices()
    )


def fts_is_missing(table: Any) -> bool:
    """Whether the full-text index is gone (a damaged index: BM25 would find nothing)."""
    return not any(i.index_type == "FTS" for i in table.list_indices())


def build_ann(table: Any, threshold: int, force: bool = False) -> bool:
    """Build the vector index once the table has ``threshold`` rows; True if it did."""
    rows = table.count_rows()
    if rows < threshold and not force:
        return False
    indexed = 0
    for index in table.list_indices():
        if "vector" in index.columns:
            stats = table.index_stats(index.name)
            indexed = stats.num_indexed_rows if stats else 0
    # optimize() already appended new rows to an existing index; rebuild once the
    # table has doubled so the partitions still fit the data.
    if indexed and rows < 2 * indexed and not force:
        return False
    from lancedb.index import IvfHnswSq

    config = IvfHnswSq(distance_type="cosine", num_partitions=ann_partitions(rows))
    table.create_index("vector", config=config, replace=True)
    return True


# Rows per IVF partition of the vector index. Building it holds every vector once (the
# IVF shuffle) plus one partition's HNSW graph, so the partition size bounds the build's
# memory: on 330k 384-d vectors 1 partition added 1,015 MiB and 8 added 502 MiB. 100k
# keeps one graph (and its latency) up to 100k rows; searches probe every partition
# (``LanceStore.nprobes``), so recall does not drop.
PARTITION_ROWS = 100_000


def ann_partitions(rows: int) -> int:
    return max(1, -(-rows // PARTITION_ROWS))


def vector_index_is_pq(table: Any) -> bool:
    """Whether the vector index is IVF_PQ (an older mmrag's; it needs exact re-ranking)."""
    return any("vector" in i.columns and "pq" in str(i.index_type).lower()
               for i in table.list_indices())


def add_chunks(table: Any, pa: Any, dim: int, records: Any, chunks: Any,
               vectors: np.ndarray) -> list[str]:
    """Append ``chunks`` with their vectors to the chunks table; return their paths."""
    from .rows import chunk_columns

    vecs = np.ascontiguousarray(vectors, dtype=np.float32).reshape(-1)
    columns = chunk_columns(records, chunks)
    schema = chunk_schema(pa, dim)
    arrays = [pa.array(columns[f.name], type=f.type) for f in schema if f.name != "vector"]
    arrays.append(pa.FixedSizeListArray.from_arrays(pa.array(vecs), dim))
    table.add(pa.Table.from_arrays(arrays, schema=schema))
    return list(columns["path"])
