"""Write ``src/mmrag/vision/data/wordnet_senses.tsv``: every WordNet noun -> the ImageNet
classes under its most frequent sense that covers any.

    apt-get install wordnet-base   # WordNet 3.0, whose offsets are ImageNet's wnids
    python3 scripts/build_wordnet_senses.py [/usr/share/wordnet]

``imagenet_classes.tsv`` names each class's WordNet parents by their first word only
("car" for car.n.01), so a concept asked by another of its synset's words ("automobile",
"motorcar", "auto") was not found. This walks WordNet itself: each class's ancestors through
every hypernym path (instance hypernyms too), then every lemma of every noun synset; a word
with several senses takes the first in WordNet's order (by tagged frequency) that covers an
ImageNet class, since a sense covering none can never be seen in a photo by this
classifier. Words that the classes' own names already resolve are left out (the lookup
tries those first). The file's lines are ``word<TAB>class indexes``.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "src/mmrag/vision/data"


def read_synsets(folder: Path) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """offset -> its lemmas, offset -> its hypernyms' offsets (nouns only)."""
    lemmas: dict[str, list[str]] = {}
    parents: dict[str, list[str]] = {}
    for line in (folder / "data.noun").read_text(encoding="latin-1").splitlines():
        if line.startswith("  "):  # the licence header
            continue
        fields = line.split(" | ")[0].split()
        offset, count = fields[0], int(fields[3], 16)
        words = fields[4:4 + 2 * count:2]
        lemmas[offset] = [w.replace("_", " ").lower() for w in words]
        at = 4 + 2 * count
        pointers = int(fields[at])
        ups = []
        for p in range(pointers):
            symbol, target, pos = fields[at + 1 + 4 * p: at + 4 + 4 * p]
            if symbol in ("@", "@i") and pos == "n":
                ups.append(target)
        parents[offset] = ups
    return lemmas, parents


def read_senses(folder: Path) -> dict[str, list[str]]:
    """noun -> its synsets' offsets, most frequent sense first."""
    senses: dict[str, list[str]] = {}
    for line in (folder / "index.noun").read_text(encoding="latin-1").splitlines():
        if line.startswith("  "):
            continue
        fields = line.split()
        count, pointers = int(fields[2]), int(fields[3])
        senses[fields[0].replace("_", " ").lower()] = fields[4 + pointers + 2:][:count]
    return senses


def main() -> None:
    folder = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("/usr/share/wordnet")
    if not (folder / "data.noun").exists():
        raise SystemExit(f"{folder}: no WordNet 3.0 data.noun (apt-get install wordnet-base)")
    sys.path.insert(0, str(ROOT / "src"))
    from mmrag.vision.hierarchy import concept_members

    lemmas, parents = read_synsets(folder)
    covers: dict[str, set[int]] = {}
    for line in (DATA / "imagenet_classes.tsv").read_text(encoding="utf-8").splitlines():
        if line.startswith("#"):
            continue
        index, wnid = line.split("\t")[:2]
        todo, seen = [wnid[1:]], set()
        while todo:  # every ancestor on every path, the class itself included
            offset = todo.pop()
            if offset not in seen:
                seen.add(offset)
                covers.setdefault(offset, set()).add(int(index))
                todo += parents.get(offset, [])
    named = concept_members()
    rows = []
    for word, offsets in sorted(read_senses(folder).items()):
        if word in named:
            continue
        sense = next((o for o in offsets if o in covers), None)
        if sense is not None:
            rows.append(f"{word}\t{' '.join(map(str, sorted(covers[sense])))}")
    out = DATA / "wordnet_senses.tsv"
    out.write_text("# word\tImageNet class indexes under its most frequent sense covering any "
                   "(WordNet 3.0; scripts/build_wordnet_senses.py)\n" + "\n".join(rows) + "\n",
                   encoding="utf-8")
    print(f"wrote {out}: {len(rows)} words, {out.stat().st_size / 1e3:.0f} kB")


if __name__ == "__main__":
    main()
