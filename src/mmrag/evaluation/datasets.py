"""Readers for the dataset formats ``mmrag eval`` understands, detected from the layout.

- BEIR: ``corpus.jsonl``, ``queries.jsonl`` and ``qrels/test.tsv`` (or another split).
- QA: a ``.jsonl`` file of ``{"question", "answers": [...], "source"?}`` whose documents
  are the folder given with ``--corpus`` (default: a ``corpus/`` folder beside the file).
- Captions: Flickr8k(-CN) (``images/`` and ``*.caption.txt``) or a COCO captions ``.json``;
  also the pairs ``mmrag align`` learns from.
- Classes: a folder of images with one subfolder per class.

Only parsing lives here (nothing of the pipeline), so ``mmrag.align`` can read pairs too.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import ConfigError
from ..jsonl import read_jsonl


@dataclass
class Beir:
    path: Path
    queries: dict[str, str]
    qrels: dict[str, dict[str, int]]
    split: str
    kind: str = "beir"

    def documents(self) -> Iterator[tuple[str, str]]:
        for _, doc in read_jsonl(self.path / "corpus.jsonl", _beir_document,
                                 'a BEIR document {"_id", "title"?, "text"?}', what="corpus"):
            yield doc


def _beir_document(doc: dict[str, Any]) -> tuple[str, str]:
    title, text = doc.get("title") or "", doc.get("text") or ""
    return str(doc["_id"]), f"{title}\n\n{text}".strip()


@dataclass
class QA:
    path: Path
    corpus: Path
    items: list[dict[str, object]] = field(default_factory=list)
    kind: str = "qa"


IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp", ".bmp", ".gif", ".tif", ".tiff"}


@dataclass
class Captions:
    images_dir: Path
    captions: dict[str, list[str]]  # image file name -> captions
    path: Path
    kind: str = "captions"
    speech: dict[str, Path] = field(default_factory=dict)  # image file name -> recording


@dataclass
class Classes:
    path: Path
    files: dict[str, list[Path]] = field(default_factory=dict)  # class -> images
    kind: str = "classes"


def read_flickr(path: Path, captions: str, split: str | None) -> Captions:
    """Flickr8k(-CN) layout: ``images/`` and caption files ``IMAGE.jpg#tag#N caption``;
    ``split`` names split lists, '+'-joined ("train+val"), or "none" for every image."""
    base = path / "flickr8kcn" if (path / "flickr8kcn").is_dir() else path
    file = base / (captions if captions.endswith(".txt") else f"{captions}.caption.txt")
    if not file.exists():
        found = sorted(p.name for p in base.glob("*.caption.txt"))
        raise ConfigError(f"{file}: no such caption file; available: {found}")
    keep: set[str] | None = None
    for name in (split or "").split("+"):
        if not name or name == "none":
            continue
        listed = base / (name if name.endswith(".txt") else f"flickr8k{name}.txt")
        if not listed.exists():
            raise ConfigError(f"{listed}: no such split list")
        keep = (keep or set()) | {
            line.strip() for line in listed.read_text().splitlines() if line.strip()
        }
    images_dir = path / "images"
    present = {p.name for p in images_dir.iterdir()} if images_dir.is_dir() else set()
    out: dict[str, list[str]] = defaultdict(list)
    for line in file.read_text(encoding="utf-8").splitlines():
        key, _, text = line.partition(" ")
        image = key.split("#")[0]
        if text.strip() and image in present and (keep is None or image.rsplit(".", 1)[0] in keep):
            out[image].append(text.strip())
    return Captions(images_dir, dict(out), path, speech=_spoken(path, set(out)))


SPEECH_FOLDERS = ("tts_mp3", "speech")
AUDIO_SUFFIXES = {".wav", ".mp3", ".flac", ".ogg", ".m4a"}


def _spoken(path: Path, images: set[str]) -> dict[str, Path]:
    """Recordings of a caption, one per image, named by the image's id (``ID.wav``)."""
    by_id = {name.rsplit(".", 1)[0]: name for name in images}
    for folder in (path / f for f in SPEECH_FOLDERS):
        if folder.is_dir():
            return {by_id[f.stem]: f for f in sorted(folder.iterdir())
                    if f.suffix.lower() in AUDIO_SUFFIXES and f.stem in by_id}
    return {}


def read_coco(path: Path) -> Captions:
    data = json.loads(path.read_text(encoding="utf-8"))
    names = {img["id"]: img["file_name"] for img in data["images"]}
    out: dict[str, list[str]] = defaultdict(list)
    for ann in data["annotations"]:
        out[names[ann["image_id"]]].append(ann["caption"].strip())
    return Captions(path.parent / "images", dict(out), path)


def read_classes(path: Path) -> Classes:
    files = {
        d.name: sorted(p for p in d.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
        for d in sorted(path.iterdir()) if d.is_dir()
    }
    return Classes(path, {c: f for c, f in files.items() if f})



def detect(
    path: Path, corpus: Path | None = None, split: str = "test", captions: str | None = None
) -> Any:
    if path.is_dir() and (path / "corpus.jsonl").exists():
        return read_beir(path, split)
    if path.is_dir() and (path / "queries.jsonl").exists():
        from .mixed import read_mixed

        return read_mixed(path)
    if path.is_file() and path.suffix == ".jsonl":
        return read_qa(path, corpus)
    if path.is_file() and path.suffix == ".json":
        from .rgb import is_rgb, read_rgb

        return read_rgb(path) if is_rgb(path) else read_coco(path)
    if path.is_dir() and (path / "images").is_dir() and (
        list(path.glob("*.caption.txt")) or (path / "flickr8kcn").is_dir()
    ):
        return read_flickr(path, captions or "flickr8kenc", split if split != "none" else None)
    if path.is_dir() and any(d.is_dir() for d in path.iterdir()):
        return read_classes(path)
    raise ConfigError(
        f"{path}: not a dataset mmrag can read; expected a BEIR folder (corpus.jsonl, "
        "queries.jsonl, qrels/<split>.tsv), a mixed corpus (files + queries.jsonl), a QA "
        ".jsonl file, COCO captions .json, a "
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

    def judged(row: dict[str, Any]) -> tuple[str, str | None]:
        # only judged queries are kept, and only they must have a text
        return str(row["_id"]), row["text"] if str(row["_id"]) in qrels else None

    rows = read_jsonl(path / "queries.jsonl", judged, 'a BEIR query {"_id", "text"}',
                      what="queries")
    queries = {qid: text for _, (qid, text) in rows if text is not None}
    return Beir(path, queries, qrels, split)


def _qa_item(row: dict[str, object]) -> dict[str, object]:
    if not isinstance(row["question"], str) or not row["answers"]:
        raise KeyError("answers")
    return row


def read_qa(path: Path, corpus: Path | None) -> QA:
    corpus = corpus or path.parent / "corpus"
    if not corpus.is_dir():
        raise ConfigError(f"{corpus}: no corpus folder for {path}; pass --corpus DIR")
    items = [row for _, row in read_jsonl(
        path, _qa_item, '{"question": str, "answers": [str], "source"?}', what="QA file")]
    return QA(path, corpus, items)
