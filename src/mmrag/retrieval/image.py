"""Image-to-image ranking on the image model's pooled features.

Cosine after centring measured best: the ReLU6 pooled features all sit in one orthant, so
raw cosines crowd together; subtracting the corpus mean spreads them. With fewer than
``MIN_FOR_CENTRING`` images the mean is too noisy (two images centre to opposite
vectors), so small corpora use raw cosine.
"""

from __future__ import annotations

import numpy as np

MIN_FOR_CENTRING = 20


def rank_by_feature(
    query: np.ndarray, gallery: np.ndarray, k: int
) -> tuple[np.ndarray, np.ndarray]:
    """Indices of the ``k`` most similar gallery rows and their cosine scores."""
    if len(gallery) == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
    mean = gallery.mean(axis=0) if len(gallery) >= MIN_FOR_CENTRING else 0.0
    g = gallery - mean
    q = np.asarray(query, dtype=np.float32) - mean
    g = g / np.maximum(np.linalg.norm(g, axis=1, keepdims=True), 1e-12)
    q = q / max(float(np.linalg.norm(q)), 1e-12)
    scores = g @ q
    top = np.argsort(-scores, kind="stable")[:k]
    return top, scores[top]
