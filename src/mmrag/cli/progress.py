"""Progress bars on stderr (tqdm, imported when a bar is first drawn)."""

from __future__ import annotations

import sys
from typing import Any

from .render import snippet


class IngestBars:
    """Ingest progress: one bar of files, and a second one, made on the first long
    recording, in seconds of audio, so the ETA inside an hour-long recording means
    something. Pass :meth:`files` and :meth:`recording` as the ingest callbacks."""

    def __init__(self) -> None:
        from tqdm import tqdm

        self.bar = tqdm(total=0, unit="file", file=sys.stderr, dynamic_ncols=True, leave=False)
        self.inner: list[Any] = []

    def files(self, done: int, total: int, path: str) -> None:
        self.bar.total = total
        self.bar.set_postfix_str(snippet(path, 40), refresh=False)
        self.bar.update(done - self.bar.n)

    def recording(self, path: str, done: float, total: float | None) -> None:
        if not self.inner:
            from tqdm import tqdm

            self.inner.append(tqdm(total=0, unit="s", file=sys.stderr, dynamic_ncols=True,
                                   leave=False, position=1,
                                   bar_format="{desc}: {percentage:3.0f}%|{bar}| "
                                   "{n:.0f}/{total:.0f} s audio [{elapsed}<{remaining}]"))
        audio = self.inner[0]
        name = snippet(path, 30)
        if audio.desc != name:
            # the files bar names the file last finished: name the one being read instead
            self.bar.set_postfix_str(snippet(path, 40), refresh=False)
            audio.reset(total=total or 0)
            audio.set_description_str(name, refresh=False)
        if total:
            audio.total = max(total, done)
        audio.update(done - audio.n)

    def close(self) -> None:
        for audio in self.inner:
            audio.close()
        self.bar.close()


class StageBars:
    """A progress callback drawing one tqdm bar per stage on stderr; a stage's bar closes
    when it completes (a later pass of the same stage gets a new bar)."""

    def __init__(self) -> None:
        self.bars: dict[str, Any] = {}

    def __call__(self, stage: str, done: int, total: int) -> None:
        from tqdm import tqdm

        bar = self.bars.get(stage)
        if bar is None:
            bar = self.bars[stage] = tqdm(total=total, desc=stage, file=sys.stderr, leave=False)
        bar.total = total
        bar.update(done - bar.n)
        if done >= total:
            self.bars.pop(stage).close()

    def close(self) -> None:
        for bar in self.bars.values():
            bar.close()
        self.bars.clear()
