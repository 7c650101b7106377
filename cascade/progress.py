"""Progress of steps a user waits on: a bar on a terminal, a log line every few seconds elsewhere, nothing when quiet.

    with progress.task("denoise", total=50, unit="step") as bar:
        for ...: bar.update()

`configure("auto" | "bar" | "log" | "off")` sets the mode for the whole process (the command line does it
from -q and whether stderr is a terminal); the library's default is "off". Log lines go to the "cascade"
logger at INFO level (the command line prints them on stdout, beside the run's notes).
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Literal

Mode = Literal["auto", "bar", "log", "off"]
LOG_EVERY = 5.0  # s between log lines of one task
QUIET_BELOW = 2.0  # s: a task that ends sooner than this logs nothing

log = logging.getLogger("cascade")
_mode: Mode = "off"


def configure(mode: Mode) -> None:
    """Show progress as bars ("bar"), log lines ("log"), either by whether stderr is a terminal ("auto"), or not at all."""
    global _mode
    _mode = mode


def mode() -> Mode:
    """The effective mode: "bar", "log" or "off"."""
    if _mode == "auto":
        return "bar" if sys.stderr.isatty() else "log"
    return _mode


class _Task:
    def __init__(self, description: str, total: int | None, unit: str) -> None:
        self.description, self.total, self.unit = description, total, unit
        self.done = 0
        self._logged = -1
        self.began = self._last = time.monotonic()
        self._bar = None
        if mode() == "bar":
            from tqdm import tqdm

            self._bar = tqdm(total=total, desc=description, unit=unit, leave=False, file=sys.stderr)

    def update(self, count: int = 1) -> None:
        self.done += count
        if self._bar is not None:
            self._bar.update(count)
        elif mode() == "log" and time.monotonic() - self._last >= LOG_EVERY:
            self._last = time.monotonic()
            self._logged = self.done
            log.info(self._line())

    def _line(self) -> str:
        elapsed = time.monotonic() - self.began
        of = f"/{self.total}" if self.total is not None else ""
        rate = self.done / elapsed if elapsed > 0 else 0.0
        eta = f", about {(self.total - self.done) / rate:.0f} s left" if self.total and rate > 0 and self.done < self.total else ""
        return f"{self.description}: {self.done}{of} {self.unit}s in {elapsed:.0f} s{eta}"

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
        elif mode() == "log" and time.monotonic() - self.began >= QUIET_BELOW and self._logged != self.done:
            log.info(self._line())


@contextmanager
def task(description: str, total: int | None = None, unit: str = "step") -> Iterator[_Task]:
    """A task of `total` units; `.update(n)` as they finish."""
    current = _Task(description, total, unit)
    try:
        yield current
    finally:
        current.close()
