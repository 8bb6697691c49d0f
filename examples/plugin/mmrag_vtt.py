"""An mmrag plugin: WebVTT subtitles (.vtt) as timed text, each cue cited to its seconds.

Installed through the entry-point group ``mmrag.loaders`` (see pyproject.toml beside this
file); mmrag finds it by name and by extension, like its own loaders."""

from pathlib import Path

from mmrag.errors import IngestError
from mmrag.types import Section, Span


def _seconds(stamp: str) -> float:
    h, m, s = (["0", "0"] + stamp.replace(",", ".").split(":"))[-3:]
    return int(h) * 3600 + int(m) * 60 + float(s)


class VttLoader:
    name = "vtt"
    extensions = (".vtt",)

    def load(self, path: Path) -> list[Section]:
        sections = []
        for block in path.read_text(encoding="utf-8").replace("\r\n", "\n").split("\n\n"):
            lines = block.strip().splitlines()
            at = next((i for i, line in enumerate(lines) if "-->" in line), None)
            if at is not None and lines[at + 1:]:
                start, end = (t.strip().split()[0] for t in lines[at].split("-->"))
                span = Span(start=_seconds(start), end=_seconds(end))
                sections.append(Section(text=" ".join(lines[at + 1:]), span=span))
        if not sections:
            raise IngestError(str(path), "no subtitle cues (expected 'HH:MM:SS.mmm --> ...')")
        return sections
