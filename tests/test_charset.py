"""Legacy encodings: each decodes the others' bytes without an error, so the loader must pick
the reading that is real text, and refuse the bytes that are text in none."""

from __future__ import annotations

import os
import random

import pytest

from mmrag.errors import IngestError
from mmrag.loaders.charset import decode_text, read_text

SAMPLES = {
    "gb18030": "熊猫主要吃竹子，每天要花十几个小时进食。Python 是一种编程语言。",
    "big5": "台灣的首都是台北，這裡有很多美食和夜市。",
    "cp932": "日本語のテキストです。これはテストの文章で、ひらがなとカタカナを含みます。",
    "cp1252": "Der Bär läuft über die Straße und grüßt die Mädchen — “Café” à côté.",
}


@pytest.mark.parametrize("encoding", sorted(SAMPLES))
def test_each_legacy_encoding_reads_back_as_written(encoding):
    text = SAMPLES[encoding]
    assert decode_text(text.encode(encoding)) == text


def test_short_chinese_and_japanese_are_not_mistaken_for_each_other():
    assert decode_text("熊猫吃竹子".encode("gb18030")) == "熊猫吃竹子"
    assert decode_text("東京駅で会いましょう".encode("shift_jis")) == "東京駅で会いましょう"


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_utf16_without_byte_order_mark_is_read(tmp_path, encoding):
    text = "Notes from the meeting\nThe panda 熊猫 eats bamboo.\n" * 20
    path = tmp_path / "notes.txt"
    path.write_bytes(text.encode(encoding))
    assert read_text(path) == text


def test_utf16_without_bom_of_only_chinese_is_read(tmp_path):
    text = "熊猫主要吃竹子，每天要花十几个小时进食。" * 10
    path = tmp_path / "zh.txt"
    path.write_bytes(text.encode("utf-16-le"))
    assert read_text(path) == text


def test_random_high_bytes_are_text_in_no_encoding(tmp_path):
    rng = random.Random(7)
    for n in range(50):
        path = tmp_path / f"noise{n}.txt"
        path.write_bytes(bytes(rng.randrange(0x80, 0x100) for _ in range(600)))
        with pytest.raises(IngestError, match="not text in any encoding"):
            read_text(path)
    path = tmp_path / "random.txt"
    path.write_bytes(os.urandom(4096).replace(b"\x00", b"\x01"))
    with pytest.raises(IngestError, match="not text in any encoding"):
        read_text(path)


def test_utf8_with_a_broken_byte_keeps_its_characters():
    data = "Café crème, naïve 熊猫".encode()
    cut = data.index(b" cr")
    damaged = data[:cut] + b"\xff" + data[cut:]
    assert decode_text(damaged) == "Café\ufffd crème, naïve 熊猫"
