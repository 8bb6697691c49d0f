"""Names in speech without a model: the vocabulary (limits, CLI, hints reaching the
transcriber, --retranscribe), low-confidence words, and sound-alike matching.

A scripted transcriber, registered through the real registry, "hears" a memo the way
whisper-base does: the name misheard without hints, right with them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np
import pytest

from fixtures import write_wav
from mmrag import Pipeline
from mmrag import vocab as vocab_module
from mmrag.cli.main import main
from mmrag.errors import ConfigError
from mmrag.speech import Segment, Word, transcribers
from mmrag.text import phonetic
from mmrag.vocab import MAX_TERM_CHARS, MAX_TERMS, hints, load, merge, read_file

MISHEARD = "My favorite harpist is the low-carol and the blind Irish composer."
HEARD = "My favorite harpist is Turlough O'Carolan, the blind Irish composer."
CALLS: list[str] = []


class Scripted:
    """whisper-base on the O'Carolan memo: the name is heard only when hinted."""

    name = "scripted"

    def __init__(self, hints: str = ""):
        self.hints = hints

    def with_hints(self, hints: str) -> Scripted:
        return Scripted(hints)

    def transcribe(self, path, on_progress=None):
        CALLS.append(self.hints)
        if "O'Carolan" in self.hints:
            words = (Word(" Turlough", 3.0, 3.4, 0.11), Word(" O'Carolan,", 3.4, 4.0, 0.4))
            yield Segment(HEARD, 2.0, 7.0, "en", words)
        else:
            words = (Word(" harpist", 2.6, 3.0, 0.93), Word(" low-carol", 3.2, 3.9, 0.21))
            yield Segment(MISHEARD, 2.0, 7.0, "en", words)


transcribers.register("scripted")(Scripted)


@pytest.fixture
def corpus(tmp_path):
    folder = tmp_path / "corpus"
    folder.mkdir()
    write_wav(folder / "memo.wav", np.full(16000, 0.1, dtype=np.float32))
    (folder / "carols.txt").write_text(
        "Carol singers went from house to house at Christmas. The harp has strings.")
    (folder / "irish.txt").write_text("Irish music has many composers, pipers and fiddlers.")
    (folder / "budget.txt").write_text("The budget for the new library was approved in May.")
    CALLS.clear()
    return folder


def test_bad_vocabulary_is_refused_with_a_reason(tmp_path):
    with pytest.raises(ConfigError, match="empty"):
        merge([], ["  "])
    with pytest.raises(ConfigError, match="control character U\\+0007"):
        merge([], ["Turlough\x07"])
    with pytest.raises(ConfigError, match="control character U\\+200B"):
        merge([], ["O'Car\u200bolan"])
    with pytest.raises(ConfigError, match=f"at most {MAX_TERM_CHARS}"):
        merge([], ["x" * (MAX_TERM_CHARS + 1)])
    with pytest.raises(ConfigError, match=f"10000 entries, expected at most {MAX_TERMS}"):
        merge([], [f"name{i}" for i in range(10_000)])
    empty = tmp_path / "empty.txt"
    empty.write_text("# nothing here\n\n")
    with pytest.raises(ConfigError, match="no vocabulary entries"):
        read_file(empty)
    # duplicates in any case are one entry; whitespace is folded
    assert merge(["Zhang Wei"], ["zhang  wei", " 张伟 "]) == ["Zhang Wei", "张伟"]


def test_hints_keep_the_first_entries_that_fit_whispers_prompt():
    terms = [f"Name{i:04d} Surname" for i in range(MAX_TERMS)]
    text = hints(terms)
    assert text.startswith("Name0000 Surname, Name0001 Surname") and len(text) <= 600
    assert "Name0999" not in text


def test_the_vocabulary_reaches_the_transcriber_and_retranscribe_redoes_only_that(
    corpus, tmp_path, cli
):
    index = tmp_path / "idx"
    rag = Pipeline.open(index, embedder="hash", create=True)
    rag.ingest([corpus], transcriber="scripted")
    assert CALLS == [""]
    memo = [h for h in rag.search("harpist", 4) if h.modality == "audio"][0]
    assert memo.text == MISHEARD
    assert memo.meta["uncertain"] == [{"word": "low-carol", "p": 0.21, "start": 3.2}]

    run = cli("vocab", "add", "Turlough O'Carolan", "--index", str(index), "--json")
    assert json.loads(run.stdout)["vocabulary"] == ["Turlough O'Carolan"]
    rag = Pipeline.open(index)
    plain = rag.ingest([corpus], transcriber="scripted")  # unchanged files: nothing redone
    assert CALLS == [""] and len(plain.unchanged) == 4
    again = rag.ingest([corpus], transcriber="scripted", retranscribe=True)
    # heard plain, then again with the name its plain transcript sounds like
    assert CALLS == ["", "", "Turlough O'Carolan"]
    assert again.updated == [str(corpus / "memo.wav")]
    assert len(again.unchanged) == 3  # the text files were not read again
    twice = rag.ingest([corpus], transcriber="scripted", retranscribe=True)
    assert len(CALLS) == 3 and len(twice.unchanged) == 4  # idempotent

    memo = [h for h in rag.search("harpist", 4) if h.modality == "audio"][0]
    assert memo.text == HEARD
    assert "uncertain" not in memo.meta  # hinted names are not guesses
    answer = rag.ask("Who is my favourite harpist?")
    assert "O'Carolan" in answer.answer
    assert answer.citations[0].span.label() == "00:02-00:07"


