import math

from mmrag.retrieval.fusion import fuse_rrf
from mmrag.types import Hit


def _hits(stage, ids):
    return [Hit(id=i, score=10.0 - n, source=f"{i}.txt", text=i, scores={stage: 10.0 - n})
            for n, i in enumerate(ids)]


def test_rrf_matches_hand_computed_values():
    dense = _hits("dense", ["a", "b", "c"])
    bm25 = _hits("bm25", ["c", "a", "d"])
    fused = fuse_rrf({"dense": dense, "bm25": bm25}, k=60)
    expected = {
        "a": 1 / 61 + 1 / 62,
        "c": 1 / 63 + 1 / 61,
        "b": 1 / 62,
        "d": 1 / 63,
    }
    assert [h.id for h in fused] == ["a", "c", "b", "d"]
    for hit in fused:
        assert math.isclose(hit.score, expected[hit.id])
        assert math.isclose(hit.scores["rrf"], expected[hit.id])
    a = fused[0]
    assert a.scores["dense"] == 10.0 and a.scores["dense_rank"] == 1
    assert a.scores["bm25"] == 9.0 and a.scores["bm25_rank"] == 2
    assert "bm25" not in fused[2].scores  # b was only found by dense


def test_rrf_does_not_mutate_inputs_and_breaks_ties_by_id():
    dense = _hits("dense", ["x", "y"])
    bm25 = _hits("bm25", ["y", "x"])
    fused = fuse_rrf({"dense": dense, "bm25": bm25})
    assert [h.id for h in fused] == ["x", "y"]
    assert dense[0].scores == {"dense": 10.0}


def test_minmax_and_zscore_normalisation_by_hand():
    from mmrag.retrieval.fusion import normalise_scores

    assert normalise_scores([3.0, 1.0, 2.0]) == [1.0, 0.0, 0.5]
    assert normalise_scores([5.0]) == [1.0]
    z = normalise_scores([1.0, 2.0, 3.0], "zscore")
    assert z == [-(1.5**0.5), 0.0, 1.5**0.5]


def test_weighted_fusion_matches_hand_computed_values():
    from mmrag.retrieval.fusion import fuse_weighted

    text = _hits("text", ["a", "b", "c"])  # scores 10, 9, 8 -> 1, .5, 0
    audio = [Hit(id=i, score=s, source=i, text=i, scores={"audio": s})
             for i, s in [("c", 0.9), ("d", 0.5), ("a", 0.1)]]  # -> 1, .5, 0
    fused = fuse_weighted({"text": text, "audio": audio}, {"text": 0.6, "audio": 0.4})
    expected = {"a": 0.6 * 1 + 0.4 * 0, "b": 0.6 * 0.5, "c": 0.6 * 0 + 0.4 * 1, "d": 0.4 * 0.5}
    assert [h.id for h in fused] == ["a", "c", "b", "d"]
    for hit in fused:
        assert math.isclose(hit.score, expected[hit.id])
    assert fused[0].scores["text_norm"] == 1.0 and fused[0].scores["audio"] == 0.1


def test_a_query_is_embedded_once_however_many_stages_ask():
    import numpy as np

    from mmrag.embedders import QUERY_CACHE_SIZE, embed_query

    class Counting:
        name, dim, modalities, config = "counting", 2, frozenset({"text"}), {}
        calls = 0

        def embed(self, items, *, role):
            Counting.calls += 1
            return np.array([[len(i.text), 1.0] for i in items], np.float32)

    emb = Counting()
    first = embed_query(emb, "tea")
    assert embed_query(emb, "tea") is first and Counting.calls == 1
    assert not first.flags.writeable
    for n in range(QUERY_CACHE_SIZE):
        embed_query(emb, f"q{n}")
    embed_query(emb, "tea")  # evicted by 1,024 newer queries: embedded again
    assert Counting.calls == QUERY_CACHE_SIZE + 2
    assert embed_query(Counting(), "tea") is not first  # per embedder
