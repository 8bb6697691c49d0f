"""The zero-shot rule that multiplies the vectors' and WordNet's views (vision.zeroshot)."""

from __future__ import annotations

import numpy as np
import pytest

from mmrag.vision.zeroshot import FLOOR, combined_scores


def test_combined_scores_are_the_two_log_distributions_added():
    similarity = np.array([[0.30, 0.27, 0.20]])
    summed = np.array([[0.02, 0.30, 0.08]])  # of the classifier's 1,000 classes
    got = combined_scores(similarity, summed, temperature=0.03)
    z = similarity[0] / 0.03
    by_vectors = z - np.log(np.exp(z).sum())
    share = summed[0] / summed[0].sum()
    assert got[0] == pytest.approx(by_vectors + np.log(share + FLOOR))
    # the vector alone picks name 0 (by 0.03), the sums name 1 (15x): together name 1
    assert np.argmax(similarity[0]) == 0 and int(np.argmax(got[0])) == 1


def test_a_name_the_classifier_never_gives_is_not_vetoed():
    # no ImageNet class under name 1 ("deer"), but the vector is sure of it
    similarity = np.array([[0.10, 0.40]])
    summed = np.array([[0.05, 0.0]])
    assert int(np.argmax(combined_scores(similarity, summed))) == 1
    assert np.isfinite(combined_scores(similarity, summed)).all()


def test_shapes_must_match():
    with pytest.raises(ValueError, match="same shape"):
        combined_scores(np.zeros((2, 3)), np.zeros((2, 4)))
