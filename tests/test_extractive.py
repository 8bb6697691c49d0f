from mmrag.embedders import embedders
from mmrag.generators import generators
from mmrag.types import Hit, Span


def _hit(i, text, page=None):
    return Hit(id=f"h{i}", score=1.0 / (i + 1), source=f"doc{i}.txt", text=text,
               span=Span(page=page))


HITS = [
    _hit(0, "Notes on novels. The Great Gatsby is a 1925 novel by F. Scott Fitzgerald."),
    _hit(1, "Compson family saga. The Sound and the Fury is a 1929 novel by William Faulkner.",
         page=3),
    _hit(2, "Tea came to Europe in the 16th century."),
]


def test_picks_the_supported_sentence_and_cites_its_hit():
    gen = generators.create("extractive", embedder=embedders.create("hash"))
    answer = gen.generate("Who wrote the 1929 novel?", HITS)
    assert answer.answer.startswith("The Sound and the Fury is a 1929 novel by William Faulkner.")
    assert answer.answer.endswith("[1]")
    assert answer.citations == [HITS[1]]
    assert answer.generator == "extractive"


def test_works_without_an_embedder_and_in_chinese():
    gen = generators.create("extractive")
    hits = [_hit(0, "长城很长。大熊猫每天吃十二公斤竹子。"), _hit(1, "茶起源于中国。")]
    answer = gen.generate("熊猫每天吃多少竹子", hits)
    assert answer.answer == "大熊猫每天吃十二公斤竹子。 [1]"


def test_no_hits_gives_a_plain_answer_without_citations():
    answer = generators.create("extractive").generate("anything?", [])
    assert answer.citations == [] and "No indexed passage" in answer.answer


def test_unrelated_context_is_flagged_low_confidence():
    answer = generators.create("extractive").generate("quantum chromodynamics?", HITS[2:])
    assert any("low confidence" in n for n in answer.notes)
