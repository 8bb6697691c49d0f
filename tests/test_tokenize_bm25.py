import math

import numpy as np

from mmrag.stores import SourceRecord
from mmrag.stores.lance import LanceStore
from mmrag.text.tokenize import tokenize
from mmrag.types import Chunk


def test_chinese_is_segmented_into_words_with_search_subwords():
    tokens = tokenize("我来到北京清华大学")
    assert "北京" in tokens and "清华大学" in tokens and "清华" in tokens
    assert tokenize("The Giant-Panda eats 12 KG") == ["the", "giant", "panda", "eats", "12", "kg"]


def test_mixed_language_text_keeps_both():
    assert tokenize("熊猫 panda") == ["熊猫", "panda"]


def _store(tmp_path, texts):
    store = LanceStore(tmp_path / "lance", dim=4)
    chunks = [Chunk(id=f"c{i}", source=f"f{i}.txt", text=t) for i, t in enumerate(texts)]
    records = [
        SourceRecord(f"/f{i}.txt", f"f{i}.txt", "h", 1, 0.0, 1, "text", 0.0)
        for i in range(len(texts))
    ]
    store.write(records, chunks, np.eye(len(texts), 4, dtype=np.float32))
    store.optimize()
    return store


def _bm25(tf, dl, avgdl, n_docs, df, k1=1.2, b=0.75):
    idf = math.log(1 + (n_docs - df + 0.5) / (df + 0.5))
    return idf * tf * (k1 + 1) / (tf + k1 * (1 - b + b * dl / avgdl))


def test_bm25_on_chinese_matches_hand_computed_scores(tmp_path):
    texts = ["熊猫吃竹子", "熊猫熊猫很可爱", "长城很长"]
    store = _store(tmp_path, texts)
    lengths = [len(tokenize(t)) for t in texts]
    avgdl = sum(lengths) / len(lengths)
    hits = store.sparse(tokenize("熊猫"), k=10)
    assert [h.id for h in hits] == ["c1", "c0"]
    expected = {
        "c0": _bm25(1, lengths[0], avgdl, 3, 2),
        "c1": _bm25(2, lengths[1], avgdl, 3, 2),
    }
    for hit in hits:
        assert math.isclose(hit.scores["bm25"], expected[hit.id], rel_tol=1e-4)


def test_bm25_ignores_documents_without_the_term(tmp_path):
    store = _store(tmp_path, ["熊猫吃竹子", "长城很长", "tea from china"])
    assert [h.id for h in store.sparse(tokenize("长城"), k=10)] == ["c1"]
    assert [h.id for h in store.sparse(tokenize("Tea"), k=10)] == ["c2"]
    assert store.sparse([], k=10) == []


def test_an_index_from_before_stemming_is_rebuilt_by_the_next_ingest(tmp_path):
    from lancedb.index import FTS

    store = _store(tmp_path, ["green teas from china", "长城很长"])
    assert [h.id for h in store.sparse(tokenize("tea"), k=10)] == ["c0"]
    # the full-text index an older mmrag made: no stemming
    store._chunks.create_index("tokens", replace=True, config=FTS(
        base_tokenizer="whitespace", lower_case=True, stem=False, remove_stop_words=False,
        ascii_folding=False, with_position=False))
    assert store.sparse(tokenize("tea"), k=10) == []
    assert store.upgrade() is True
    assert [h.id for h in store.sparse(tokenize("tea"), k=10)] == ["c0"]
    assert [h.id for h in store.sparse(tokenize("长城"), k=10)] == ["c1"]
    assert store.upgrade() is False
