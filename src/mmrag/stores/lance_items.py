"""LanceDB chunks read back whole, by id or by modality, and given new vectors in place
(``mmrag align`` re-embeds an index's items; the alt-vector strategies show their hits)."""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from typing import Any

import numpy as np

from ..types import Hit
from .filters import quote
from .lance_indexes import chunk_schema
from .rows import HIT_COLUMNS, in_list, none_if_nan
from .rows import hit as row_hit

# LanceDB keeps an absent page or time as null, which a float column reads back as NaN.
hit = partial(row_hit, absent=none_if_nan)


class Items:
    """The rows of the "chunks" table as items."""

    def __init__(self, chunks: Any, pa: Any, dim: int):
        self._chunks = chunks
        self._pa = pa
        self.dim = dim

    def get(self, ids: Sequence[str]) -> list[Hit]:
        """The chunks with these ids, in the order asked (missing ids are left out)."""
        if not ids:
            return []
        rows = self._chunks.search().where(in_list("id", ids)).select(HIT_COLUMNS) \
            .limit(len(ids)).to_list()
        by_id = {r["id"]: r for r in rows}
        return [hit(by_id[i], "stored", 0.0) for i in ids if i in by_id]

    def of_modality(self, modality: str) -> list[Hit]:
        """Every stored chunk of one modality, as hits with their meta (score 0)."""
        rows = self._chunks.search().where(f"modality = {quote(modality)}") \
            .select(HIT_COLUMNS).limit(max(self._chunks.count_rows(), 1)).to_list()
        return [hit(r, "stored", 0.0) for r in rows]

    def update_vectors(self, ids: Sequence[str], vectors: np.ndarray) -> None:
        """Give stored chunks new vectors, in one commit (an upsert of their whole rows):
        a crash leaves either all the old vectors or all the new ones."""
        if not ids:
            return
        table = self._chunks.search().where(in_list("id", ids)).limit(len(ids)).to_arrow()
        row_of = {v: n for n, v in enumerate(table.column("id").to_pylist())}
        order = [row_of[i] for i in ids if i in row_of]
        keep = [n for n, i in enumerate(ids) if i in row_of]
        table = table.take(order).select([f.name for f in chunk_schema(self._pa, self.dim)])
        flat = np.ascontiguousarray(np.asarray(vectors, np.float32)[keep]).reshape(-1)
        column = self._pa.FixedSizeListArray.from_arrays(self._pa.array(flat), self.dim)
        table = table.set_column(table.schema.get_field_index("vector"), "vector", column)
        self._chunks.merge_insert("id").when_matched_update_all().execute(table)


def sample_space(chunks: Any, alt: Any, space: str, n: int, seed: int) -> tuple[int, np.ndarray]:
    """A random sample of one modality's vectors, or of images' ``alt:KIND`` vectors."""
    if space.startswith("alt:"):
        if alt is None:
            return 0, np.zeros((0, 0), dtype=np.float32)
        return sample_rows(alt, "kind", space[4:], n, seed)
    return sample_rows(chunks, "modality", space, n, seed)


READ_WHOLE = 20_000  # rows of one modality read whole rather than sampled by position


def sample_rows(table: Any, column: str, value: str, n: int, seed: int
                ) -> tuple[int, np.ndarray]:
    """(how many rows have ``column = value``, the vectors of up to ``n`` of them drawn at
    random).

    A modality of up to 20,000 rows is read whole (its vectors, 30 MB at most); a larger one
    by random row positions over the whole table, kept where they match, so a sample of a
    million text chunks costs a few thousand row reads, not a scan."""
    where = f"{column} = {quote(value)}"
    count = int(table.count_rows(where))
    rng = np.random.default_rng(seed)
    if count == 0:
        return 0, np.zeros((0, 0), dtype=np.float32)
    if count <= READ_WHOLE:
        data = table.search().where(where).select(["vector"]).limit(count).to_arrow()
    else:
        total = int(table.count_rows())
        want = min(total, int(n * total / count * 1.5) + 1)
        rows = np.sort(rng.choice(total, size=want, replace=False))
        import pyarrow.compute as pc

        # lancedb's own take (to_lance() would need the separate pylance package)
        data = table.take_offsets(rows.tolist()).select(["vector", column]).to_arrow()
        data = data.filter(pc.equal(data.column(column), value))
    matrix = _matrix(data.column("vector"))
    if len(matrix) > n:
        matrix = matrix[np.sort(rng.choice(len(matrix), size=n, replace=False))]
    return count, matrix


def _matrix(column: Any) -> np.ndarray:
    flat = column.combine_chunks()
    return flat.values.to_numpy(zero_copy_only=False).reshape(-1, flat.type.list_size) \
        .astype(np.float32, copy=False)
