"""Tables kept as tables: rows in groups, each group a Markdown table with the header
repeated, so a question about one row ("what was the Q3 revenue") meets that row with
its column names, and a hit shows as a table.

A table section is one chunk (``Section.chunked``: the chunker does not re-split it):
the rows of a group add up to about ``GROUP_CHARS`` characters, close
to the chunker's 200-token windows, and a cell longer than ``MAX_CELL_CHARS`` is cut.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from ..types import Section, Span

GROUP_CHARS = 1200
MAX_CELL_CHARS = 300
# The documented cap: rows past this many in one table (a 100,000-row sheet) are not
# indexed and not read (a sheet is streamed, so the cap bounds time and memory too); the
# last group's meta says ``"truncated": true``.
MAX_ROWS = 10_000


def cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = " ".join(str(value).split()).replace("|", "\\|")
    return text[:MAX_CELL_CHARS]


def markdown(header: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    width = len(header)
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * width]
    for row in rows:
        padded = list(row[:width]) + [""] * (width - len(row))
        lines.append("| " + " | ".join(padded) + " |")
    return "\n".join(lines)


def table_sections(
    rows: Iterable[Sequence[Any]], *, title: str, span: Span | None = None,
    meta: dict[str, Any] | None = None, max_rows: int = MAX_ROWS,
) -> list[Section]:
    """The sections of one table whose first non-empty row is its header. ``rows`` is
    read lazily and only up to ``max_rows`` data rows."""
    header: list[str] | None = None
    sections: list[Section] = []
    group: list[list[str]] = []
    size = 0
    first = seen = 0
    truncated = False

    def close() -> None:
        nonlocal group, size
        if group and header is not None:
            rows_label = f"rows {first}-{first + len(group) - 1}"
            text = f"{title}, {rows_label}\n\n{markdown(header, group)}"
            info = {"header": header, "rows": [first, first + len(group) - 1]}
            sections.append(Section(text=text, span=span or Span(),
                                    meta={**(meta or {}), "table": info}, chunked=True))
        group, size = [], 0

    for raw in rows:
        values = [cell(v) for v in raw]
        if not any(values):
            continue
        if header is None:
            header = [v or f"column {i + 1}" for i, v in enumerate(values)]
            continue
        if seen == max_rows:
            truncated = True
            break
        seen += 1
        if not group:
            first = seen
        group.append(values)
        size += sum(len(v) + 3 for v in values)
        if size >= GROUP_CHARS:
            close()
    close()
    if header is not None and not sections:  # a header alone is still worth finding
        sections.append(Section(text=f"{title}\n\n{markdown(header, [])}", span=span or Span(),
                                meta={**(meta or {}), "table": {"header": header, "rows": []}},
                                chunked=True))
    if truncated and sections:
        sections[-1].meta["table"]["truncated"] = True
    return sections
