"""Text in images (Chinese + English) with RapidOCR, whose ONNX models ship in its wheel."""

from __future__ import annotations

import re
from typing import Any

import numpy as np

from .._lazy import require


class Ocr:
    def __init__(self, min_score: float = 0.5, max_side: int = 960):
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
            threads = {f"{part}_{k}_op_num_threads": n for part in ("det", "cls", "rec")
                       for k, n in (("intra", 2), ("inter", 1))}
            # RapidOCR's default scales the short side UP to 736 px before detection, which
            # made a 200 px thumbnail cost ~1 s; bounding the long side instead keeps small
            # images small (measured: see docs/benchmarks.md, "Images").
            self._engine = rapidocr.RapidOCR(
                det_limit_type="max", det_limit_side_len=self.max_side, **threads
            )
        return self._engine

    def read(self, image: Any) -> str:
        """The text lines found in an RGB Pillow image, top to bottom, joined by newlines."""
        return "\n".join(text for text, _box in self.read_lines(image))

    def read_lines(self, image: Any) -> list[tuple[str, tuple[float, float, float, float]]]:
        """Each text line found, top to bottom, with the rectangle it covers in ``image``'s
        pixels (left, top, right, bottom; RapidOCR's four corners bounded)."""
        w, h = image.size
        scale = 1.0
        if max(w, h) > self.max_side:
            scale = self.max_side / max(w, h)
            image = image.resize((max(1, round(w * scale)), max(1, round(h * scale))))
        bgr = np.ascontiguousarray(np.asarray(image)[:, :, ::-1])
        result, _ = self.engine(bgr)
        lines = []
        for box, text, score in result or []:
            # The recogniser often drops spaces ("OPEN24HOURS"); letter/digit seams are safe cuts.
            text = _SEAMS.sub(" ", str(text).strip())
            if float(score) < self.min_score or not text:
                continue
            xs, ys = [float(x) / scale for x, _ in box], [float(y) / scale for _, y in box]
            lines.append((text, (min(xs), min(ys), max(xs), max(ys))))
        return lines


_SEAMS = re.compile(r"(?<=[A-Za-z])(?=[0-9])|(?<=[0-9])(?=[A-Za-z])")
