"""LanceDB searches in one trip to its event loop.

lancedb's synchronous query builders run on a background asyncio loop and reach it once
per step: the table's schema three times (once to build the query, twice to see whether
blob columns need row ids), the query, and each batch of results: six or seven trips a
search, 13 for a hybrid one, each a handoff from the calling thread to the loop's thread
and back, both taking the GIL. Alone that costs little, but a server's concurrent searches
queue their handoffs behind each other and behind every thread holding the GIL
(docs/benchmarks.md, "Server throughput, fourth pass"). Here the same search is built on
the table's async handle and runs as one coroutine on the same loop: one trip, the rows
made Python objects in the calling thread.

A table without the expected async handle (another lancedb) runs the synchronous builder.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .filters import Filter
from .rows import HIT_COLUMNS, in_list


@dataclass(frozen=True)
class Search:
    """One read of a table: nearest to ``vector`` (cosine), or BM25 on ``text`` in
    ``text_column``, or neither (a filtered scan); ``where`` filters first."""

    columns: Sequence[str]
    limit: int
    vector: np.ndarray | None = None
    text: str | None = None
    text_column: str | None = None
    where: str | None = None
    nprobes: int = 20
    ef: int | None = None
    refine_factor: int | None = None


def hit_search(where: Filter | None, k: int, *extra: str, **search: Any) -> Search:
    """A read of the hit columns (and ``extra`` ones) under ``where``."""
    sql = where.sql() if where else None
    return Search([*HIT_COLUMNS, *extra], k, where=sql or None, **search)


def rows(table: Any, search: Search) -> list[dict[str, Any]]:
    """The rows ``search`` finds in ``table`` (a lancedb ``LanceTable``), as dicts."""
    return list(_arrow(table, search).to_pylist())


def rows_and_vectors(table: Any, search: Search, dim: int
                     ) -> tuple[list[dict[str, Any]], np.ndarray]:
    """``rows`` without their ``vector`` column, and those vectors as one float32 array
    (an array from Arrow's buffer, not 384 Python floats a row)."""
    found = _arrow(table, search)
    column = found.column("vector").combine_chunks()
    vectors = np.asarray(column.flatten(), dtype=np.float32).reshape(len(found), dim)
    return found.drop_columns(["vector"]).to_pylist(), vectors


def vectors_by_id(table: Any, ids: Sequence[str], dim: int) -> np.ndarray:
    """The stored vectors of ``ids``, in that order."""
    if not ids:
        return np.zeros((0, dim), dtype=np.float32)
    found, vectors = rows_and_vectors(table, Search(["id", "vector"], len(ids),
                                                    where=in_list("id", ids)), dim)
    at = {r["id"]: n for n, r in enumerate(found)}
    return vectors[[at[i] for i in ids]]


def _arrow(table: Any, search: Search) -> Any:
    """What ``search`` finds, as an Arrow table: on LanceDB's own loop in one trip where the
    table has an async handle, else through the sync query builder."""
    from lancedb.background_loop import LOOP
    from lancedb.table import AsyncTable

    handle = getattr(table, "_table", None)
    if not isinstance(handle, AsyncTable):
        return _builder(table, search).to_arrow()
    return LOOP.run(_collect(handle, search))


async def _collect(handle: Any, search: Search) -> Any:
    import pyarrow as pa

    query = handle.query()
    if search.vector is not None:
        query = _tuned(query.nearest_to(np.asarray(search.vector, dtype=np.float32))
                       .column("vector").distance_type("cosine").nprobes(search.nprobes)
                       .maximum_nprobes(search.nprobes), search)
    elif search.text is not None:
        query = query.nearest_to_text(search.text, columns=search.text_column)
    if search.where:
        query = query.where(search.where)
    reader = await query.select(list(search.columns)).limit(search.limit).to_batches()
    return pa.Table.from_batches(await reader.read_all(), schema=reader.schema)


def _tuned(query: Any, search: Search) -> Any:
    """A vector query (async or builder: both take these) with the search's index knobs."""
    if search.refine_factor is not None:
        query = query.refine_factor(search.refine_factor)
    if search.ef is not None:
        query = query.ef(search.ef)
    return query


def _builder(table: Any, search: Search) -> Any:
    if search.vector is not None:
        query = _tuned(table.search(np.asarray(search.vector, dtype=np.float32),
                                    vector_column_name="vector").distance_type("cosine")
                       .nprobes(search.nprobes), search)
    elif search.text is not None:
        query = table.search(search.text, query_type="fts", fts_columns=search.text_column)
    else:
        query = table.search()
    if search.where:
        query = query.where(search.where, prefilter=True)
    return query.select(list(search.columns)).limit(search.limit)
