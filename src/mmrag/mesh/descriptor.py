"""A shape descriptor for 3D->3D search, invariant to rotation and scale by construction.

Points are sampled on the surface (area-weighted, fixed seed, so a file always gets the
same descriptor) and summarised by distributions that no rotation changes:

- D2: distances between random pairs of points (Osada, Funkhouser, Chazelle and Dobkin,
  "Shape distributions", ACM TOG 2002), the core of the descriptor;
- D1: distances from the surface centroid;
- A3: angles formed by random triples of points;
- the ratios of the point cloud's PCA eigenvalues (how long, flat or round it is).

Distances are divided by the mean centroid distance, so a model and its scaled copy
match. Each histogram sums to 1; two descriptors are compared by L1 distance, scaled to a
similarity in [0, 1] by :func:`similarity`.
"""

from __future__ import annotations

import numpy as np

from .io import area

POINTS = 4096
PAIRS = 32768
D2_BINS, D2_MAX = 32, 3.5
D1_BINS, D1_MAX = 16, 2.5
A3_BINS = 16
# layout: d2 | d1 | a3 | 2 eigenvalue ratios
DIM = D2_BINS + D1_BINS + A3_BINS + 2
PARTS = 4  # each part contributes at most 2 to the L1 distance


def sample_surface(
    vertices: np.ndarray, faces: np.ndarray, n: int, rng: np.random.Generator
) -> np.ndarray:
    weights = area(vertices, faces)
    chosen = rng.choice(len(faces), size=n, p=weights / weights.sum())
    tri = vertices[faces[chosen]]
    r1, r2 = rng.random(n), rng.random(n)
    s = np.sqrt(r1)[:, None]
    return (1 - s) * tri[:, 0] + s * (1 - r2[:, None]) * tri[:, 1] + s * r2[:, None] * tri[:, 2]


def shape_descriptor(vertices: np.ndarray, faces: np.ndarray, seed: int = 0) -> np.ndarray:
    """A (DIM,) float32 descriptor of the surface given by ``vertices`` and ``faces``."""
    rng = np.random.default_rng(seed)
    points = sample_surface(np.asarray(vertices, np.float64), faces, POINTS, rng)
    centred = points - points.mean(axis=0)
    radial = np.linalg.norm(centred, axis=1)
    scale = max(float(radial.mean()), 1e-12)
    i, j, m = (rng.integers(0, POINTS, PAIRS) for _ in range(3))
    d2 = np.linalg.norm(points[i] - points[j], axis=1) / scale
    a, b = points[i] - points[m], points[j] - points[m]
    norms = np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1)
    ok = norms > 1e-12 * scale * scale
    cos = np.clip((a[ok] * b[ok]).sum(axis=1) / norms[ok], -1.0, 1.0)
    eig = np.sort(np.linalg.eigvalsh(np.cov(centred.T)))[::-1]
    ratios = eig[1:] / max(float(eig[0]), 1e-24)
    return np.concatenate([
        _histogram(d2, D2_BINS, D2_MAX),
        _histogram(radial / scale, D1_BINS, D1_MAX),
        _histogram(np.arccos(cos), A3_BINS, np.pi),
        ratios,
    ]).astype(np.float32)


def _histogram(values: np.ndarray, bins: int, top: float) -> np.ndarray:
    counts, _ = np.histogram(np.clip(values, 0.0, top * (1 - 1e-9)), bins=bins, range=(0, top))
    return counts / max(counts.sum(), 1)


def similarity(query: np.ndarray, gallery: np.ndarray) -> np.ndarray:
    """1 - (L1 distance / its maximum) of ``query`` to each row of ``gallery``."""
    gallery = np.atleast_2d(np.asarray(gallery, dtype=np.float32))
    if gallery.shape[1] != DIM:
        raise ValueError(f"expected shape descriptors of {DIM} numbers, got {gallery.shape[1]}")
    return 1.0 - np.abs(gallery - np.asarray(query, np.float32)).sum(axis=1) / (2.0 * PARTS)


def rank(query: np.ndarray, gallery: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Indices of the ``k`` most similar gallery rows and their similarities."""
    if len(gallery) == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
    scores = similarity(query, gallery)
    top = np.argsort(-scores, kind="stable")[:k]
    return top, scores[top]
