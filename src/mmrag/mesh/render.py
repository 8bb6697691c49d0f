"""Flat-shaded views of a mesh from a numpy z-buffer: headless, no GL, a few ms per view.

The model is centred, fitted to the frame by its bounding sphere and looked at with an
orthographic camera from fixed directions around the vertical axis (catalogue models
stand upright in their own frame: +Y up for glTF, OBJ, PLY and OFF, +Z up for STL,
which CAD tools write). Faces are lit from the camera's side, two-sided (winding in
downloaded models is often inconsistent), on a light grey background like a product
photo, and drawn at twice the size then averaged down for smooth edges.

Triangles are rasterised in batches of similar size: each batch tests the pixels of its
largest bounding box against every triangle of the batch at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .png import write_png

BACKGROUND = 235
COLOUR = np.array([196, 170, 140], dtype=np.float64)  # a light wood tone
BUDGET = 1 << 20  # pixel tests per batch


@dataclass(frozen=True)
class View:
    name: str
    azimuth: float  # degrees around the up axis, 0 = from the front (+Z)
    elevation: float  # degrees above the horizon


VIEWS = (
    View("front-left", -35.0, 20.0),
    View("front-right", 35.0, 20.0),
    View("side", 90.0, 10.0),
    View("top", 20.0, 70.0),
)


def upright(vertices: np.ndarray, up: str = "y") -> np.ndarray:
    """Vertices with ``up`` (``y`` or ``z``) turned to +Y."""
    if up == "z":
        return vertices[:, [0, 2, 1]] * np.array([1.0, 1.0, -1.0])
    return vertices


def render(
    vertices: np.ndarray, faces: np.ndarray, view: View, size: int = 224, supersample: int = 2
) -> np.ndarray:
    """An (size, size, 3) uint8 image of the mesh seen from ``view``."""
    big = size * supersample
    v = np.asarray(vertices, dtype=np.float64)
    v = v - (v.min(axis=0) + v.max(axis=0)) / 2
    radius = max(float(np.linalg.norm(v, axis=1).max()), 1e-12)
    az, el = np.radians(view.azimuth), np.radians(view.elevation)
    towards = np.array([np.cos(el) * np.sin(az), np.sin(el), np.cos(el) * np.cos(az)])
    right = np.cross([0.0, 1.0, 0.0], towards)
    right /= max(float(np.linalg.norm(right)), 1e-12)
    up = np.cross(towards, right)
    half = big / 2
    x = (v @ right / radius * 0.92 + 1) * half
    y = (1 - v @ up / radius * 0.92) * half
    depth = v @ towards  # larger is nearer the camera
    tri = v[faces]
    normals = np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0])
    normals /= np.maximum(np.linalg.norm(normals, axis=1, keepdims=True), 1e-30)
    light = towards + 0.5 * up - 0.3 * right
    light /= np.linalg.norm(light)
    shade = 0.3 + 0.7 * np.abs(normals @ light)
    image = np.full((big * big, 3), float(BACKGROUND))
    pixels, face = _rasterise(x, y, depth, faces, big)
    image[pixels] = shade[face, None] * COLOUR
    image = image.reshape(size, supersample, size, supersample, 3).mean(axis=(1, 3))
    return np.clip(image + 0.5, 0, 255).astype(np.uint8)


def _rasterise(
    x: np.ndarray, y: np.ndarray, depth: np.ndarray, faces: np.ndarray, size: int
) -> tuple[np.ndarray, np.ndarray]:
    """For each covered pixel (flat index), the nearest face."""
    fx, fy, fz = x[faces], y[faces], depth[faces]
    x0 = np.clip(np.ceil(fx.min(axis=1) - 0.5), 0, size).astype(np.int64)
    x1 = np.clip(np.floor(fx.max(axis=1) - 0.5), -1, size - 1).astype(np.int64)
    y0 = np.clip(np.ceil(fy.min(axis=1) - 0.5), 0, size).astype(np.int64)
    y1 = np.clip(np.floor(fy.max(axis=1) - 0.5), -1, size - 1).astype(np.int64)
    signed = (fx[:, 1] - fx[:, 0]) * (fy[:, 2] - fy[:, 0]) - (fx[:, 2] - fx[:, 0]) * (
        fy[:, 1] - fy[:, 0])
    w, h = x1 - x0 + 1, y1 - y0 + 1
    keep = np.flatnonzero((w > 0) & (h > 0) & (np.abs(signed) > 1e-12))
    side = np.maximum(w, h)[keep]
    keep = keep[np.argsort(side, kind="stable")]
    side = np.sort(side)
    found_pix: list[np.ndarray] = []
    found_z: list[np.ndarray] = []
    found_face: list[np.ndarray] = []
    start = 0
    while start < len(keep):
        end = min(len(keep), start + max(1, BUDGET // int(side[start]) ** 2))
        while end - start > 1 and (end - start) * int(side[end - 1]) ** 2 > BUDGET:
            end = start + (end - start) // 2
        ids = keep[start:end]
        span = int(side[end - 1])
        gx = x0[ids, None, None] + np.arange(span)[None, None, :]
        gy = y0[ids, None, None] + np.arange(span)[None, :, None]
        px, py = gx + 0.5, gy + 0.5
        X, Y, area = fx[ids, :, None, None], fy[ids, :, None, None], signed[ids, None, None]
        b0 = ((X[:, 1] - px) * (Y[:, 2] - py) - (X[:, 2] - px) * (Y[:, 1] - py)) / area
        b1 = ((X[:, 2] - px) * (Y[:, 0] - py) - (X[:, 0] - px) * (Y[:, 2] - py)) / area
        b2 = 1.0 - b0 - b1
        inside = ((b0 >= 0) & (b1 >= 0) & (b2 >= 0)
                  & (gx <= x1[ids, None, None]) & (gy <= y1[ids, None, None]))
        n, r, c = np.nonzero(inside)
        z = fz[ids[n], 0] * b0[n, r, c] + fz[ids[n], 1] * b1[n, r, c] + fz[ids[n], 2] * b2[n, r, c]
        found_pix.append(gy[n, r, 0] * size + gx[n, 0, c])
        found_z.append(z)
        found_face.append(ids[n])
        start = end
    if not found_pix:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    pix, z, face = (np.concatenate(a) for a in (found_pix, found_z, found_face))
    order = np.lexsort((-z, pix))
    first = np.unique(pix[order], return_index=True)[1]
    return pix[order][first], face[order][first]


def render_views(
    vertices: np.ndarray, faces: np.ndarray, out_dir: Path, up: str = "y",
    views: tuple[View, ...] = VIEWS, size: int = 224,
) -> list[tuple[str, Path]]:
    """Render ``views`` into ``out_dir`` as ``view-<name>.png``; (name, path) for each."""
    out_dir.mkdir(parents=True, exist_ok=True)
    v = upright(vertices, up)
    saved = []
    for view in views:
        path = out_dir / f"view-{view.name}.png"
        write_png(path, render(v, faces, view, size))
        saved.append((view.name, path))
    return saved
