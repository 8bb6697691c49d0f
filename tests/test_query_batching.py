"""Concurrent query embeddings share one model call (mmrag.embedders.together)."""

from __future__ import annotations

import threading
import time

import numpy as np

from mmrag.embedders import embed_query, embedders
from mmrag.embedders.together import embed_together


class Recorder:
    """An embedder stand-in: each text's vector is its length; the first call blocks until
    released, so the callers arriving meanwhile must queue."""

    def __init__(self) -> None:
        self.calls: list[list[str]] = []
        self.release = threading.Event()

    def embed(self, texts):
        self.calls.append(list(texts))
        if len(self.calls) == 1:
            assert self.release.wait(10)
        return np.array([[float(len(t)), 1.0] for t in texts], dtype=np.float32)


def _ask_all(owner, texts, embed):
    out: dict[str, np.ndarray] = {}

    def ask(text):
        out[text] = embed_together(owner, text, embed)

    first = threading.Thread(target=ask, args=(texts[0],))
    first.start()
    while not owner.calls:
        time.sleep(0.001)
    rest = [threading.Thread(target=ask, args=(t,)) for t in texts[1:]]
    for t in rest:
        t.start()
    time.sleep(0.1)  # all of them queued behind the first call
    owner.release.set()
    for t in [first, *rest]:
        t.join(10)
    return out


def test_callers_queued_behind_a_call_are_embedded_in_one_batch():
    owner = Recorder()
    texts = ["a", "bb", "ccc", "dddd", "eeeee"]
    out = _ask_all(owner, texts, owner.embed)
    assert owner.calls[0] == ["a"]
    assert len(owner.calls) == 2 and sorted(owner.calls[1]) == texts[1:]
    for text in texts:  # each caller gets its own row
        assert out[text][0] == len(text)


def test_a_lone_caller_is_embedded_at_once():
    owner = Recorder()
    owner.release.set()
    assert embed_together(owner, "xyz", owner.embed)[0] == 3
    assert owner.calls == [["xyz"]]


def test_an_error_reaches_every_caller_of_its_batch():
    owner = Recorder()
    errors = []

    def failing(texts):
        owner.calls.append(list(texts))
        if len(owner.calls) == 1:
            owner.release.wait(10)
            return np.zeros((len(texts), 2), np.float32)
        raise RuntimeError("model crashed")

    def ask(text):
        try:
            embed_together(owner, text, failing)
        except RuntimeError as exc:
            errors.append(str(exc))

    first = threading.Thread(target=ask, args=("ok",))
    first.start()
    while not owner.calls:
        time.sleep(0.001)
    rest = [threading.Thread(target=ask, args=(t,)) for t in ("p", "q")]
    for t in rest:
        t.start()
    time.sleep(0.1)
    owner.release.set()
    for t in [first, *rest]:
        t.join(10)
    assert errors == ["model crashed", "model crashed"]
    # the queue is free again afterwards
    assert embed_together(owner, "again", lambda t: np.ones((len(t), 2), np.float32))[1] == 1


def test_concurrent_embed_query_matches_one_at_a_time():
    threads = 8
    emb = embedders.create("hash")
    texts = [f"query number {i}" for i in range(threads * 4)]
    alone = embedders.create("hash")
    expected = {t: embed_query(alone, t).copy() for t in texts}
    got: dict[str, np.ndarray] = {}

    def work(chunk):
        for t in chunk:
            got[t] = embed_query(emb, t)

    pool = [threading.Thread(target=work, args=(texts[i::threads],)) for i in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join(10)
    for t in texts:
        np.testing.assert_allclose(got[t], expected[t], rtol=0, atol=1e-6)


def test_passages_are_embedded_once_and_only_the_new_ones_after():
    from mmrag.embedders import embed_passages, embed_texts

    emb = embedders.create("hash")
    seen: list[list[str]] = []
    real = emb.embed

    def counting(items, *, role):
        seen.append([i.text for i in items])
        return real(items, role=role)

    emb.embed = counting
    first = embed_passages(emb, ["one", "two", "one"])
    second = embed_passages(emb, ["two", "three"])
    assert seen == [["one", "two"], ["three"]]
    emb.embed = real
    np.testing.assert_array_equal(first, embed_texts(emb, ["one", "two", "one"], "document"))
    np.testing.assert_array_equal(second, embed_texts(emb, ["two", "three"], "document"))
    assert embed_passages(emb, []).shape == (0, emb.dim)


def test_the_cli_makes_idle_model_threads_sleep_unless_told_otherwise():
    from mmrag.cli.environment import thread_defaults

    fresh: dict[str, str] = {}
    thread_defaults(fresh)
    assert fresh == {"OMP_WAIT_POLICY": "PASSIVE"}
    mine = {"OMP_WAIT_POLICY": "ACTIVE"}
    thread_defaults(mine)
    assert mine == {"OMP_WAIT_POLICY": "ACTIVE"}