def test_vocab_cli_lists_removes_and_refuses_bad_input(tmp_path, cli):
    index = str(tmp_path / "idx")
    names = tmp_path / "names.txt"
    names.write_text("# composers\nTurlough O'Carolan\n张伟\n")
    out = cli("vocab", "add", "Siobhan", "--file", str(names), "--index", index)
    assert out.returncode == 0, out.stderr
    listed = cli("vocab", "list", "--index", index).stdout.splitlines()
    assert listed == ["Siobhan", "Turlough O'Carolan", "张伟"]
    assert cli("vocab", "remove", "siobhan", "--index", index).returncode == 0
    assert cli("vocab", "list", "--index", index).stdout.split("\n")[0] == \
        "Turlough O'Carolan"
    bad = cli("vocab", "add", "O'Car\x07olan", "--index", index)
    assert bad.returncode != 0 and "control character U+0007" in bad.stderr
    big = tmp_path / "big.txt"
    big.write_text("\n".join(f"name{i}" for i in range(10_000)))
    bad = cli("ingest", str(names), "--vocab", str(big), "--index", index)
    assert bad.returncode != 0 and f"expected at most {MAX_TERMS}" in bad.stderr


def test_a_misheard_name_is_found_by_sound_and_marked_as_a_guess(corpus, tmp_path, cli):
    index = str(tmp_path / "idx")
    out = cli("ingest", str(corpus), "--transcriber", "scripted", "--index", index,
               "--embedder", "hash", "--no-progress")
    assert out.returncode == 0, out.stderr
    found = json.loads(cli("search", "O'Carolan", "--index", index, "--json").stdout)
    assert found[0]["source"].endswith("memo.wav")
    assert found[0]["scores"]["phonetic"] == 1.0
    assert found[0]["meta"]["uncertain"][0]["word"] == "low-carol"
    shown = cli("search", "O'Carolan", "--index", index).stdout
    assert "low-carol(?)" in shown
    # a query naming nobody in the recordings adds no phonetic ranking
    other = json.loads(cli("search", "budget", "--index", index, "--json").stdout)
    assert all("phonetic" not in h["scores"] for h in other)


def test_phonetic_keys_match_sound_alikes_in_english_and_chinese():
    def share(query, text):
        return phonetic.coverage(phonetic.query_keys(query), text)

    assert share("O'Carolan", MISHEARD) == 1.0
    assert share("Tchaikovsky", "a piece by Chaikovsky") == 1.0
    assert share("O'Carolan", "the budget for the new library") == 0.0
    # the same sound written with other characters: 张伟 / 章玮 (zhang wei)
    assert share("张伟", "章玮是一位作曲家") == 1.0
    assert share("张伟", "李娜是一位作曲家") == 0.0
    assert phonetic.query_keys("Who is my?") == []  # only stopwords: nothing to sound out


class ScriptedChinese(Scripted):
    name = "scripted-zh"

    def transcribe(self, path, on_progress=None):
        yield Segment("我们今天听章玮的新曲子。", 0.0, 3.0, "zh", ())


transcribers.register("scripted-zh")(ScriptedChinese)


def test_a_chinese_query_is_sounded_out_only_where_a_transcript_is_chinese(corpus, tmp_path):
    english = Pipeline.open(tmp_path / "en", embedder="hash", create=True)
    english.ingest([corpus], transcriber="scripted")
    assert english.store.has_phonetic_keys()
    assert not english.store.has_phonetic_keys(chinese=True)  # then no pypinyin is needed
    assert all("phonetic" not in h.scores for h in english.search("张伟", 4))
    chinese = Pipeline.open(tmp_path / "zh", embedder="hash", create=True)
    chinese.ingest([corpus], transcriber="scripted-zh")
    assert chinese.store.has_phonetic_keys(chinese=True)
    found = chinese.search("张伟的曲子", 4)  # 张伟 / 章玮 (zhang wei) sound the same
    assert found[0].source.endswith("memo.wav") and found[0].scores["phonetic"] > 0


