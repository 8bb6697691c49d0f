"""Geometry statistics of a mesh, as facts for display and words for BM25.

Units are unknown (mesh formats rarely say), so sizes are given as plain numbers.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .io import Mesh, area


def geometry(mesh: Mesh) -> dict[str, Any]:
    v, f = mesh.vertices, mesh.faces
    lo, hi = v.min(axis=0), v.max(axis=0)
    edges = np.sort(f[:, [0, 1, 1, 2, 2, 0]].reshape(-1, 2), axis=1)
    _, uses = np.unique(edges, axis=0, return_counts=True)
    boundary = int((uses == 1).sum())
    non_manifold = int((uses > 2).sum())
    watertight = boundary == 0 and non_manifold == 0
    facts: dict[str, Any] = {
        "vertices": len(v),
        "faces": len(f),
        "parts": mesh.parts,
        "extents": [round(float(x), 6) for x in hi - lo],
        "area": round(float(area(v, f).sum()), 6),
        "watertight": watertight,
        "boundary_edges": boundary,
        "non_manifold_edges": non_manifold,
        "units": "unknown",
    }
    if watertight and mesh.raw is not None:
        facts["volume"] = round(abs(float(mesh.raw.volume)), 6)
    return facts


def describe(facts: dict[str, Any]) -> str:
    """One line of words: '1,234 vertices, 2,000 faces, ... closed watertight surface'."""
    size = " x ".join(f"{x:.4g}" for x in facts["extents"])
    parts = [
        f"{facts['vertices']:,} vertices, {facts['faces']:,} faces, {facts['parts']} part(s)",
        f"size {size} (units unknown)",
        f"surface area {facts['area']:.4g}",
    ]
    if "volume" in facts:
        parts.append(f"volume {facts['volume']:.4g}")
    if facts["watertight"]:
        parts.append("closed watertight surface")
    else:
        holes = []
        if facts["boundary_edges"]:
            holes.append(f"{facts['boundary_edges']} boundary edges")
        if facts["non_manifold_edges"]:
            holes.append(f"{facts['non_manifold_edges']} non-manifold edges")
        parts.append("open surface (" + ", ".join(holes) + ")")
    return "; ".join(parts)
