"""Chinese queries find English text by its words too: dictionary query translation."""

from __future__ import annotations

from mmrag.pipeline import Pipeline
from mmrag.text.stopwords import bm25_terms
from mmrag.text.translate import english_terms


def test_chinese_words_are_looked_up_longest_first_and_function_words_skipped():
    terms = english_terms("一个男孩在草地上踢足球", frozenset({"在", "一个"}))
    assert {"boy", "lawn", "kick", "soccer"} <= set(terms)
    assert "exist" not in terms  # 在, a function word here
    assert "grass" not in terms  # 草 is inside 草地, which was found: not looked up alone
    # a word the dictionary lacks is read as the longest words it is made of
    assert {"snow", "tree"} <= set(english_terms("雪树"))
    assert english_terms("A boy kicks a ball") == []
    # BM25 searches both: the Chinese words and their English
    terms = bm25_terms("熊猫吃什么")
    assert terms[:2] == ["熊猫", "吃"] and {"panda", "eat"} <= set(terms)


def test_a_chinese_query_finds_an_english_note_by_bm25(tmp_path):
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "match.txt").write_text("A boy kicks a football across the lawn.", "utf-8")
    (notes / "other.txt").write_text("The committee postponed the vote on the budget.", "utf-8")
    rag = Pipeline.open(tmp_path / "index", embedder="hash", create=True)
    rag.ingest([notes])
    hits = rag.search("男孩在草地上踢足球", k=2, strategy="bm25")
    assert hits and hits[0].source.endswith("match.txt") and len(hits) == 1
