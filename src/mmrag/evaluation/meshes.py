"""3D->3D retrieval quality: leave-one-out precision@k of the shape descriptor.

Each labelled mesh queries all the others; precision@k is the share of its k nearest that
have its class, averaged over queries. With ``n`` variants per class, k = n - 1 asks for
every other variant of the class in the first places (R-precision).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..mesh.descriptor import similarity


def precision_at_k(descriptors: np.ndarray, labels: Sequence[str], k: int) -> float:
    classes = np.asarray(labels)
    if k < 1 or k >= len(classes):
        raise ValueError(f"expected 1 <= k < {len(classes)} (the number of meshes), got {k}")
    found = []
    for i, query in enumerate(descriptors):
        scores = similarity(query, descriptors)
        scores[i] = -np.inf
        top = np.argsort(-scores, kind="stable")[:k]
        found.append(float((classes[top] == classes[i]).mean()))
    return float(np.mean(found))
