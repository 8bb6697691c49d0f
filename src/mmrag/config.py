"""What shapes an index, as frozen dataclasses.

Every setting that changes what goes into an index (how text is chunked, which image
models label pictures, whether OCR runs, which extra vectors images keep, the limits on 3D
models) lives here. A new index records its :class:`IndexConfig` in the manifest and every
later process, a Ray worker too, builds from the recorded one, so one index is never built
two ways. The library reads none of these from the environment: the CLI turns
``MMRAG_*`` variables into an ``IndexConfig`` at its edge (:mod:`mmrag.cli.environment`).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any

from .errors import ConfigError
from .text.chunker import ChunkerConfig


@dataclass(frozen=True)
class ImageConfig:
    """How image files become text: the EfficientNet-Lite classifiers that label them (an
    image embedder's own models win, so labels match vectors) and whether OCR reads them
    (about 0.6 s per photo on 2 cores)."""

    models: tuple[str, ...] = ("lite0",)
    ocr: bool = True
    # COCO objects with counts ("2 people, 1 dog") from the npm-fetched detector
    objects: bool = True

    def __post_init__(self) -> None:
        # the encoder names the valid models when it builds them
        object.__setattr__(self, "models", tuple(self.models))
        if not self.models:
            raise ConfigError("image models: expected at least one, e.g. ('lite0',)")


@dataclass(frozen=True)
class MeshConfig:
    """3D models: whether views are rendered (and labelled), and the largest file read."""

    views: bool = True
    max_faces: int = 2_000_000
    max_mb: float = 512

    def __post_init__(self) -> None:
        if self.max_faces < 1 or self.max_mb <= 0:
            raise ConfigError(f"mesh limits must be positive, got max_faces={self.max_faces}, "
                              f"max_mb={self.max_mb}")

    @property
    def max_bytes(self) -> int:
        return int(self.max_mb * 1024 * 1024)


@dataclass(frozen=True)
class IndexConfig:
    chunker: ChunkerConfig = ChunkerConfig()
    image: ImageConfig = ImageConfig()
    mesh: MeshConfig = MeshConfig()
    # whether images also keep their text's vector and the mean of both (strategies "text"
    # and "average"; about half of image ingest time). Off: those strategies search like
    # "hybrid".
    strategy_vectors: bool = True

    def to_manifest(self) -> dict[str, Any]:
        return {
            "chunker": asdict(self.chunker),
            "image": {**asdict(self.image), "models": list(self.image.models)},
            "mesh": asdict(self.mesh),
            "strategy_vectors": self.strategy_vectors,
        }

    @classmethod
    def from_manifest(cls, manifest: dict[str, Any]) -> IndexConfig:
        """The config an index records; keys an older mmrag did not write keep their
        defaults (which is what that mmrag did)."""
        parts = {
            "chunker": ChunkerConfig, "image": ImageConfig, "mesh": MeshConfig,
        }
        values: dict[str, Any] = {}
        for key, kind in parts.items():
            if key in manifest:
                recorded = manifest[key]
                if key == "image" and isinstance(recorded, dict) and "objects" not in recorded:
                    recorded = {**recorded, "objects": False}  # before the detector: none
                values[key] = _build(kind, recorded, key)
        if "strategy_vectors" in manifest:
            values["strategy_vectors"] = bool(manifest["strategy_vectors"])
        return cls(**values)

    def differences(self, other: IndexConfig) -> list[str]:
        """The settings in which ``other`` differs, as ``name: ours -> theirs``."""
        ours, theirs = _flat(self.to_manifest()), _flat(other.to_manifest())
        return [f"{k}: {ours[k]!r} -> {theirs[k]!r}" for k in ours if ours[k] != theirs[k]]


def _build(kind: Any, values: Any, where: str) -> Any:
    known = {f.name for f in fields(kind)}
    if not isinstance(values, dict) or set(values) - known:
        raise ConfigError(f"manifest entry {where!r}: expected keys of {sorted(known)}, "
                          f"got {values!r}")
    try:
        return kind(**values)
    except ValueError as exc:  # a limit out of range
        raise ConfigError(f"manifest entry {where!r}: {exc}") from None


def _flat(manifest: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in manifest.items():
        if isinstance(value, dict):
            out.update(_flat(value, f"{prefix}{key}."))
        else:
            out[prefix + key] = value
    return out

