from mmrag.text.chunker import ChunkerConfig, chunk_sections, windows
from mmrag.text.sentences import split_sentences
from mmrag.text.tokenize import count_tokens
from mmrag.types import Section, Span


def test_chinese_sentences_split_on_full_width_punctuation():
    text = "熊猫吃竹子。它们每天吃很多！你知道吗？“知道。”好的"
    expected = ["熊猫吃竹子。", "它们每天吃很多！", "你知道吗？", "“知道。”", "好的"]
    assert split_sentences(text) == expected


def test_english_sentences_keep_abbreviations_together():
    text = "Dr. Smith met Mr. Jones, e.g. at noon. They talked. Did they agree? Yes!"
    assert split_sentences(text) == [
        "Dr. Smith met Mr. Jones, e.g. at noon.",
        "They talked.",
        "Did they agree?",
        "Yes!",
    ]


def test_headings_are_their_own_sentence_but_wrapped_prose_is_not():
    text = "The Sound and the Fury\nIt is a novel by William\nFaulkner. It was published in 1929."
    assert split_sentences(text) == [
        "The Sound and the Fury",
        "It is a novel by William\nFaulkner.",
        "It was published in 1929.",
    ]


def test_windows_respect_budget_and_overlap_one_sentence():
    sentences = [f"Sentence number {i} is here." for i in range(20)]
    config = ChunkerConfig(max_tokens=30, overlap=1)
    chunks = windows(" ".join(sentences), config)
    assert len(chunks) > 3
    for chunk in chunks:
        assert count_tokens(chunk) <= 30
    for before, after in zip(chunks, chunks[1:], strict=False):
        last = split_sentences(before)[-1]
        assert split_sentences(after)[0] == last  # the overlap sentence
    # every sentence is somewhere
    joined = " ".join(chunks)
    assert all(s in joined for s in sentences)


def test_chinese_windows_cover_text_and_split_overlong_sentence():
    long_sentence = "竹" * 100 + "。"
    chunks = windows("熊猫吃竹子。" + long_sentence, ChunkerConfig(max_tokens=40, overlap=0))
    assert all(count_tokens(c) <= 40 for c in chunks)
    assert "".join(chunks).count("竹") == 101


def test_chunk_ids_are_stable_and_spans_kept():
    sections = [Section("Page one text.", Span(page=1)), Section("Page two text.", Span(page=2))]
    a = chunk_sections(sections, source="a.pdf", source_key="/x/a.pdf", content_hash="h1")
    b = chunk_sections(sections, source="a.pdf", source_key="/x/a.pdf", content_hash="h1")
    c = chunk_sections(sections, source="a.pdf", source_key="/x/a.pdf", content_hash="h2")
    assert [x.id for x in a] == [x.id for x in b]
    assert {x.id for x in a}.isdisjoint(x.id for x in c)
    assert [x.span.page for x in a] == [1, 2]
    assert [x.index for x in a] == [0, 1]
