"""The speech path without a model: grouping, decoding, bad input, video frames, the CLI.

The fake transcriber hears loudness (one segment per loud 5 s), so these run the real
PyAV decoding and ingest code in well under a second each.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from mmrag.cli.main import main
from mmrag.pipeline import Pipeline
from mmrag.speech import Segment, group, join_text
from mmrag.stores.filters import Filter
from speech_media import RATE, encode, silence, video, write_wav

pytest.importorskip("av")


def tone(seconds: float, freq: float = 440.0) -> np.ndarray:
    t = np.arange(int(seconds * RATE)) / RATE
    return (0.3 * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def quiet(seconds: float) -> np.ndarray:
    return np.zeros(int(seconds * RATE), dtype=np.float32)


def test_group_keeps_time_ranges_and_bounds_windows():
    segs = [Segment(f"word{i} " * 5, i * 4.0, i * 4.0 + 3.5, "en") for i in range(30)]
    groups = list(group(segs, window_s=30.0, max_words=120))
    assert sum(len(g) for g in groups) == 30
    for g in groups:
        assert g[-1].end - g[0].start <= 30.0
    assert groups[1][0].start == groups[0][-1].start + 4.0  # consecutive, nothing skipped


def test_group_cuts_on_words():
    segs = [Segment("a " * 50, i, i + 1.0) for i in range(5)]
    assert [len(g) for g in group(segs, window_s=300, max_words=120)] == [2, 2, 1]


def test_join_text_spaces_latin_not_cjk():
    segs = [Segment("Hello there.", 0, 1), Segment("我喜欢", 1, 2), Segment("竖琴。", 2, 3)]
    assert join_text(segs) == "Hello there. 我喜欢竖琴。"


def test_blocks_stream_a_long_file_in_bounded_pieces(tmp_path):
    from mmrag.speech.audio import blocks

    # 5 minutes of tone with a gap every 7 s; blocks of 30 s must cover every sample once
    pattern = np.concatenate([tone(6.5), quiet(0.5)])
    audio = np.tile(pattern, 43)[: 300 * RATE]
    path = write_wav(tmp_path / "long.wav", audio)
    seen = 0
    for offset, piece in blocks(path, block_s=30.0):
        assert offset * RATE == pytest.approx(seen, abs=1)
        assert len(piece) <= 32 * RATE
        seen += len(piece)
    assert seen == len(audio)


def test_simplified_chinese():
    pytest.importorskip("zhconv")
    from mmrag.speech.whisper import _segments

    class Piece:
        text = " 我最喜歡的豎琴家"
        start, end, words = 1.0, 2.0, None

    [seg] = _segments(Piece(), 10.0, "zh")
    assert seg.text == "我最喜欢的竖琴家"
    assert (seg.start, seg.end, seg.language) == (11.0, 12.0, "zh")


def test_a_batched_window_is_split_into_sentences_by_its_words():
    from types import SimpleNamespace as W

    from mmrag.speech.whisper import _segments

    # the batched decoder gives a whole ~30 s window as one piece, without timestamps
    words = [W(word=w, start=s, end=s + 0.4, probability=0.9) for w, s in
             [(" A", 0.0), (" dog", 0.5), (" runs.", 1.0), (" Is", 3.0), (" it", 3.5),
              (" wet?", 4.0), (" Yes", 6.0)]]
    piece = W(text=" A dog runs. Is it wet? Yes", start=0.0, end=6.4, words=words)
    segments = list(_segments(piece, 100.0, "en"))
    assert [s.text for s in segments] == ["A dog runs.", "Is it wet?", "Yes"]
    assert [(s.start, s.end) for s in segments] == [(100.0, 101.4), (103.0, 104.4),
                                                    (106.0, 106.4)]
    assert [len(s.words) for s in segments] == [3, 3, 1]
    assert all(type(s.start) is float for s in segments)


def test_model_parts_are_joined_once_atomically(tmp_path, monkeypatch):
    from mmrag.speech import models

    one, two = tmp_path / "p1", tmp_path / "p2"
    one.mkdir()
    two.mkdir()
    (one / "model.bin.part1").write_bytes(b"a" * 1000)
    (two / "model.bin.part2").write_bytes(b"b" * 10)
    (two / "config.json").write_text("{}")
    monkeypatch.setattr(models, "_data_dirs", lambda: [one, two])
    monkeypatch.setenv("MMRAG_CACHE", str(tmp_path / "cache"))
    target = models.whisper_base()
    assert (target / "model.bin").read_bytes() == b"a" * 1000 + b"b" * 10
    assert (target / "config.json").read_text() == "{}"
    assert not list(target.glob("*.tmp"))
    stamp = (target / "model.bin").stat().st_mtime_ns
    models.whisper_base()
    assert (target / "model.bin").stat().st_mtime_ns == stamp


def _open(tmp_path: Path) -> Pipeline:
    return Pipeline.open(tmp_path / "index", embedder="hash", create=True)


def test_fake_ingest_keeps_spans_and_language(tmp_path):
    folder = tmp_path / "memos"
    folder.mkdir()
    write_wav(folder / "memo.wav", np.concatenate([quiet(10), tone(5), quiet(5)]))
    rag = _open(tmp_path)
    report = rag.ingest([folder], transcriber="fake")
    assert report.errors == [] and report.chunks == 1
    hit = rag.search("sound", k=1)[0]
    assert hit.modality == "audio"
    assert (hit.span.start, hit.span.end) == (10.0, 15.0)
    assert hit.span.label() == "00:10-00:15"
    assert hit.meta["language"] == "en"


@pytest.mark.parametrize(
    "name, codec, rate",
    [("memo.mp3", "libmp3lame", RATE), ("memo.flac", "flac", RATE), ("memo.m4a", "aac", RATE),
     ("memo.ogg", "libopus", 48_000), ("memo.opus", "libopus", 48_000)],
)
def test_each_audio_format_decodes_with_its_times(tmp_path, name, codec, rate):
    t = np.arange(int(4 * rate)) / rate
    audio = np.concatenate([np.zeros(6 * rate), 0.3 * np.sin(2 * np.pi * 440 * t)])
    path = encode(tmp_path / name, audio.astype(np.float32), codec, rate)
    rag = _open(tmp_path)
    report = rag.ingest([path], transcriber="fake")
    assert report.errors == [] and report.added == [str(path)]
    hit = rag.search("sound", k=1)[0]
    # fake segments are 5 s steps; encoder delay may shift the tone by a few ms
    assert hit.span.start == 5.0 and hit.span.end == pytest.approx(10.0, abs=0.2)


def test_bad_media_is_named_and_the_rest_still_ingests(tmp_path):
    folder = tmp_path / "mixed"
    folder.mkdir()
    good = write_wav(folder / "good.wav", np.concatenate([tone(3), quiet(1)]))
    (folder / "empty.mp3").write_bytes(b"")
    (folder / "truncated.wav").write_bytes(good.read_bytes()[:30])
    (folder / "random.ogg").write_bytes(np.random.default_rng(0).bytes(20_000))
    (folder / "notes.m4a").write_text("this is text, not audio\n")
    silence(folder / "silence.wav", 4)
    rag = _open(tmp_path)
    report = rag.ingest([folder], transcriber="fake")
    errors = dict(report.errors)
    assert errors[str(folder / "empty.mp3")] == "file is empty"
    for name in ("truncated.wav", "random.ogg", "notes.m4a"):
        assert "not a readable audio/video file" in errors[str(folder / name)]
    assert dict(report.notes) == {str(folder / "silence.wav"): "no speech found (empty transcript)"}
    assert sorted(Path(s).name for s in report.added) == ["good.wav", "silence.wav"]
    assert report.chunks == 1
    again = rag.ingest([folder], transcriber="fake")
    assert sorted(Path(s).name for s in again.unchanged) == ["good.wav", "silence.wav"]


def test_truncated_tail_keeps_what_decoded(tmp_path):
    path = write_wav(tmp_path / "cut.wav", np.concatenate([tone(6), tone(6, 220)]))
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])  # header still claims 12 s
    rag = _open(tmp_path)
    report = rag.ingest([path], transcriber="fake")
    assert report.errors == [] and report.chunks == 1
    assert rag.search("sound", k=1)[0].span.end == pytest.approx(6.0, abs=0.1)


@pytest.mark.parametrize("name", ["clip.mp4", "clip.mkv", "clip.mov", "clip.webm"])
def test_video_keeps_transcript_and_key_frames(tmp_path, name):
    audio = write_wav(tmp_path / "track.wav", np.concatenate([quiet(5), tone(5)]))
    clip = video(tmp_path / name, audio, seconds=10.0)
    rag = _open(tmp_path)
    report = rag.ingest([clip], transcriber="fake")
    assert report.errors == [], report.errors
    hit = rag.search("sound", k=1)[0]
    assert hit.modality == "video"
    assert (hit.span.start, hit.span.end) == pytest.approx((5.0, 10.0), abs=0.1)
    frames = hit.meta["frames"]
    times = [f["t"] for f in frames]
    assert times[0] == 0.0 and any(t >= 5.0 for t in times)  # black, then white
    assert len(times) <= 3
    for f in frames:
        assert Path(f["path"]).read_bytes()[:2] == b"\xff\xd8"  # JPEG
        assert Path(f["path"]).is_relative_to(tmp_path / "index" / "media")
    assert rag.delete(clip)
    assert not Path(frames[0]["path"]).parent.exists()  # frames go with their video


def test_silent_video_without_audio_is_a_note(tmp_path):
    clip = video(tmp_path / "mute.mp4", None, seconds=3.0)
    rag = _open(tmp_path)
    report = rag.ingest([clip], transcriber="fake")
    assert report.errors == []
    (source, note), = report.notes
    assert "no speech found" in note and "key frames kept" in note


def test_cli_audio_query_and_time_label(tmp_path, capsys):
    folder = tmp_path / "memos"
    folder.mkdir()
    write_wav(folder / "memo.wav", np.concatenate([quiet(7), tone(5)]))
    index = str(tmp_path / "index")
    assert main(["ingest", str(folder), "--index", index, "--embedder", "hash",
                 "--no-progress", "--transcriber", "fake"]) == 0
    question = write_wav(tmp_path / "q.wav", tone(2))
    capsys.readouterr()
    assert main(["search", "--audio", str(question), "--index", index,
                 "--transcriber", "fake"]) == 0
    out = capsys.readouterr()
    assert "heard: sound at 00:00." in out.err
    # fake segments are 5 s steps: the tone starting at 7 s is heard in 5-10 and 10-12
    assert f"{folder / 'memo.wav'} [00:05-00:12]" in out.out
    assert main(["ask", "--index", index]) == 2
    assert main(["ask", "x", "--audio", str(question), "--index", index]) == 2


def test_import_stays_light():
    code = (
        "import sys, mmrag, mmrag.pipeline, mmrag.cli.main; "
        "heavy = {'av', 'faster_whisper', 'ctranslate2', 'zhconv'} & set(sys.modules); "
        "print(sorted(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, env={"PYTHONPATH": str(Path(__file__).parents[1] / "src")})
    assert out.stdout.strip() == "[]"


class _ImageAwareHash:
    """The hash embedder, plus images (hashed by their bytes), to stand in for CLIP."""

    name = "hash-image"
    modalities = frozenset({"text", "image"})

    def __init__(self, dim: int = 64):
        from mmrag.embedders.hashing import HashingEmbedder

        self.inner = HashingEmbedder(dim)
        self.dim = dim
        self.config = {"dim": dim}
        self.images: list[str] = []

    def embed(self, items, *, role):
        from mmrag.types import Content

        texts = []
        for item in items:
            if item.modality == "image":
                self.images.append(item.path)
                texts.append(Content.of_text(Path(item.path).read_bytes()[:64].hex()))
            else:
                texts.append(item)
        return self.inner.embed(texts, role=role)


def test_frames_become_image_items_when_the_embedder_reads_images(tmp_path):
    from mmrag.embedders import embedders

    embedders.register("hash-image")(_ImageAwareHash)
    audio = write_wav(tmp_path / "track.wav", np.concatenate([quiet(5), tone(5)]))
    clip = video(tmp_path / "clip.mp4", audio, seconds=10.0)
    rag = Pipeline.open(tmp_path / "index", embedder="hash-image", create=True)
    report = rag.ingest([clip], transcriber="fake")
    assert report.errors == []
    frames = rag.search("video frame", k=10, where=Filter(modalities=["image"]))
    assert frames and all(h.span.start == h.span.end for h in frames)
    assert sorted(h.span.start for h in frames)[0] == 0.0
    assert all(Path(h.meta["path"]).is_file() for h in frames)
    assert sorted(rag.embedder.images) == sorted(h.meta["path"] for h in frames)


def test_missing_audio_extra_is_named_per_file(tmp_path, monkeypatch):
    from mmrag.speech import models, whisper

    monkeypatch.setitem(sys.modules, "faster_whisper", None)  # import now fails
    monkeypatch.setattr(models, "whisper_base", lambda: tmp_path)
    whisper._load.cache_clear()
    path = write_wav(tmp_path / "memo.wav", tone(2))
    report = _open(tmp_path).ingest([path])
    whisper._load.cache_clear()
    ((source, error),) = report.errors
    assert source == str(path) and "pip install 'mmrag[audio]'" in error
