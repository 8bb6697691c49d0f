"""A corpus of awkward files: each is ingested or named with its reason, never a crash."""

import os

import pytest

from mmrag.ingest import safe_str


@pytest.mark.slow  # chunks and indexes a 1 MB one-line file (~4 s)
def test_awkward_names_encodings_and_links(rag, tmp_path):
    root = tmp_path / "awkward"
    (root / "loop").mkdir(parents=True)
    (root / "good.txt").write_text("Pandas eat bamboo.", encoding="utf-8")
    odd_name = os.fsencode(root) + b"/bad\xffname.txt"
    with open(odd_name, "wb") as fh:
        fh.write(b"A file with a non UTF-8 name.")
    (root / "new\nline.txt").write_text("A file with a newline in its name.", encoding="utf-8")
    (root / "huge.txt").write_text("word " * 200_000, encoding="utf-8")  # 1 MB, one line
    (root / "latin1.txt").write_bytes("Café crème brûlée, déjà vu.".encode("latin-1"))
    (root / "mixed.txt").write_bytes("熊猫吃竹子。".encode() + " café".encode("latin-1"))
    os.symlink("../loop", root / "loop" / "self")
    os.symlink("nowhere.txt", root / "broken.txt")

    report = rag.ingest([root])
    errors = dict(report.errors)
    assert set(errors) == {str(root / "broken.txt")}
    added = set(report.added)
    assert str(root / "good.txt") in added and str(root / "new\nline.txt") in added
    assert safe_str(os.fsdecode(odd_name)) in added and "\\xff" in safe_str(os.fsdecode(odd_name))
    assert rag.search("café crème", k=1)[0].source.endswith("latin1.txt")
    assert rag.search("熊猫", k=1)[0].source.endswith("mixed.txt")
    huge = [r for r in rag.sources() if r.source.endswith("huge.txt")][0]
    assert huge.chunks > 100  # cut into windows, not one 1 MB chunk
    # the odd name can be deleted by the name the shell gives
    assert [r.source for r in rag.delete(os.fsdecode(odd_name))] == [
        safe_str(os.fsdecode(odd_name))
    ]
    # a second run redoes only the deleted file and loses nothing
    again = rag.ingest([root])
    assert again.added == [safe_str(os.fsdecode(odd_name))] and again.updated == []
    assert set(again.unchanged) == added - set(again.added)