def test_an_index_made_before_phonetic_keys_gets_them_on_the_next_ingest(corpus, tmp_path):
    index = tmp_path / "idx"
    rag = Pipeline.open(index, embedder="hash", create=True)
    rag.ingest([corpus], transcriber="scripted")
    lance = index / "lance"
    import lancedb

    lancedb.connect(str(lance)).drop_table("phonetic")  # what an older mmrag left
    old = Pipeline.open(index)
    assert all("phonetic" not in h.scores for h in old.search("O'Carolan", 4))
    old.ingest([corpus], transcriber="scripted")  # nothing changed: only the upgrade
    found = Pipeline.open(index).search("O'Carolan", 4)
    assert found[0].source.endswith("memo.wav") and found[0].scores["phonetic"] == 1.0


@dataclass
class Run:
    returncode: int
    stdout: str
    stderr: str


@pytest.fixture
def cli(capsys):
    """The command line in this process, so it sees the scripted transcriber."""

    def run(*argv: str) -> Run:
        code = main(list(argv))
        out, err = capsys.readouterr()
        return Run(code, out, err)

    return run


def test_the_server_reads_and_replaces_the_vocabulary(tmp_path):
    pytest.importorskip("fastapi")
    from fastapi.testclient import TestClient

    from mmrag.server import Settings, create_app

    rag = Pipeline.open(tmp_path / "idx", embedder="hash", create=True)
    client = TestClient(create_app(rag, Settings()), base_url="http://127.0.0.1")
    assert client.get("/api/vocab").json() == {"vocabulary": [], "hints": ""}
    put = client.put("/api/vocab", json={"vocabulary": ["Turlough O'Carolan", "张伟"]})
    assert put.status_code == 200
    assert client.get("/api/vocab").json()["hints"] == "Turlough O'Carolan, 张伟"
    bad = client.put("/api/vocab", json={"vocabulary": ["bell\x07"]})
    assert bad.status_code == 400 and "control character" in bad.json()["detail"]
    assert client.put("/api/vocab", json={"words": []}).status_code in (400, 422)
    assert load(tmp_path / "idx") == ["Turlough O'Carolan", "张伟"]


def test_a_transcriber_model_is_checked_recorded_and_retranscribes(corpus, tmp_path, cli):
    index = tmp_path / "idx"
    rag = Pipeline.open(index, embedder="hash", create=True)
    rag.ingest([corpus], transcriber="scripted")
    empty = tmp_path / "not-a-model"
    empty.mkdir()
    bad = cli("ingest", str(corpus), "--index", str(index), "--transcriber-model", str(empty))
    assert bad.returncode != 0 and "expected a CTranslate2 whisper directory" in bad.stderr
    model = tmp_path / "whisper-small"
    model.mkdir()
    (model / "model.bin").write_bytes(b"\0")
    (model / "config.json").write_text("{}")
    from mmrag.vocab import set_transcriber_model, stale, transcriber_model

    set_transcriber_model(index, model)
    manifest = json.loads((index / "mmrag.json").read_text())
    assert transcriber_model(manifest) == str(model.resolve())
    # the memo was heard by the default model: a retranscribe would redo it, nothing else
    rag = Pipeline.open(index)
    key = rag.ingestor(retranscribe=True).retranscribe
    assert key == frozenset(stale(rag.store, "other")) == {str((corpus / "memo.wav").resolve())}


class Sure(Scripted):
    """A recording whisper hears with confidence, naming no one."""

    name = "sure"

    def with_hints(self, hints: str) -> Sure:
        return Sure(hints)

    def transcribe(self, path, on_progress=None):
        CALLS.append(self.hints)
        words = (Word(" The", 2.0, 2.2, 0.98), Word(" budget", 2.2, 2.6, 0.95),
                 Word(" passed.", 2.6, 3.0, 0.97))
        yield Segment("The budget passed.", 2.0, 3.0, "en", words)


transcribers.register("sure")(Sure)


def test_hints_go_only_to_recordings_that_may_hold_a_name(corpus, tmp_path):
    """Hints bias whisper towards their words everywhere: a recording is heard again
    only when its plain transcript has a word whisper was unsure of, or sounds like an
    entry; then with the entries it sounds like first."""
    index = tmp_path / "idx"
    Pipeline.open(index, embedder="hash", create=True)
    vocab_module.save(index, ["Ouagadougou", "Turlough O'Carolan", "Kilimanjaro"])
    Pipeline.open(index).ingest([corpus], transcriber="sure")
    assert CALLS == [""]  # confident, and no entry sounds like "the budget passed"

    CALLS.clear()
    rag = Pipeline.open(tmp_path / "idx2", embedder="hash", create=True)
    vocab_module.save(rag.index_dir, ["Ouagadougou", "Turlough O'Carolan", "Kilimanjaro"])
    Pipeline.open(rag.index_dir).ingest([corpus], transcriber="scripted")
    # "low-carol" was a guess (p 0.21), and the transcript sounds like O'Carolan
    assert CALLS == ["", "Turlough O'Carolan, Ouagadougou, Kilimanjaro"]
