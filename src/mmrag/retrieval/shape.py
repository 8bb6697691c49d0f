"""3D-to-3D search: the indexed models nearest in shape to a query model, by the
rotation- and scale-invariant descriptor of :mod:`mmrag.mesh.descriptor`."""

from __future__ import annotations

from dataclasses import dataclass
from fnmatch import fnmatch
from pathlib import Path

from ..config import MeshConfig
from ..stores.capabilities import ItemStore, ShapeStore
from ..stores.filters import Filter
from ..types import Hit
from .image import rescored


@dataclass
class ShapeRetriever:
    shapes: ShapeStore
    items: ItemStore
    limits: MeshConfig = MeshConfig()

    def retrieve(self, mesh: str, k: int, where: Filter | None = None) -> list[Hit]:
        from ..mesh.descriptor import rank, shape_descriptor
        from ..mesh.io import read_mesh

        query = read_mesh(Path(mesh), self.limits)
        ids, gallery = self.shapes.shape_descriptors()
        if not ids:
            return []
        top, scores = rank(shape_descriptor(query.vertices, query.faces), gallery, len(ids))
        score_of = {ids[i]: float(s) for i, s in zip(top, scores, strict=True)}
        hits = [rescored(h, score_of[h.id], "shape")
                for h in self.items.get(list(score_of)[: max(k * 10, 100)])]
        source = where.source if where else None
        if source:
            hits = [h for h in hits if fnmatch(h.source, source)]
        return sorted(hits, key=lambda h: -h.score)[:k]
