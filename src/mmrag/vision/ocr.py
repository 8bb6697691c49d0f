"""Text in images (Chinese + English) with RapidOCR, whose ONNX models ship in its wheel."""

from __future__ import annotations

from typing import Any

import numpy as np

from .._lazy import require


class Ocr:
    def __init__(self, min_score: float = 0.5, max_side: int = 1280):
        self.min_score = min_score
        self.max_side = max_side
        self._engine: Any = None

    @property
    def engine(self) -> Any:
        if self._engine is None:
            rapidocr = require("rapidocr_onnxruntime", "image", purpose="OCR of images")
            import logging

            # rapidocr configures its own chatty logger at import; keep the library quiet.
            logging.getLogger("RapidOCR").setLevel(logging.ERROR)
            self._engine = rapidocr.RapidOCR(intra_op_num_threads=2, inter_op_num_threads=1)
        return self._engine

    def read(self, image: Any) -> str:
        """The text lines found in an RGB Pillow image, top to bottom, joined by newlines."""
        w, h = image.size
        if max(w, h) > self.max_side:
            scale = self.max_side / max(w, h)
            image = image.resize((max(1, round(w * scale)), max(1, round(h * scale))))
        bgr = np.ascontiguousarray(np.asarray(image)[:, :, ::-1])
        result, _ = self.engine(bgr)
        lines = [text for _box, text, score in (result or []) if float(score) >= self.min_score]
        return "\n".join(line.strip() for line in lines if line.strip())
