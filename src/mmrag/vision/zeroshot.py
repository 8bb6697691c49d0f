"""Zero-shot classification by class names from two views of an image, as experts.

An image's stored vector ranks the names' prompts by cosine ("a photo of a dog." against
the bridge + ConSE vector), and WordNet sums its ImageNet probabilities under each name
(:mod:`.hierarchy`: "dog" is every breed). They err differently: the vector knows scenes
and words the classifier lacks ("deer": ImageNet-1k has no cervid), the sums know which
breed-level evidence adds up to a concept. Each is read as a distribution over the names
and they are multiplied (a product of experts: the log-probabilities added, one weight
each), so a name wins when both find it likely.

Nothing here is fitted to a benchmark. The cosines become probabilities at the temperature
the image-text bridge was trained at (its InfoNCE softmax is exactly that reading of
them; 0.03 for the shipped bridge), and a name the classifier gives no probability keeps
a floor of 1/1000, one ImageNet class's share under a uniform guess, so the sums can
down-weight a name but never veto one the vector sees.
"""

from __future__ import annotations

import numpy as np

TEMPERATURE = 0.03  # the shipped bridge's InfoNCE temperature (bridge.py: "flickr8k-2")
FLOOR = 1e-3  # one of ImageNet's 1,000 classes under a uniform guess


def _log_softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=1, keepdims=True))


def combined_scores(similarity: np.ndarray, concept_probs: np.ndarray,
                    temperature: float = TEMPERATURE, floor: float = FLOOR) -> np.ndarray:
    """(images, names) log-scores: the vectors' softmax at ``temperature`` times the
    WordNet sums renormalised over the names (plus ``floor``); argmax is the guess."""
    similarity = np.asarray(similarity, np.float64)
    summed = np.asarray(concept_probs, np.float64)
    if similarity.shape != summed.shape:
        raise ValueError(f"expected scores of the same shape, got {similarity.shape} and "
                         f"{summed.shape}")
    share = summed / np.maximum(summed.sum(axis=1, keepdims=True), 1e-12)
    return _log_softmax(similarity / temperature) + np.log(share + floor)
