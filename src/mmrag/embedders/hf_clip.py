"""Real CLIP-family models from a local directory, through Hugging Face transformers.

``hf-clip`` loads whatever ``AutoModel`` finds in ``path`` that has ``get_text_features``
and ``get_image_features``: OpenAI CLIP (``CLIPModel``) and Chinese-CLIP
(``ChineseCLIPModel``) among others, with their own tokenizer and image processor. Nothing
is downloaded: ``path`` (or ``$MMRAG_CLIP_PATH``) must hold the files (``save_pretrained``
output). Unlike the
EfficientNet path this runs torch at query time; it is for machines that have such weights.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .._lazy import require
from ..errors import ConfigError
from ..types import Content
from . import Role, embedders, normalise


class HFClipEmbedder:
    name = "hf-clip"
    modalities = frozenset({"text", "image"})

    def __init__(self, path: str | None = None, batch_size: int = 16, max_length: int = 77):
        # The CLI passes $MMRAG_CLIP_PATH as ``path``; the manifest then records the
        # resolved path, so the index reopens with the same model.
        if not path:
            raise ConfigError("hf-clip needs a model directory: set MMRAG_CLIP_PATH or pass path")
        config = Path(path).expanduser() / "config.json"
        try:
            meta = json.loads(config.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ConfigError(f"{config}: not a saved CLIP-family model ({exc})") from None
        if "projection_dim" not in meta:
            raise ConfigError(f"{config}: no projection_dim; not a CLIP-family model")
        self.path = str(Path(path).expanduser().resolve())
        self.dim = int(meta["projection_dim"])
        self.batch_size = batch_size
        self.max_length = max_length
        self.config: dict[str, Any] = {"path": self.path}  # constructor options, exactly
        self._parts: tuple[Any, Any, Any] | None = None

    def _load(self) -> tuple[Any, Any, Any]:
        if self._parts is None:
            transformers = require("transformers", "clip", purpose="CLIP-family models")
            transformers.utils.logging.disable_progress_bar()  # the library never prints
            model = transformers.AutoModel.from_pretrained(self.path, local_files_only=True)
            tokenizer = transformers.AutoTokenizer.from_pretrained(self.path, local_files_only=True)
            processor = transformers.AutoImageProcessor.from_pretrained(
                self.path, local_files_only=True, use_fast=False
            )
            self._parts = (model.eval(), tokenizer, processor)
        return self._parts

    def embed(self, items: Sequence[Content], *, role: Role) -> np.ndarray:
        out = np.zeros((len(items), self.dim), dtype=np.float32)
        text_rows = [i for i, c in enumerate(items) if c.modality == "text"]
        image_rows = [i for i, c in enumerate(items) if c.modality == "image"]
        if len(text_rows) + len(image_rows) != len(items):
            bad = next(c.modality for c in items if c.modality not in self.modalities)
            raise ConfigError(f"hf-clip reads {sorted(self.modalities)}, got {bad!r}")
        if text_rows:
            out[text_rows] = self._texts([items[i].text or "" for i in text_rows])
        if image_rows:
            out[image_rows] = self._images([items[i].path or "" for i in image_rows])
        return normalise(out)

    def _texts(self, texts: list[str]) -> np.ndarray:
        import torch

        model, tokenizer, _ = self._load()
        parts = []
        for start in range(0, len(texts), self.batch_size):
            batch = tokenizer(texts[start:start + self.batch_size], padding=True,
                              truncation=True, max_length=self.max_length, return_tensors="pt")
            with torch.no_grad():
                parts.append(_tensor(model.get_text_features(**batch)).numpy())
        return np.concatenate(parts)

    def _images(self, paths: list[str]) -> np.ndarray:
        import torch

        from ..vision.image_file import open_rgb

        model, _, processor = self._load()
        parts = []
        for start in range(0, len(paths), self.batch_size):
            images = [open_rgb(p)[0] for p in paths[start:start + self.batch_size]]
            pixels = processor(images=images, return_tensors="pt")["pixel_values"]
            with torch.no_grad():
                parts.append(_tensor(model.get_image_features(pixel_values=pixels)).numpy())
        return np.concatenate(parts)


def _tensor(output: Any) -> Any:
    # transformers 5 may return a model output object instead of a bare tensor
    return getattr(output, "pooler_output", output) if not hasattr(output, "numpy") else output


embedders.register("hf-clip")(HFClipEmbedder)
