"""A content-addressed store of mono clips, so re-rendering an edited scene regenerates only what changed.

A clip's address is a hash of (backend tag, prompt, duration, seed); the folder is
$CASCADE_CACHE_DIR/clips, else ~/.cache/text2spatial/clips.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from cascade import limits
from cascade.audio import audio_fault
from cascade.errors import OptionError, OutputError
from cascade.files import atomic_path

DEFAULT_LIMIT_GB = 2.0
LIMIT_VARIABLE = "CASCADE_CACHE_MAX_GB"


# what the cache writes, relative to its root: the only files `clear` removes (a temporary is `.NAME.PID-RANDOM.tmp`)
_OWN_FILES = re.compile(r"^(?:clips/[0-9a-f]{2}/|hrirs/|compare/)\.?(?:[0-9a-f]{64}\.npy|[0-9a-f]{32}-[a-z0-9-]+\.npz"
                        r"|tagger-[0-9a-f]{12}\.pt)(?:\.[^/]+\.tmp)?$")


def cache_root() -> Path:
    """Where prepared data is kept: $CASCADE_CACHE_DIR, else ~/.cache/text2spatial (clips/, hrirs/); OptionError when
    the variable names something that is not a folder."""
    root = os.environ.get("CASCADE_CACHE_DIR")
    path = Path(root).expanduser() if root else Path.home() / ".cache" / "text2spatial"
    if root and path.exists() and not path.is_dir():
        raise OptionError(f"CASCADE_CACHE_DIR={root} is not a folder; point it at a folder (it is made if missing) or unset it")
    return path


def default_folder() -> Path:
    """The clip cache: cache_root() / clips."""
    return cache_root() / "clips"


def clip_key(backend: str, prompt: str, duration: float, seed: int) -> str:
    """The clip's address: sha256 of its defining parameters (duration rounded to 0.1 ms)."""
    record = json.dumps([backend, prompt, round(float(duration), 4), int(seed)], ensure_ascii=False)
    return hashlib.sha256(record.encode("utf-8")).hexdigest()


def size_limit(gigabytes: float | None = None) -> int:
    """Bytes the clip cache may hold: `gigabytes`, else $CASCADE_CACHE_MAX_GB, else DEFAULT_LIMIT_GB."""
    return limits.gigabytes(gigabytes, LIMIT_VARIABLE, DEFAULT_LIMIT_GB, "the clip cache's size limit", OptionError)


@dataclass(frozen=True)
class Usage:
    """What a cache folder holds: entries and bytes."""

    folder: Path
    entries: int
    size: int


def usage(folder: Path) -> Usage:
    """Entries (files) and bytes under `folder` (0 when it does not exist)."""
    files = [p for p in folder.rglob("*") if p.is_file()] if folder.is_dir() else []
    return Usage(folder, len(files), sum(p.stat().st_size for p in files))


class ClipCache:
    """Clips as .npy files named by their key; unreadable entries count as misses. When the folder grows past
    `limit` bytes (default $CASCADE_CACHE_MAX_GB or 2 GB), the least recently used clips are removed."""

    def __init__(self, folder: str | Path | None = None, limit: int | None = None):
        self.folder = Path(folder) if folder is not None else default_folder()
        self.limit = size_limit() if limit is None else limit
        self.hits = 0
        self.misses = 0
        self._size: int | None = None  # bytes held, counted once on the first write, then kept up to date

    def _path(self, key: str) -> Path:
        return self.folder / key[:2] / f"{key}.npy"

    def get(self, key: str, length: int | None = None) -> np.ndarray | None:
        """The clip stored under `key`, or None; an entry that is unreadable, not a finite float32 mono clip or
        not `length` samples long counts as a miss and is removed. A hit marks the entry as recently used."""
        path = self._path(key)
        try:
            clip = np.load(path, allow_pickle=False)
        except FileNotFoundError:
            self.misses += 1
            return None
        except (OSError, ValueError, EOFError):
            clip = None
        if clip is None or audio_fault(clip, length, mono=True) is not None:
            path.unlink(missing_ok=True)
            self.misses += 1
            return None
        self.hits += 1
        with contextlib.suppress(OSError):
            os.utime(path)
        return clip

    def put(self, key: str, clip: np.ndarray) -> None:
        """Store atomically, then keep the folder under its limit; a cache that cannot be written is skipped, never fatal."""
        path = self._path(key)
        try:
            with atomic_path(path) as tmp, open(tmp, "wb") as file:
                np.save(file, np.asarray(clip, dtype=np.float32), allow_pickle=False)
            if self._size is None:
                self._size = usage(self.folder).size
            else:
                self._size += path.stat().st_size
            if self._size > self.limit:
                self._evict()
        except (OSError, OutputError):
            return

    def _evict(self) -> None:
        """Remove least recently used entries until the folder holds at most 90 % of the limit."""
        entries = sorted((p.stat().st_mtime_ns, p.stat().st_size, p) for p in self.folder.rglob("*.npy"))
        size = sum(s for _, s, _ in entries)
        for _, entry_size, entry in entries:
            if size <= 0.9 * self.limit:
                break
            entry.unlink(missing_ok=True)
            size -= entry_size
        self._size = size


def clear(root: Path) -> tuple[Usage, Usage]:
    """Remove what the cache wrote under `root` (clips, prepared HRIR sets, tagger models) and the folders left empty;
    any other file (the user's own, a trained model) stays. Returns (removed, kept)."""
    removed: list[int] = []
    kept: list[int] = []
    if root.is_dir():
        for path in sorted(root.rglob("*"), reverse=True):  # files before the folders that hold them
            if path.is_symlink() or path.is_file():
                own = _OWN_FILES.match(path.relative_to(root).as_posix()) is not None and not path.is_symlink()
                size = path.lstat().st_size
                if own:
                    path.unlink(missing_ok=True)
                (removed if own else kept).append(size)
            elif path.is_dir() and path.relative_to(root).parts[0] in ("clips", "hrirs", "compare"):
                with contextlib.suppress(OSError):
                    path.rmdir()  # only when empty
    return Usage(root, len(removed), sum(removed)), Usage(root, len(kept), sum(kept))
