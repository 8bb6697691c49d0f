"""The local LLMs for real in llama.cpp's own OpenAI-compatible server: Qwen2.5-Coder-0.5B-Instruct
(the default, assembled from its PyPI parts) and Gemma-3-270M (a choice)."""

import json
import urllib.request

import pytest

from mmrag.cache import cache_dir
from mmrag.generators import generators
from mmrag.llms import Message, complete, llms
from mmrag.llms.assets import QWEN_CODER_05B, assemble
from mmrag.types import Hit

pytestmark = pytest.mark.model
pytest.importorskip("xllamacpp", reason="install mmrag[llm]")

HITS = [
    Hit(id="a", score=1, source="memo.txt",
        text="My favourite harpist is Joanna Newsom, who plays a concert harp."),
    Hit(id="b", score=0.5, source="tea.md", text="Tea reached England in the 1660s."),
    Hit(id="c", score=0.4, source="家人.txt", text="我的表妹小雨在杭州的一家茶馆工作。"),
]


@pytest.fixture(scope="module")
def local():
    return llms.create("llamacpp")


def test_the_default_model_is_the_verified_qwen_file(local):
    path = assemble(QWEN_CODER_05B, cache_dir() / "models")
    assert path.stat().st_size == QWEN_CODER_05B.size
    assert local.mode == "chat" and local._path() == path


def test_local_server_speaks_openai_on_loopback(local):
    complete(local, [Message("user", "Hello")], max_tokens=4)
    address = local._client.base_url
    assert address.startswith("http://127.0.0.1:")
    models = json.loads(urllib.request.urlopen(address + "/models", timeout=10).read())
    assert models["data"]


@pytest.mark.parametrize("question,expected,source", [
    ("Who is my favourite harpist?", "Newsom", "memo.txt"),
    ("小雨在哪个城市工作？", "杭州", "家人.txt"),
])
def test_llm_generator_answers_from_context_in_the_questions_language(
    local, question, expected, source
):
    gen = generators.create("llm")
    gen.backend = local
    answer = gen.generate(question, HITS)
    assert answer.generator == "llm"
    assert expected in answer.answer and answer.citations[0].source == source


def test_gemma_stays_a_choice():
    gemma = llms.create("llamacpp", model="gemma-3-270m")
    assert gemma.mode == "completion"
    gen = generators.create("llm", model="gemma-3-270m")
    gen.backend = gemma
    answer = gen.generate("Who is my favourite harpist?", HITS)
    assert "Newsom" in answer.answer and answer.citations[0].source == "memo.txt"


def test_the_passage_pick_reads_past_a_lexical_distractor_and_abstains_off_topic(local):
    """The model's yes/no odds per passage: the paraphrased passage that answers is rated
    above the one sharing the question's words, and passages that do not answer give the
    abstention."""
    from mmrag.generators.abstain import NOT_FOUND
    from mmrag.generators.answerability import answerability

    question = "How long is the hiking trail to Lake Mira?"
    hits = [
        Hit(id="d", score=1, source="trail_d.txt",
            text="The hiking trail to Lake Mira has four benches and a viewpoint."),
        Hit(id="g", score=0.9, source="trail_gold.txt",
            text="From the car park to the shore of Lake Mira the path runs 11 kilometres."),
    ]
    odds = answerability(local, question, hits)
    assert odds[1] > odds[0]
    gen = generators.create("llm", pick="one")
    gen.backend = local
    answer = gen.generate(question, hits)
    assert "11" in answer.answer and [h.source for h in answer.citations] == ["trail_gold.txt"]
    off_topic = [HITS[1], Hit(id="v", score=0.5, source="violin.txt",
                              text="The violin has four strings tuned in fifths.")]
    refusal = gen.generate("Who repaired the bell tower clock?", off_topic)
    assert refusal.answer == NOT_FOUND["en"] and refusal.citations == []
