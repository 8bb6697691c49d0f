"""LLM answers through the OpenAI-compatible client, against a scripted loopback server."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from mmrag.generators import generators
from mmrag.generators.prompting import renumber
from mmrag.llms import Message, complete, llms
from mmrag.types import Hit

HITS = [
    Hit(id="a", score=1, source="tea.md", text="Tea reached England in the 1660s."),
    Hit(id="b", score=0.9, source="novels.pdf", text="William Faulkner wrote it in 1929."),
    Hit(id="c", score=0.8, source="cat.jpg", text="a tabby cat", modality="image",
        meta={"path": ""}),
]


class Script:
    reply = "William Faulkner [2]"
    status = 200
    requests: list[dict] = []


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):  # keep test output clean
        pass

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        Script.requests.append({"path": self.path, "body": body,
                                "auth": self.headers.get("Authorization")})
        if Script.status != 200:
            self.send_response(Script.status)
            self.end_headers()
            self.wfile.write(b"model exploded")
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()
        chat = self.path.endswith("/chat/completions")
        for word in Script.reply.split(" "):
            piece = word + " "
            choice = {"delta": {"content": piece}} if chat else {"text": piece}
            self.wfile.write(f"data: {json.dumps({'choices': [choice]})}\n\n".encode())
        self.wfile.write(b"data: [DONE]\n\n")


@pytest.fixture
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    # shutdown() waits for serve_forever's next poll: 0.5 s by default, at every test
    thread = threading.Thread(target=httpd.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    Script.reply, Script.status, Script.requests = "William Faulkner [2]", 200, []
    yield f"http://127.0.0.1:{httpd.server_address[1]}/v1"
    httpd.shutdown()


def test_chat_request_shape_and_streamed_reply(server):
    llm = llms.create("openai", base_url=server, model="m", api_key="secret")
    text = complete(llm, [Message("system", "be brief"), Message("user", "hi")], max_tokens=9)
    assert text.strip() == "William Faulkner [2]"
    request = Script.requests[-1]
    assert request["path"] == "/v1/chat/completions" and request["auth"] == "Bearer secret"
    assert request["body"]["messages"][1] == {"role": "user", "content": "hi"}
    assert request["body"]["max_tokens"] == 9 and request["body"]["stream"] is True


def test_images_go_to_vision_models_as_data_urls(server, tmp_path):
    image = tmp_path / "q.png"
    image.write_bytes(b"\x89PNG fake")
    llm = llms.create("openai", base_url=server)
    complete(llm, [Message("user", "what is this?", images=(str(image),))])
    content = Script.requests[-1]["body"]["messages"][0]["content"]
    assert content[0] == {"type": "text", "text": "what is this?"}
    assert content[1]["image_url"]["url"].startswith("data:image/png;base64,")


def test_llm_answer_cites_renumbered_passages(server):
    gen = generators.create("llm", llm="openai", base_url=server, mode="completion")
    answer = gen.generate("Who wrote the 1929 novel?", HITS)
    assert answer.answer == "William Faulkner [1]"
    assert answer.citations == [HITS[1]] and answer.generator == "llm"
    prompt = Script.requests[-1]["body"]["prompt"]
    assert "[2] William Faulkner wrote it in 1929." in prompt
    assert prompt.endswith("Question: Who wrote the 1929 novel?\nAnswer:")


def test_uncited_answer_is_attributed_to_its_best_passage(server):
    Script.reply = "In the 1660s"
    gen = generators.create("llm", llm="openai", base_url=server)
    answer = gen.generate("When did tea reach England?", HITS)
    assert answer.answer == "In the 1660s [1]" and answer.citations == [HITS[0]]


@pytest.mark.parametrize("reply,status,why", [
    ("", 200, "returned nothing"),
    ("x", 500, "answered 500"),
    ("Who wrote the 1929 novel?", 200, "repeated the question"),
])
def test_falls_back_to_extractive_and_says_so(server, reply, status, why):
    Script.reply, Script.status = reply, status
    gen = generators.create("llm", llm="openai", base_url=server)
    answer = gen.generate("Who wrote the 1929 novel?", HITS)
    assert answer.generator == "llm->extractive"
    assert why in answer.notes[0]
    assert "Faulkner" in answer.answer and answer.citations


def test_unreachable_server_falls_back():
    gen = generators.create("llm", llm="openai", base_url="http://127.0.0.1:9/v1", timeout=2)
    answer = gen.generate("Who wrote the 1929 novel?", HITS)
    assert answer.generator == "llm->extractive" and "unreachable" in answer.notes[0]


def test_hybrid_rejects_an_answer_not_in_the_passages(server):
    Script.reply = "Ernest Hemingway [2]"
    answer = generators.create("hybrid", llm="openai", base_url=server).generate(
        "Who wrote the 1929 novel?", HITS)
    assert answer.generator == "hybrid->extractive"
    assert "not in the best-supported sentence" in answer.notes[0]
    Script.reply = "William Faulkner [2]"
    answer = generators.create("hybrid", llm="openai", base_url=server).generate(
        "Who wrote the 1929 novel?", HITS)
    assert answer.generator == "hybrid"
    assert answer.answer == "William Faulkner — William Faulkner wrote it in 1929 [1]"


def test_renumber_drops_out_of_range_citations():
    assert renumber("A [3] and B [1] [9]", [3, 1]) == "A [1] and B [2]"


def test_missing_url_is_a_clear_config_error(monkeypatch):
    monkeypatch.delenv("MMRAG_LLM_URL", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    with pytest.raises(Exception, match="needs a server URL"):
        llms.create("openai")
