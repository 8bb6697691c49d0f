"""Sound-alike keys: a name and a transcript that misspells it share their keys.

whisper writes a name it does not know as words that sound like it ("O'Carolan" as
"the low-carol and"), so neither the words nor their stems match. What survives is the
run of consonant sounds: English words go through Metaphone (jellyfish's, a maintained
Rust implementation), lose their vowels and semivowels, and are run together across word
boundaries ("low carol and" -> L KRL NT -> "LKRLNT"), so a name split into several words
still shows up; the keys are the run's consonant trigrams ("KRL", "RLN" for
"O'Carolan"). Chinese is read as toneless pinyin (pypinyin) with the initials and finals
that speakers and recognisers confuse folded together (zh/z, ch/c, sh/s, -ng/-n), and
keyed by syllable pairs, so a name written with other characters of the same sound
("张伟" / "章玮") matches.
"""

from __future__ import annotations

import re
from typing import Any

from .._lazy import require
from .stopwords import STOPWORDS

GRAM = 3
_LATIN = re.compile(r"[A-Za-z][A-Za-z']*")
_CJK = re.compile(r"[\u4e00-\u9fff]+")
_DROP = str.maketrans("", "", "AEIOUWYH")
# Metaphone's "0" (th) and "X" (sh) read as the consonants recognisers swap them with
_FOLD = str.maketrans({"0": "T", "X": "S"})
_CJK_STOPWORDS = sorted((w for w in STOPWORDS if _CJK.fullmatch(w)), key=len, reverse=True)


def _jellyfish() -> Any:
    return require("jellyfish", extra="audio", purpose="sound-alike name matching")


def _pinyin() -> Any:
    return require("pypinyin", extra="audio", purpose="sound-alike matching of Chinese")


def available() -> None:
    """Raise MissingDependencyError now, before a transcript is stored without its keys."""
    _jellyfish()
    _pinyin()


def consonants(word: str) -> str:
    """A word's Metaphone key without vowels and semivowels ("O'Carolan" -> "KRLN")."""
    key = _jellyfish().metaphone(word.replace("'", ""))
    return str(key).translate(_DROP).translate(_FOLD)


def _grams(run: str) -> list[str]:
    if len(run) < GRAM:
        return [run] if len(run) >= 2 else []
    return [run[i:i + GRAM] for i in range(len(run) - GRAM + 1)]


def _syllable(s: str) -> str:
    s = re.sub(r"^([zcs])h", r"\1", s)
    return s[:-1] if s.endswith("ng") else s


def latin_keys(words: list[str]) -> list[str]:
    return _grams("".join(consonants(w) for w in words))


def chinese_keys(text: str) -> list[str]:
    out: list[str] = []
    for run in _CJK.findall(text):
        syllables = [_syllable(s) for s in _pinyin().lazy_pinyin(run)]
        out += [f"{a}_{b}" for a, b in zip(syllables, syllables[1:], strict=False)]
    return out


def keys(text: str) -> list[str]:
    """The sound-alike keys of a transcript (every word, in order; repeats kept)."""
    return latin_keys(_LATIN.findall(text)) + chinese_keys(text)


def has_chinese(text: str) -> bool:
    return _CJK.search(text) is not None


def query_keys(text: str, chinese: bool = True) -> list[str]:
    """The keys of a query: its words but the common ones ("who is my ..."), so only what
    may be a name is matched by sound; its Chinese only with ``chinese`` (the transcripts
    have Chinese keys)."""
    words = [w for w in _LATIN.findall(text) if w.lower() not in STOPWORDS]
    if not chinese:
        return list(dict.fromkeys(latin_keys(words)))
    for stop in _CJK_STOPWORDS:  # longest first: "什么" before "么"
        text = text.replace(stop, " ")
    return list(dict.fromkeys(latin_keys(words) + chinese_keys(text)))


def coverage(query: list[str], text: str) -> float:
    """The share of a query's keys that ``text`` has: 1.0 when it sounds all of it."""
    if not query:
        return 0.0
    have = set(keys(text))
    return sum(k in have for k in query) / len(query)


# Half a name's keys, and at least two: "Turlough O'Carolan" heard "the low-carol and"
# keeps 3 of its 5 (the first name is lost), while one common trigram ("STR") is chance.
MIN_COVERAGE = 0.5
MIN_KEYS = 2


def sounds(query: list[str], text: str, min_coverage: float = MIN_COVERAGE) -> float:
    """:func:`coverage` where ``text`` sounds enough of the query's keys to count (half,
    and two at least), else 0.0."""
    share = coverage(query, text)
    enough = share >= min_coverage and share * len(query) >= min(MIN_KEYS, len(query))
    return share if enough else 0.0


def names_sounded(names: list[str], text: str) -> list[str]:
    """The ``names`` whose sound-alike keys ``text`` has, by the rule a name query uses."""
    return [name for name in names if (keys := query_keys(name)) and sounds(keys, text)]

