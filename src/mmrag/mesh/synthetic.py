"""A labelled set of generated meshes for 3D->3D evaluation (and the tests' fixtures).

Each class is a primitive or a composite made of boxes (a chair, a table), built with its
proportions varied a little; each variant is then tessellated differently, jittered with
noise, rotated at random and rescaled, so a descriptor must see past pose, size, mesh
resolution and noise. Everything is seeded: the same call gives the same meshes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .._lazy import require

CLASSES = ("box", "sphere", "cylinder", "cone", "torus", "capsule", "chair", "table")


def _box(tm: Any, extents: tuple[float, float, float], at: tuple[float, float, float]) -> Any:
    return tm.creation.box(extents=extents, transform=tm.transformations.translation_matrix(at))


def chair(tm: Any, rng: np.random.Generator) -> Any:
    """Y-up: four legs, a seat at knee height and a back rest."""
    w, d = rng.uniform(0.42, 0.5), rng.uniform(0.42, 0.5)
    seat, leg, back = rng.uniform(0.42, 0.48), rng.uniform(0.035, 0.05), rng.uniform(0.4, 0.5)
    parts = [_box(tm, (w, 0.04, d), (0, seat, 0)),
             _box(tm, (w, back, 0.04), (0, seat + back / 2, -d / 2 + 0.02))]
    for sx in (-1, 1):
        for sz in (-1, 1):
            parts.append(_box(tm, (leg, seat, leg),
                              (sx * (w / 2 - leg / 2), seat / 2, sz * (d / 2 - leg / 2))))
    return tm.util.concatenate(parts)


def table(tm: Any, rng: np.random.Generator) -> Any:
    """Y-up: a wide top on four legs, no back."""
    w, d, height = rng.uniform(1.1, 1.4), rng.uniform(0.65, 0.8), rng.uniform(0.7, 0.76)
    leg = rng.uniform(0.05, 0.07)
    parts = [_box(tm, (w, 0.04, d), (0, height, 0))]
    for sx in (-1, 1):
        for sz in (-1, 1):
            parts.append(_box(tm, (leg, height, leg),
                              (sx * (w / 2 - leg), height / 2, sz * (d / 2 - leg))))
    return tm.util.concatenate(parts)


def _maker(name: str, tm: Any) -> Callable[[np.random.Generator], Any]:
    c = tm.creation
    makers: dict[str, Callable[[np.random.Generator], Any]] = {
        "box": lambda r: c.box(extents=(1.0, r.uniform(0.55, 0.7), r.uniform(0.3, 0.4))),
        "sphere": lambda r: c.icosphere(subdivisions=int(r.integers(2, 4))),
        "cylinder": lambda r: c.cylinder(radius=0.5, height=r.uniform(1.6, 2.0),
                                         sections=int(r.integers(16, 48))),
        "cone": lambda r: c.cone(radius=0.5, height=r.uniform(1.1, 1.4),
                                 sections=int(r.integers(16, 48))),
        "torus": lambda r: c.torus(major_radius=1.0, minor_radius=r.uniform(0.25, 0.32),
                                   major_sections=int(r.integers(24, 48)),
                                   minor_sections=int(r.integers(12, 24))),
        "capsule": lambda r: c.capsule(height=r.uniform(1.3, 1.6), radius=0.4,
                                       count=[int(r.integers(16, 32))] * 2),
        "chair": lambda r: chair(tm, r),
        "table": lambda r: table(tm, r),
    }
    return makers[name]


def make(name: str, seed: int = 0, noise: float = 0.0, pose: bool = False) -> Any:
    """One trimesh of class ``name``; ``noise`` jitters vertices by that fraction of the
    model's size; ``pose`` rotates it at random and rescales it (0.2x to 5x)."""
    tm = require("trimesh", purpose="generating meshes")
    rng = np.random.default_rng(seed)
    mesh = _maker(name, tm)(rng)
    if noise:
        size = float(np.linalg.norm(mesh.extents))
        mesh.vertices = mesh.vertices + rng.normal(0, noise * size, mesh.vertices.shape)
    if pose:
        mesh.apply_transform(tm.transformations.random_rotation_matrix(rng.random(3)))
        mesh.apply_scale(float(np.exp(rng.uniform(np.log(0.2), np.log(5.0)))))
    return mesh


def labelled_set(
    per_class: int = 6, noise: float = 0.005, classes: tuple[str, ...] = CLASSES, seed: int = 0
) -> list[tuple[str, Any]]:
    """(class, mesh) pairs: ``per_class`` noisy, posed variants of each class."""
    out = []
    for c, name in enumerate(classes):
        for i in range(per_class):
            out.append((name, make(name, seed=seed + 1000 * c + i, noise=noise, pose=True)))
    return out
