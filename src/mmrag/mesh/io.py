"""Reading a mesh file into vertices and faces, with named errors for bad input.

A file with several meshes (a glTF scene) is flattened into one, each part placed by its
scene transform. Open or non-manifold meshes are accepted (catalogue models often are):
their statistics say so, and the shape descriptor samples the surface, which needs faces
with area but no closed volume.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .._lazy import require
from ..config import MeshConfig
from ..errors import IngestError
from . import MESH_EXTENSIONS


@dataclass(frozen=True)
class Mesh:
    """One triangle mesh: ``vertices`` (n, 3) float64, ``faces`` (m, 3) int64."""

    vertices: np.ndarray
    faces: np.ndarray
    parts: int = 1
    # the trimesh object, for statistics that need its topology (watertight, volume)
    raw: Any = None


def read_mesh(path: Path, limits: MeshConfig = MeshConfig()) -> Mesh:
    """Read ``path``; raise :class:`IngestError` naming the file and what is wrong."""
    name = str(path)
    if path.suffix.lower() not in MESH_EXTENSIONS:
        raise IngestError(name, f"not a mesh file; expected one of {list(MESH_EXTENSIONS)}")
    size = path.stat().st_size
    if size == 0:
        raise IngestError(name, "empty mesh file (0 bytes)")
    if size > limits.max_bytes:
        raise IngestError(name, f"mesh file too large ({size / 2**20:.0f} MiB > "
                                f"{limits.max_mb:g} MiB); raise the index's mesh limit "
                                "(MMRAG_MESH_MAX_MB for a new index) to allow it")
    trimesh = require("trimesh", purpose="reading 3D models")
    try:
        # unprocessed, so NaN vertices are seen here rather than silently dropped
        scene = trimesh.load_scene(str(path), process=False)
        parts = [g for g in scene.geometry.values() if isinstance(g, trimesh.Trimesh)]
        mesh = scene.to_mesh() if parts else None
    except Exception as exc:  # trimesh raises many kinds (KeyError, ValueError, ...)
        raise IngestError(name, f"malformed mesh: trimesh could not parse it ({exc!r})") from None
    if mesh is None or len(mesh.faces) == 0:
        what = "points only, no faces" if scene.geometry else "no geometry"
        raise IngestError(name, f"empty mesh: {what}")
    if len(mesh.faces) > limits.max_faces:
        raise IngestError(name, f"too many faces ({len(mesh.faces):,} > {limits.max_faces:,}); "
                                "decimate the model, or raise the index's limit "
                                "(MMRAG_MESH_MAX_FACES for a new index)")
    if not np.isfinite(np.asarray(mesh.vertices)).all():
        raise IngestError(name, "non-finite vertex coordinates (NaN or infinity)")
    # STL stores each triangle on its own: shared corners must be merged to see edges
    mesh.merge_vertices()
    vertices = np.asarray(mesh.vertices, dtype=np.float64)
    faces = np.asarray(mesh.faces, dtype=np.int64)
    if area(vertices, faces).sum() <= 0:
        raise IngestError(name, "degenerate mesh: every face has zero area")
    return Mesh(vertices, faces, parts=len(parts), raw=mesh)


def area(vertices: np.ndarray, faces: np.ndarray) -> np.ndarray:
    """The area of each face."""
    tri = vertices[faces]
    return 0.5 * np.linalg.norm(np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0]), axis=1)
