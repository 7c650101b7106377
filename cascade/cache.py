"""A content-addressed store of mono clips, so re-rendering an edited scene regenerates only what changed.

A clip's address is a hash of (backend tag, prompt, duration, seed); the folder is
$CASCADE_CACHE_DIR, else ~/.cache/text2spatial/clips.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path

import numpy as np


def default_folder() -> Path:
    root = os.environ.get("CASCADE_CACHE_DIR")
    return Path(root) if root else Path.home() / ".cache" / "text2spatial" / "clips"


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
        if clip is None or clip.dtype != np.float32 or clip.ndim != 1 or (length is not None and clip.size != length) \
                or not np.isfinite(clip).all():
            path.unlink(missing_ok=True)
            self.misses += 1
            return None
        self.hits += 1
        return clip

    def put(self, key: str, clip: np.ndarray) -> None:
        """Store atomically; a cache that cannot be written is skipped, never fatal."""
        path = self._path(key)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            handle, tmp = tempfile.mkstemp(prefix=".clip.", suffix=".tmp", dir=path.parent)
        except OSError:
            return
        try:
            with os.fdopen(handle, "wb") as file:
                np.save(file, np.asarray(clip, dtype=np.float32), allow_pickle=False)
            os.replace(tmp, path)
        except OSError:
            return
        finally:
            Path(tmp).unlink(missing_ok=True)
