"""What the ``llm`` answerer reads: passages ordered by the embedder's query-passage
similarity (``order="dense"``) and cut to the first ``passages``, with the answer's ``[n]``
citing the passage the model was given as [n]. A scripted loopback server plays the model and
a table embedder sets each passage's similarity."""

from __future__ import annotations

import json
from http.server import BaseHTTPRequestHandler
from typing import Any

import numpy as np
import pytest

from fixtures import LIBRARY_QUESTION, library_hits
from mmrag.errors import ConfigError
from mmrag.generators import generators
from mmrag.generators.reading import dense_order, reading
from servers import send_chat_stream, serve_handler

HITS = library_hits(["d1", "d2", "gold"])
QUESTION = LIBRARY_QUESTION
# cosine with the question: gold first, then d1, then d2 (the rank order is d1, d2, gold)
SIMILARITY = {"d1": 0.6, "d2": 0.2, "gold": 0.9}


class TableEmbedder:
    """Queries are the unit vector e0; a passage's cosine with any query is its table value."""

    name, dim, modalities, config = "table", 2, frozenset({"text"}), {}

    def embed(self, items: Any, *, role: str) -> np.ndarray:
        rows = []
        for item in items:
            if role == "query":
                rows.append([1.0, 0.0])
                continue
            cos = next((SIMILARITY[h.id] for h in HITS
                        if item.text.strip(" .") in h.text), 0.0)
            rows.append([cos, (1 - cos * cos) ** 0.5])
        return np.array(rows, dtype=np.float32)


class Script:
    reply: list[str] = []
    status = 200
    prompts: list[str] = []


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        Script.prompts.append(body["messages"][-1]["content"])
        if Script.status != 200:
            self.send_response(Script.status)
            self.end_headers()
            return
        send_chat_stream(self, Script.reply)
        self.wfile.write(b"data: [DONE]\n\n")


@pytest.fixture
def server():
    Script.reply, Script.status, Script.prompts = ["4 pm ", "[1]"], 200, []
    with serve_handler(Handler) as url:
        yield url


def llm(url: str, **options: Any):
    return generators.create("llm", llm="openai", base_url=url, embedder=TableEmbedder(),
                             **options)


def test_dense_order_puts_the_most_similar_passage_first():
    assert dense_order(TableEmbedder(), QUESTION, HITS) == [2, 0, 1]
    read = reading(QUESTION, HITS, "dense", 2, TableEmbedder())
    assert [h.id for h in read] == ["gold", "d1"]
    # without an embedder (a generator made outside a pipeline) the rank order stays
    assert [h.id for h in reading(QUESTION, HITS, "dense", 2, None)] == ["d1", "d2"]


def test_the_model_reads_the_first_passages_in_dense_order_and_its_1_cites_the_first(server):
    answer = llm(server, order="dense", passages=2).generate(QUESTION, HITS)
    prompt = Script.prompts[-1]
    assert "[1] At weekends the Harbor Street branch" in prompt
    assert "[2] The Harbor Street library opens" in prompt
    assert "children's corner" not in prompt and "[3]" not in prompt
    assert answer.answer == "4 pm [1]" and answer.citations == [HITS[2]]


def test_a_citation_of_the_second_passage_read_is_the_second_in_dense_order(server):
    Script.reply = ["9 am ", "[2]"]
    answer = llm(server, order="dense", passages=2).generate(QUESTION, HITS)
    assert answer.answer == "9 am [1]" and answer.citations == [HITS[0]]


def test_rank_order_with_fewer_passages_reads_the_top_ranked(server):
    Script.reply = ["9 am ", "[1]"]
    answer = llm(server, passages=1).generate(QUESTION, HITS)
    assert "[1] The Harbor Street library opens" in Script.prompts[-1]
    assert "[2]" not in Script.prompts[-1]
    assert answer.citations == [HITS[0]]


def test_the_default_reads_every_passage_in_rank_order(server):
    Script.reply = ["9 am ", "[1]"]
    llm(server).generate(QUESTION, HITS)
    prompt = Script.prompts[-1]
    assert all(f"[{n}] {h.text}" in prompt for n, h in enumerate(HITS, 1))


def test_the_extractive_fallback_still_reads_every_hit(server):
    Script.status = 500
    answer = llm(server, order="dense", passages=1).generate(QUESTION, HITS)
    assert answer.generator == "llm->extractive"
    assert "[2]" not in Script.prompts[-1]  # the model was given one passage
    # the extract's best sentence is in a passage the model was not given
    assert answer.citations[0] in (HITS[0], HITS[1])


@pytest.mark.parametrize("options,message", [
    ({"order": "cosine"}, "order must be one of"),
    ({"passages": 0}, "passages must be a positive number"),
    ({"passages": "2"}, "passages must be a positive number"),
])
def test_bad_reading_options_are_clear_errors(options, message):
    with pytest.raises(ConfigError, match=message):
        generators.create("llm", llm="openai", base_url="http://127.0.0.1:9/v1", **options)
