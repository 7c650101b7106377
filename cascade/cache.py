"""A content-addressed store of mono clips, so re-rendering an edited scene regenerates only what changed.

A clip's address is a hash of (backend tag, prompt, duration, seed); the folder is
$CASCADE_CACHE_DIR/clips, else ~/.cache/text2spatial/clips.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import numpy as np

from cascade.audio import audio_fault
from cascade.errors import OutputError
from cascade.files import atomic_path


def cache_root() -> Path:
    """Where prepared data is kept: $CASCADE_CACHE_DIR, else ~/.cache/text2spatial (clips/, hrirs/)."""
    root = os.environ.get("CASCADE_CACHE_DIR")
    return Path(root).expanduser() if root else Path.home() / ".cache" / "text2spatial"


def default_folder() -> Path:
    """The clip cache: cache_root() / clips."""
    return cache_root() / "clips"


def clip_key(backend: str, prompt: str, duration: float, seed: int) -> str:
    """The clip's address: sha256 of its defining parameters (duration rounded to 0.1 ms)."""
    record = json.dumps([backend, prompt, round(float(duration), 4), int(seed)], ensure_ascii=False)
    return hashlib.sha256(record.encode("utf-8")).hexdigest()


class ClipCache:
    """Clips as .npy files named by their key; unreadable entries count as misses."""

    def __init__(self, folder: str | Path | None = None):
        self.folder = Path(folder) if folder is not None else default_folder()
        self.hits = 0
        self.misses = 0

    def _path(self, key: str) -> Path:
        return self.folder / key[:2] / f"{key}.npy"

    def get(self, key: str, length: int | None = None) -> np.ndarray | None:
        """The clip stored under `key`, or None; an entry that is unreadable, not a finite float32 mono clip or
        not `length` samples long counts as a miss and is removed."""
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
        return clip

    def put(self, key: str, clip: np.ndarray) -> None:
        """Store atomically; a cache that cannot be written is skipped, never fatal."""
        try:
            with atomic_path(self._path(key)) as tmp, open(tmp, "wb") as file:
                np.save(file, np.asarray(clip, dtype=np.float32), allow_pickle=False)
        except (OSError, OutputError):
            return
