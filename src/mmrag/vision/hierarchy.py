"""Concepts over ImageNet's classes by WordNet: "dog" is every dog breed.

A classifier spreads a photo of a dog over 120 breeds, so no single class (and no single
class vector) says "dog" loudly; the probability that the photo shows *a* dog is the sum
over every class whose WordNet parents include dog. A concept is looked up by its name
among the classes' names, synonyms and hypernyms (plural "dogs" finds "dog"), then among
every other word of WordNet's synsets above the classes ("automobile" is car.n.01, which
the classes list by its first word, "car"; ``data/wordnet_senses.tsv``, written by
``scripts/build_wordnet_senses.py``); a word that names no sense over any class ("deer":
ImageNet-1k has no cervid) falls back to the nearest named concept by the text embedder.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any

import numpy as np

from .classes import imagenet_classes


@lru_cache(maxsize=1)
def concept_members() -> dict[str, frozenset[int]]:
    """Every name (class name, synonym, hypernym; lower-case) -> the classes it covers."""
    members: dict[str, set[int]] = {}
    for c in imagenet_classes():
        for name in {c.name, *c.synonyms, *c.hypernyms}:
            if name.strip():
                members.setdefault(name.strip().lower(), set()).add(c.index)
    return {k: frozenset(v) for k, v in members.items()}


@lru_cache(maxsize=1)
def wordnet_senses() -> dict[str, frozenset[int]]:
    """WordNet's other words -> the classes under their most frequent sense covering any."""
    from importlib import resources

    text = resources.files("mmrag.vision").joinpath("data/wordnet_senses.tsv").read_text(
        encoding="utf-8")
    out: dict[str, frozenset[int]] = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            word, indexes = line.split("\t")
            out[word] = frozenset(int(i) for i in indexes.split())
    return out


def _singulars(word: str) -> list[str]:
    out = [word]
    if word.endswith("ies"):
        out.append(word[:-3] + "y")
    if word.endswith("es"):
        out.append(word[:-2])
    if word.endswith("s"):
        out.append(word[:-1])
    return out


def lookup(concept: str) -> frozenset[int] | None:
    """The classes under ``concept`` when WordNet names it, else None."""
    word = " ".join(concept.lower().replace("_", " ").split())
    for members in (concept_members(), wordnet_senses()):
        for form in _singulars(word):
            if form in members:
                return members[form]
    return None


def resolve(concepts: Sequence[str], text: Any | None = None) -> list[frozenset[int]]:
    """The class set of each concept; unnamed ones take the nearest named concept's by
    ``text`` (an embedder; without one they cover nothing)."""
    found = [lookup(c) for c in concepts]
    missing = [i for i, f in enumerate(found) if f is None]
    if missing and text is not None:
        from ..embedders import embed_texts

        names = sorted(concept_members())
        vectors = _name_vectors(text, names)
        queries = embed_texts(text, [f"a photo of a {concepts[i]}" for i in missing], "query")
        for i, q in zip(missing, queries, strict=True):
            found[i] = concept_members()[names[int(np.argmax(vectors @ q))]]
    return [f if f is not None else frozenset() for f in found]


def _name_vectors(text: Any, names: list[str]) -> np.ndarray:
    """The names as "a photo of a ..." (as the class vectors are built), embedded once per
    text embedder and kept in the cache."""
    import json

    from ..cache import cached_array
    from ..embedders import describe, embed_texts

    key = {"embedder": json.dumps(describe(text), sort_keys=True, default=str), "names": names}
    return cached_array(f"concepts-{text.name}", key, lambda: embed_texts(
        text, [f"a photo of a {n}" for n in names], "document"))


def concept_probs(probs: np.ndarray, members: Sequence[frozenset[int]]) -> np.ndarray:
    """(n, concepts): the summed class probability of each concept for each image."""
    probs = np.asarray(probs, np.float32)
    out = np.zeros((len(probs), len(members)), np.float32)
    for j, m in enumerate(members):
        if m:
            out[:, j] = probs[:, sorted(m)].sum(axis=1)
    return out


@lru_cache(maxsize=1)
def _membership() -> tuple[list[str], np.ndarray]:
    """Names covering two or more classes, and their (names, 1000) 0/1 membership."""
    names = sorted(n for n, m in concept_members().items() if len(m) > 1)
    matrix = np.zeros((len(names), len(imagenet_classes())), np.float32)
    for row, name in enumerate(names):
        matrix[row, sorted(concept_members()[name])] = 1.0
    return names, matrix


def broad_labels(probs: np.ndarray, min_p: float = 0.5, k: int = 3) -> list[dict[str, Any]]:
    """The most specific concepts (fewest classes) whose summed probability reaches
    ``min_p``: a photo split over ten terriers still says "terrier, dog"."""
    names, matrix = _membership()
    summed = matrix @ np.asarray(probs, np.float32)
    sizes = matrix.sum(axis=1)
    keep = [i for i in np.argsort(sizes, kind="stable") if summed[i] >= min_p][:k]
    return [{"name": names[i], "p": round(float(summed[i]), 4)} for i in keep]
