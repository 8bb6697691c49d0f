"""PowerPoint decks (.pptx, python-pptx): one section per slide (its title, text boxes and
speaker notes) cited to the slide as its page, each table as a table, each picture as an
image item of that slide with the slide's title and text joined into its text.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from .._lazy import require
from ..errors import IngestError
from ..types import Section, Span
from . import LoadContext, loaders
from .figures import Figures
from .packages import check_package
from .tables import table_sections


def _shapes(shapes: Any) -> Iterator[Any]:
    """Every shape, the ones inside groups too."""
    for shape in shapes:
        if shape.shape_type == 6:  # MSO_SHAPE_TYPE.GROUP
            yield from _shapes(shape.shapes)
        else:
            yield shape


class PptxLoader:
    name = "pptx"
    extensions: tuple[str, ...] = (".pptx",)
    accepts_context = True

    def load(self, path: Path, context: LoadContext | None = None) -> list[Section]:
        check_package(path, ".pptx")
        pptx = require("pptx", "documents", purpose="reading .pptx files")
        try:
            deck = pptx.Presentation(str(path))
        except Exception as exc:  # a broken package: KeyError, ValueError, lxml errors
            raise IngestError(str(path), f"not a readable .pptx ({exc})") from None
        figures = Figures(path, context or LoadContext())
        width, height = deck.slide_width or 1, deck.slide_height or 1
        sections: list[Section] = []
        for number, slide in enumerate(deck.slides, 1):
            span = Span(page=number)
            lines: list[str] = []
            pictures: list[tuple[bytes, float]] = []
            for shape in _shapes(slide.shapes):
                if shape.has_text_frame and shape.text_frame.text.strip():
                    lines.append(shape.text_frame.text.strip())
                elif getattr(shape, "has_table", False) and shape.has_table:
                    rows = ([c.text for c in row.cells] for row in shape.table.rows)
                    sections += table_sections(rows, title=f"slide {number} table", span=span)
                elif shape.shape_type == 13:  # MSO_SHAPE_TYPE.PICTURE
                    share = (shape.width or 0) * (shape.height or 0) / (width * height)
                    pictures.append((shape.image.blob, share))
            if slide.has_notes_slide and slide.notes_slide.notes_text_frame is not None:
                notes = slide.notes_slide.notes_text_frame.text.strip()
                if notes:
                    lines.append(f"notes: {notes}")
            if lines:
                sections.append(Section(text="\n\n".join(lines), span=span,
                                        meta={"slide": number}))
            for blob, share in pictures:
                figure = figures.add(blob, span=span, where=f"slide {number}",
                                     around=" ".join(lines), page_share=share)
                if figure is not None:
                    sections.append(figure)
        if not sections:
            raise IngestError(str(path), "no text, tables or pictures on any slide")
        return sections


loaders.register("pptx")(PptxLoader)
