"""LanceDB side tables beside the chunks, each keyed by chunk id and file path.

``AltVectors``: other vectors of image items, in the index's space (strategies "text" and
"average"). ``FeatureTables``: per-item features searched by numpy (image features, 3D
shape descriptors). Each table is opened on first use and made on first write, so an index
without images has none of them. ``LanceStore`` composes them and removes a file's rows
from each whenever it rewrites or deletes the file.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .filters import quote
from .rows import in_list


class AltVectors:
    """The "alt_vectors" table: rows (id, path, kind, vector), one per item and kind."""

    name = "alt_vectors"

    def __init__(self, db: Any, pa: Any, dim: int):
        self._db = db
        self._pa = pa
        self.dim = dim
        self._table: Any = None

    def table(self, create: bool = False) -> Any:
        """The table, None if it does not exist and ``create`` is false."""
        if self._table is None:
            if self.name in self._db.list_tables().tables:
                self._table = self._db.open_table(self.name)
            elif create:
                pa = self._pa
                schema = pa.schema([("id", pa.string()), ("path", pa.string()),
                                    ("kind", pa.string()),
                                    ("vector", pa.list_(pa.float32(), self.dim))])
                self._table = self._db.create_table(self.name, schema=schema, exist_ok=True)
        return self._table

    def write(
        self, kind: str, ids: Sequence[str], paths: Sequence[str], vectors: np.ndarray
    ) -> None:
        """Replace the ``kind`` vectors of ``paths``' files."""
        table = self.table(create=True)
        table.delete(f"kind = {quote(kind)} AND " + in_list("path", sorted(set(paths))))
        table.add(self._rows(kind, ids, paths, vectors))

    def _rows(
        self, kind: str, ids: Sequence[str], paths: Sequence[str], vectors: np.ndarray
    ) -> Any:
        pa = self._pa
        flat = np.ascontiguousarray(vectors, dtype=np.float32).reshape(-1)
        return pa.Table.from_arrays(
            [pa.array(list(ids), pa.string()), pa.array(list(paths), pa.string()),
             pa.array([kind] * len(ids), pa.string()),
             pa.FixedSizeListArray.from_arrays(pa.array(flat), self.dim)],
            names=["id", "path", "kind", "vector"],
        )

    def has(self, kind: str) -> bool:
        table = self.table()
        return bool(table is not None and table.count_rows(f"kind = {quote(kind)}"))

    def nearest(self, kind: str, vector: np.ndarray, k: int) -> dict[str, float]:
        """The ``k`` ids nearest ``vector`` by their ``kind`` vector, and their cosines."""
        table = self.table()
        if table is None:
            return {}
        rows = (
            table.search(np.asarray(vector, dtype=np.float32), vector_column_name="vector")
            .distance_type("cosine").where(f"kind = {quote(kind)}", prefilter=True)
            .select(["id", "_distance"]).limit(k).to_list()
        )
        return {r["id"]: 1.0 - float(r["_distance"]) for r in rows}

    def vectors(self, kind: str, ids: Sequence[str]) -> dict[str, np.ndarray]:
        """The ``kind`` vectors stored for ``ids`` (those that have one)."""
        table = self.table()
        if table is None or not ids:
            return {}
        rows = table.search().where(f"kind = {quote(kind)} AND " + in_list("id", ids)) \
            .select(["id", "vector"]).limit(len(ids)).to_list()
        return {r["id"]: np.asarray(r["vector"], dtype=np.float32) for r in rows}

    def update(self, kind: str, vectors: dict[str, np.ndarray]) -> None:
        """Replace the ``kind`` vectors of the ids that have one, in one commit."""
        table = self.table()
        if table is None or not vectors:
            return
        rows = table.search().where(f"kind = {quote(kind)} AND " + in_list("id", list(vectors))) \
            .select(["id", "path"]).limit(len(vectors)).to_list()
        if not rows:
            return
        table.merge_insert(["id", "kind"]).when_matched_update_all().execute(self._rows(
            kind, [r["id"] for r in rows], [r["path"] for r in rows],
            np.stack([vectors[r["id"]] for r in rows]),
        ))

    def delete(self, where: str) -> None:
        if self.table() is not None:
            self._table.delete(where)


class FeatureTables:
    """Tables of (id, path, vector) whose widths differ from the index's vectors (1280
    pooled image features, a 66-number shape descriptor); several rows may share an id
    (the rendered views of one 3D model). Reads are cached until the table changes."""

    names = ("image_vectors", "shape_vectors")

    def __init__(self, db: Any, pa: Any):
        self._db = db
        self._pa = pa
        self._tables: dict[str, Any] = {}
        self._cache: dict[str, tuple[int, list[str], np.ndarray]] = {}

    def table(self, name: str, dim: int | None = None) -> Any:
        """Table ``name``; made ``dim`` wide if it does not exist, else None without ``dim``."""
        if name not in self._tables:
            if name in self._db.list_tables().tables:
                self._tables[name] = self._db.open_table(name)
            elif dim is not None:
                pa = self._pa
                schema = pa.schema([("id", pa.string()), ("path", pa.string()),
                                    ("vector", pa.list_(pa.float32(), dim))])
                self._tables[name] = self._db.create_table(name, schema=schema, exist_ok=True)
        return self._tables.get(name)

    def write(
        self, name: str, ids: Sequence[str], paths: Sequence[str], features: np.ndarray
    ) -> None:
        """Replace the rows of ``paths``' files in table ``name``."""
        features = np.ascontiguousarray(features, dtype=np.float32)
        table = self.table(name, features.shape[1])
        table.delete(in_list("path", sorted(set(paths))))
        pa = self._pa
        dim = features.shape[1]
        table.add(pa.Table.from_arrays(
            [pa.array(list(ids), pa.string()), pa.array(list(paths), pa.string()),
             pa.FixedSizeListArray.from_arrays(pa.array(features.reshape(-1)), dim)],
            names=["id", "path", "vector"],
        ))
        self._cache.pop(name, None)

    def read(self, name: str) -> tuple[list[str], np.ndarray]:
        """All ids of table ``name`` and their features (cached until the next write)."""
        table = self.table(name)
        if table is None:
            return [], np.zeros((0, 0), dtype=np.float32)
        version = int(table.version)
        cached = self._cache.get(name)
        if cached is None or cached[0] != version:
            data = table.to_arrow()
            ids = data.column("id").to_pylist()
            flat = data.column("vector").combine_chunks()
            width = flat.type.list_size
            matrix = flat.values.to_numpy(zero_copy_only=False).reshape(-1, width)
            cached = (version, ids, matrix.astype(np.float32, copy=False))
            self._cache[name] = cached
        return cached[1], cached[2]

    def existing(self) -> list[Any]:
        return [t for t in (self.table(n) for n in self.names) if t is not None]

    def delete(self, where: str) -> None:
        for table in self.existing():
            table.delete(where)

    def optimize(self) -> None:
        for table in self.existing():
            table.optimize()
