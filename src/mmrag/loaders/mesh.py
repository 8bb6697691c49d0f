"""3D models: one ``mesh`` section per file, found by words, by its rendered views and by shape.

The section's text holds the file name, geometry statistics ("closed watertight surface")
and, when the index reads images, the ImageNet labels of its rendered views, so BM25 and
text embedders find it. Its meta keeps the file (``mesh``), the statistics (``geometry``),
the views (``views``; ``path`` is the first, the model's thumbnail) and the shape
descriptor (``shape_descriptor``, which ingest moves to the store's shape table).

Views are rendered into the index's media folder like video key frames (so a changed or
deleted model's views go with it); without a media folder (the loader used on its own)
none are rendered. The index's ``MeshConfig.views`` off skips rendering (statistics and
shape only); its limits bound the files read.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from ..config import ImageConfig
from ..errors import MissingDependencyError
from ..mesh import MESH_EXTENSIONS
from ..types import Section
from . import LoadContext, loaders
from .image import top_labels

# CAD tools write STL with Z up; glTF is Y up by specification, OBJ/PLY/OFF mostly so.
UP_AXIS = {".stl": "z"}


class MeshLoader:
    name = "mesh"
    extensions: tuple[str, ...] = MESH_EXTENSIONS
    accepts_context = True

    def __init__(self, models: Sequence[str] | None = None):
        self.models = tuple(models) if models else ImageConfig().models

    def load(self, path: Path, context: LoadContext | None = None) -> Iterable[Section]:
        from ..mesh.descriptor import shape_descriptor
        from ..mesh.io import read_mesh
        from ..mesh.render import render_views
        from ..mesh.stats import describe, geometry

        context = context or LoadContext()
        mesh = read_mesh(path, context.config.mesh)
        facts = geometry(mesh)
        meta: dict[str, Any] = {
            "mesh": str(path), "geometry": facts,
            "shape_descriptor": shape_descriptor(mesh.vertices, mesh.faces).tolist(),
        }
        if context.media_dir is not None and context.config.mesh.views:
            up = UP_AXIS.get(path.suffix.lower(), "y")
            views = render_views(mesh.vertices, mesh.faces, context.media_dir, up=up)
            meta["views"] = [{"view": name, "path": str(p)} for name, p in views]
            meta["path"] = str(views[0][1])
            if "image" in context.modalities:
                meta["labels"] = self._labels([p for _, p in views])
        words = re.sub(r"[_\-.]+", " ", path.stem).strip()
        lines = [f"3D model {path.name}: {words}", "geometry: " + describe(facts)]
        labels = meta.get("labels") or []
        if labels:
            parents = list(dict.fromkeys(h for lab in labels for h in lab["hypernyms"]))
            lines.append("looks like: " + ", ".join(lab["name"] for lab in labels)
                         + (f" ({', '.join(parents)})" if parents else ""))
            lines.append("标签: " + "，".join(lab["zh"] for lab in labels))
        return [Section(text="\n".join(lines), modality="mesh", meta=meta)]

    def _labels(self, views: list[Path]) -> list[dict[str, Any]]:
        """The classes the views agree on: class probabilities averaged over the views."""
        try:
            from ..vision.encoder import shared_encoder

            probs = shared_encoder(self.models).encode_paths([str(p) for p in views]).probs
        except MissingDependencyError:
            return []
        return top_labels(probs.mean(axis=0))


loaders.register("mesh")(MeshLoader)
