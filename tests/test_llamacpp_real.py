"""The local LLM for real: Gemma-3-270M in llama.cpp's own OpenAI-compatible server."""

import json
import urllib.request

import pytest

from mmrag.generators import generators
from mmrag.llms import Message, complete, llms
from mmrag.types import Hit

pytestmark = pytest.mark.model
pytest.importorskip("xllamacpp", reason="install mmrag[llm]")


@pytest.fixture(scope="module")
def local():
    return llms.create("llamacpp")


def test_local_server_speaks_openai_on_loopback(local):
    complete(local, [Message("user", "Hello")], max_tokens=4)
    address = local._client.base_url
    assert address.startswith("http://127.0.0.1:")
    models = json.loads(urllib.request.urlopen(address + "/models", timeout=10).read())
    assert models["data"]


def test_llm_generator_answers_from_context(local):
    hits = [
        Hit(id="a", score=1, source="memo.txt",
            text="My favourite harpist is Joanna Newsom, who plays a concert harp."),
        Hit(id="b", score=0.5, source="tea.md", text="Tea reached England in the 1660s."),
    ]
    gen = generators.create("llm")
    gen.backend = local
    answer = gen.generate("Who is my favourite harpist?", hits)
    assert answer.generator in ("llm", "llm->extractive")
    assert "Newsom" in answer.answer
    assert answer.citations[0].source == "memo.txt"
