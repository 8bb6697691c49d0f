"""`mmrag eval` on RGB-format files (made here): RGB's passage draw and matching rules,
accuracy under noise and the rejection rate when no passage holds the answer."""

from __future__ import annotations

import json
import random
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from mmrag.cli.main import main
from mmrag.evaluation.rgb import correct, passages, read_rgb, refused, run_rgb, supported
from mmrag.evaluation.runner import EvalConfig
from mmrag.generators.abstain import abstention
from mmrag.types import Answer, Hit

ROWS = [
    {"id": 0, "query": "踩踏事故死亡人数是多少？", "answer": ["12人"],
     "positive": [f"寺庙踩踏事故造成12人死亡，{i}人受伤。" for i in range(1, 7)],
     "negative": [f"另一座桥上的踩踏事故发生在{i}年。" for i in range(2000, 2010)]},
    {"id": 1, "query": "Who won the 2022 final?", "answer": [["Argentina", "ARG"]],
     "positive": [f"Argentina won the 2022 final, report {i}." for i in range(6)],
     "negative": [f"The 2018 final was played in Moscow, report {i}." for i in range(10)]},
]


@pytest.fixture
def rgb_file(tmp_path):
    path = tmp_path / "zh_refine.json"
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in ROWS), encoding="utf-8")
    return path


def test_rgb_matching_rules():
    assert correct("死亡人数为12人 [1]", ["12人"])
    assert correct("It was ARG.", [["Argentina", "ARG"]])
    assert not correct("12 people", ["12人"])
    # every part must be found, a list part by any of its alternatives
    assert correct("Paris and Rome", ["Paris", ["Rome", "Roma"]])
    assert not correct("Paris", ["Paris", ["Rome", "Roma"]])


def test_rgb_draw_mixes_negatives_by_the_noise_rate():
    row = ROWS[1]
    for noise, negatives in ((0.0, 0), (0.4, 2), (0.8, 4), (1.0, 5)):
        texts = passages(row, noise, random.Random(0))
        assert len(texts) == 5
        assert sum("2018" in t for t in texts) == negatives


def test_refusals_and_support():
    hit = Hit(id="a", score=1, source="p1", text="Argentina won the 2022 final.")
    assert refused(abstention("谁赢了？", "llm")) and refused(Answer("信息不足", [], "x"))
    assert not refused(Answer("Argentina [1]", [hit], "llm"))
    assert supported(Answer("Argentina won the final [1]", [hit], "llm")) == 1.0
    assert supported(Answer("Brazil lost badly in Qatar [1]", [hit], "llm")) == 0.0


class Oracle(BaseHTTPRequestHandler):
    """An LLM that answers when the answer is in its context and refuses otherwise."""

    def log_message(self, *args):
        pass

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        context = body["messages"][-1]["content"]
        reply = ("12人 [1]" if "12人" in context else "Argentina [1]" if "Argentina" in context
                 else "我不知道。" if "踩踏" in context else "I don't know.")
        self.send_response(200)
        self.end_headers()
        event = {"choices": [{"delta": {"content": reply}}]}
        self.wfile.write(f"data: {json.dumps(event)}\n\ndata: [DONE]\n\n".encode())


def test_rgb_accuracy_and_rejection_per_generator(rgb_file, tmp_path):
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Oracle)
    threading.Thread(target=httpd.serve_forever, args=(0.01,), daemon=True).start()
    try:
        config = EvalConfig(
            generators=["extractive", "llm"], embedder="hash",
            generator_options={"llm": "openai",
                               "base_url": f"http://127.0.0.1:{httpd.server_address[1]}/v1"})
        results = run_rgb(read_rgb(rgb_file), tmp_path / "index", config, None)
    finally:
        httpd.shutdown()
    llm, extractive = results["generators"]["llm"], results["generators"]["extractive"]
    assert llm["accuracy@0"] == llm["accuracy@0.8"] == 1.0 and llm["rejection@1"] == 1.0
    assert llm["supported@0"] == 1.0
    assert extractive["accuracy@0"] == 1.0 and extractive["rejection@1"] == 0.0
    assert len(llm["answers"]) == 2 * 4


def test_mmrag_eval_reads_rgb_files(rgb_file, tmp_path, capsys):
    code = main(["eval", str(rgb_file), "--embedder", "hash", "--noise-rates", "0,1",
                 "--out", str(tmp_path / "o"), "--no-progress", "--json"])
    results = json.loads(capsys.readouterr().out)
    assert code == 0 and results["kind"] == "rgb" and results["questions"] == 2
    assert set(results["generators"]["extractive"]) >= {"accuracy@0", "rejection@1"}
    assert "| extractive |" in (tmp_path / "o" / "report.md").read_text()


def test_a_broken_rgb_row_is_named(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(ROWS[0], ensure_ascii=False) + "\n{\"query\": 3}\n")
    with pytest.raises(Exception, match=r"bad\.json:2: not an RGB row"):
        read_rgb(path)


def test_a_generator_name_can_pick_the_local_model():
    from mmrag.evaluation.runner import generator_choice

    assert generator_choice("llm:gemma-3-270m", {"llm": "llamacpp"}) == (
        "llm", {"llm": "llamacpp", "model": "gemma-3-270m"})
    assert generator_choice("hybrid", {"llm": "openai"}) == ("hybrid", {"llm": "openai"})
    assert generator_choice("extractive", {"llm": "openai"}) == ("extractive", {})
