"""Readers for the dataset formats ``mmrag eval`` understands, detected from the layout.

- BEIR: ``corpus.jsonl``, ``queries.jsonl`` and ``qrels/test.tsv`` (or another split).
- QA: a ``.jsonl`` file of ``{"question", "answers": [...], "source"?}`` whose documents
  are the folder given with ``--corpus`` (default: a ``corpus/`` folder beside the file).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import ConfigError


@dataclass
class Beir:
    path: Path
    queries: dict[str, str]
    qrels: dict[str, dict[str, int]]
    split: str
    kind: str = "beir"

    def documents(self) -> Iterator[tuple[str, str]]:
        with (self.path / "corpus.jsonl").open(encoding="utf-8") as fh:
            for number, line in enumerate(fh, 1):
                if not line.strip():
                    continue
                try:
                    doc = json.loads(line)
                    title, text = doc.get("title") or "", doc.get("text") or ""
                    yield str(doc["_id"]), f"{title}\n\n{text}".strip()
                except (ValueError, KeyError) as exc:
                    raise ConfigError(
                        f"{self.path / 'corpus.jsonl'}:{number}: not a BEIR document ({exc})"
                    ) from None


@dataclass
class QA:
    path: Path
    corpus: Path
    items: list[dict[str, object]] = field(default_factory=list)
    kind: str = "qa"


def detect(
    path: Path, corpus: Path | None = None, split: str = "test", captions: str | None = None
) -> Any:
    from .images import read_classes, read_coco, read_flickr

    if path.is_dir() and (path / "corpus.jsonl").exists():
        return read_beir(path, split)
    if path.is_file() and path.suffix == ".jsonl":
        return read_qa(path, corpus)
    if path.is_file() and path.suffix == ".json":
        return read_coco(path)
    if path.is_dir() and (path / "images").is_dir() and (
        list(path.glob("*.caption.txt")) or (path / "flickr8kcn").is_dir()
    ):
        return read_flickr(path, captions or "flickr8kenc", split if split != "none" else None)
    if path.is_dir() and any(d.is_dir() for d in path.iterdir()):
        return read_classes(path)
    raise ConfigError(
        f"{path}: not a dataset mmrag can read; expected a BEIR folder (corpus.jsonl, "
        "queries.jsonl, qrels/<split>.tsv), a QA .jsonl file, COCO captions .json, a "
        "Flickr8k(-CN) folder (images/ + *.caption.txt) or a folder of class subfolders"
    )


def read_beir(path: Path, split: str = "test") -> Beir:
    qrels_file = path / "qrels" / f"{split}.tsv"
    if not qrels_file.exists():
        found = sorted(p.stem for p in (path / "qrels").glob("*.tsv"))
        raise ConfigError(f"{qrels_file}: no such qrels split; available: {found}")
    qrels: dict[str, dict[str, int]] = {}
    for line in qrels_file.read_text(encoding="utf-8").splitlines()[1:]:
        parts = line.split("\t")
        if len(parts) >= 3:
            qrels.setdefault(parts[0], {})[parts[1]] = int(parts[2])
    queries = {}
    with (path / "queries.jsonl").open(encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                row = json.loads(line)
                if str(row["_id"]) in qrels:
                    queries[str(row["_id"])] = row["text"]
    return Beir(path, queries, qrels, split)


def read_qa(path: Path, corpus: Path | None) -> QA:
    corpus = corpus or path.parent / "corpus"
    if not corpus.is_dir():
        raise ConfigError(f"{corpus}: no corpus folder for {path}; pass --corpus DIR")
    items = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            if not isinstance(row["question"], str) or not row["answers"]:
                raise KeyError("answers")
        except (ValueError, KeyError, TypeError) as exc:
            raise ConfigError(
                f'{path}:{number}: expected {{"question": str, "answers": [str], "source"?}} '
                f"({exc})"
            ) from None
        items.append(row)
    return QA(path, corpus, items)
