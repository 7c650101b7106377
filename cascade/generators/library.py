"""A user's folder of sounds as a generator: the best text match per prompt, fitted to the duration.

Each file (wav, flac, ogg, in any subfolder) is described by the words of its path plus an optional
description from `descriptions.csv` (columns file, description) or `descriptions.json` ({file: description}).
Descriptions are embedded once with the offline MiniLM sentence model (384-d) and cached in
`<folder>/.cascade_index.npz`, refreshed when files or descriptions change.
"""

from __future__ import annotations

import csv
import hashlib
import json
import logging
import re
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from cascade import minilm
from cascade.audio import audio_fault, read_audio, resample
from cascade.errors import OutputError
from cascade.files import atomic_path
from cascade.generators import Generator, GeneratorError, clip_length

AUDIO_SUFFIXES = (".wav", ".flac", ".ogg")
INDEX_NAME = ".cascade_index.npz"
EMBEDDER = "all-MiniLM-L6-v2"
LOOP_CROSSFADE = 0.05  # seconds, at most a quarter of the file
TRIM_FADE = 0.01  # seconds of fade-out where a longer file is cut
EMBEDDING_WIDTH = 384  # MiniLM
MIN_SCORE = 0.4  # a best match below this cosine similarity is used with a warning
SILENCE_PEAK = 2.0**-15  # a file whose every sample is below one 16-bit step is digital silence

log = logging.getLogger("cascade")


def _words(relative: str) -> str:
    """'animals/DogBark_02.wav' -> 'animals dog bark 02'."""
    stem = relative.rsplit(".", 1)[0]
    stem = re.sub(r"([a-z])([A-Z])", r"\1 \2", stem)
    return " ".join(re.split(r"[^A-Za-z0-9]+", stem)).strip().lower()


def _inside(folder: Path, relative: str, source: str) -> Path:
    """`folder/relative` resolved, refused when it leads outside the library."""
    path = (folder / relative).resolve()
    if not path.is_relative_to(folder):
        raise GeneratorError(f"{source} points outside the library folder {folder}: '{relative}'; keep every sound inside it")
    return path


def _descriptions(folder: Path) -> dict[str, str]:
    """Relative path -> description, from descriptions.csv or descriptions.json (none: empty)."""
    table: dict[str, str] = {}
    source = ""
    if (folder / "descriptions.csv").is_file():
        source = "descriptions.csv"
        try:
            with open(folder / source, newline="", encoding="utf-8-sig") as file:
                reader = csv.DictReader(file)
                if reader.fieldnames is None or not {"file", "description"} <= set(reader.fieldnames):
                    raise GeneratorError(f"{folder / source} needs a header with columns file,description")
                table = {row["file"] or "": row["description"] or "" for row in reader}
        except UnicodeDecodeError as err:
            raise GeneratorError(f"{folder / source} is not UTF-8 text (byte {err.start}); save it as UTF-8") from None
        except (OSError, csv.Error) as err:
            raise GeneratorError(f"cannot read {folder / source}: {err}") from None
    elif (folder / "descriptions.json").is_file():
        source = "descriptions.json"
        try:
            table = json.loads((folder / source).read_text(encoding="utf-8-sig"))
        except (json.JSONDecodeError, UnicodeDecodeError, OSError) as err:
            raise GeneratorError(f"{folder / source} is not a readable UTF-8 JSON file: {err}") from None
        if not isinstance(table, dict) or not all(isinstance(v, str) for v in table.values()):
            raise GeneratorError(f"{folder / source} must map each file name to a description string")
    described = {}
    for name, text in table.items():
        path = _inside(folder, name, source)
        if not path.is_file():
            raise GeneratorError(f"{source} describes '{name}', which is not in {folder}; fix or remove that entry")
        described[path.relative_to(folder).as_posix()] = text.strip()
    return described


def _scan(folder: Path) -> list[str]:
    """Relative paths of the audio files under `folder`, sorted; hidden entries skipped."""
    files = []
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder)
        if any(part.startswith(".") for part in relative.parts) or path.suffix.lower() not in AUDIO_SUFFIXES:
            continue
        _inside(folder, relative.as_posix(), "a symbolic link")
        if path.is_file():
            files.append(relative.as_posix())
    return files


@lru_cache(maxsize=1)
def _load_embedder() -> Any:
    return minilm.load("cpu", "library")


def _fade(length: int) -> np.ndarray:
    """Equal-power fade-in curve over `length` samples, (0, 1)."""
    return np.sin(0.5 * np.pi * (np.arange(length) + 0.5) / length).astype(np.float32)


def fit_to_duration(audio: np.ndarray, length: int, sample_rate: int) -> np.ndarray:
    """A mono clip of exactly `length` samples: looped with equal-power crossfades at the seams when the
    file is shorter, and cut with a short fade-out wherever the file's own end is not reached."""
    if audio.size < length:
        overlap = min(int(LOOP_CROSSFADE * sample_rate), audio.size // 4)
        if overlap == 0:
            audio = np.resize(audio, length + 1)
        else:
            fade_in = _fade(overlap)
            seam = audio[-overlap:] * fade_in[::-1] + audio[:overlap] * fade_in
            unit = np.concatenate([seam, audio[overlap:-overlap]])
            repeats = -(-(length - audio.size + overlap) // unit.size)
            audio = np.concatenate([audio[:-overlap]] + [unit] * repeats + [audio[-overlap:]])
    clip = audio[:length].astype(np.float32)
    if audio.size > length:
        fade = min(int(TRIM_FADE * sample_rate), length)
        clip[length - fade:] *= _fade(fade)[::-1]
    return clip


class LibraryGenerator(Generator):
    """Clips from the user's own sound files, chosen by text similarity; `sample_rate` in Hz (default 44.1 kHz)."""

    name = "library"

    def __init__(self, folder: str | Path, sample_rate: int = 44100, min_score: float = MIN_SCORE):
        self.folder = Path(folder).expanduser().resolve()
        self.sample_rate = sample_rate
        if not 0.0 <= min_score <= 1.0:
            raise GeneratorError(f"the library's minimum match score must be in [0, 1], got {min_score}")
        self.min_score = min_score
        self.warned: set[str] = set()
        if not self.folder.is_dir():
            raise GeneratorError(f"sample library folder {folder} does not exist; pass a folder of wav/flac/ogg files")
        self.files = _scan(self.folder)
        if not self.files:
            raise GeneratorError(f"sample library folder {folder} holds no wav/flac/ogg files")
        descriptions = _descriptions(self.folder)
        self.texts = [f"{_words(f)}. {descriptions[f]}" if descriptions.get(f) else _words(f) for f in self.files]
        stats = [(self.folder / f).stat() for f in self.files]
        mtimes = np.array([s.st_mtime_ns for s in stats], dtype=np.int64)
        sizes = np.array([s.st_size for s in stats], dtype=np.int64)
        self.embeddings = self._index(mtimes, sizes)
        state = json.dumps([str(self.folder), self.files, self.texts, mtimes.tolist(), sizes.tolist()])
        self.cache_tag = hashlib.sha256(state.encode()).hexdigest()[:16]  # cached clips go stale when files change
        self._matches: dict[str, tuple[str, float]] = {}

    def _embed(self, texts: Sequence[str]) -> np.ndarray:
        """Unit-length MiniLM embeddings, (len(texts), 384) float32."""
        vectors = _load_embedder().encode(list(texts), normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False)
        return np.asarray(vectors, dtype=np.float32)

    def _index(self, mtimes: np.ndarray, sizes: np.ndarray) -> np.ndarray:
        """Embeddings of self.texts, from the cached index where files (mtimes ns, sizes bytes) and texts are unchanged."""
        cached: dict[str, np.ndarray] = {}
        path = self.folder / INDEX_NAME
        try:
            with np.load(path, allow_pickle=False) as index:
                vectors = index["embeddings"]
                usable = (str(index["embedder"]) == EMBEDDER and vectors.ndim == 2 and vectors.shape[1] == EMBEDDING_WIDTH
                          and vectors.shape[0] == len(index["texts"]) and np.isfinite(vectors).all())
                if usable:
                    if (index["files"].tolist() == self.files and index["texts"].tolist() == self.texts
                            and np.array_equal(index["mtimes"], mtimes) and np.array_equal(index["sizes"], sizes)):
                        return vectors.astype(np.float32)
                    cached = dict(zip(index["texts"].tolist(), vectors.astype(np.float32)))
        except Exception:  # a missing, truncated, corrupt or foreign index (zip, numpy or key errors) is rebuilt
            cached = {}
        missing = sorted({t for t in self.texts if t not in cached})
        if missing:
            cached.update(zip(missing, self._embed(missing)))
        embeddings = np.stack([cached[t] for t in self.texts]).astype(np.float32)
        self._write_index(path, embeddings=embeddings, files=np.array(self.files), texts=np.array(self.texts),
                          mtimes=mtimes, sizes=sizes, embedder=np.array(EMBEDDER))
        return embeddings

    @staticmethod
    def _write_index(path: Path, **arrays: Any) -> None:
        """Write the index atomically; a library that cannot hold it (read-only, a folder in the way) goes uncached."""
        try:
            with atomic_path(path) as tmp, open(tmp, "wb") as file:
                np.savez(file, **arrays)
        except (OSError, OutputError) as err:
            log.warning(f"cannot keep the library index in {path}: {getattr(err, 'strerror', None) or err}; "
                        "the library is indexed again next time")

    def match(self, prompts: Sequence[str]) -> list[tuple[str, float]]:
        """The best-matching file (relative path) and its cosine similarity, per prompt; each prompt is
        embedded once per generator (the pipeline asks again for every event's `detail`)."""
        new = sorted({p for p in prompts if p not in self._matches})
        if new:
            scores = self._embed(new) @ self.embeddings.T
            for prompt, row in zip(new, scores):
                best = int(row.argmax())
                self._matches[prompt] = (self.files[best], float(row[best]))
        return [self._matches[p] for p in prompts]

    def detail(self, prompt: str, duration: float, seed: int) -> dict[str, str | float]:
        """The file, its match score and the library folder (so the scene re-renders without --library)."""
        file, score = self.match([prompt])[0]
        if score < self.min_score and prompt not in self.warned:
            self.warned.add(prompt)
            log.warning(f"the library's best match for {prompt!r} is weak: {file} (score {score:.2f} < {self.min_score:g}); "
                        "add a better sound or a description, or use --generator procedural")
        return {"file": file, "score": round(score, 4), "folder": str(self.folder)}

    def generate(self, prompts: Sequence[str], durations: Sequence[float], seeds: Sequence[int]) -> list[np.ndarray]:
        """One float32 mono clip per prompt, clip_length(duration, sample_rate) samples; seeds are not needed."""
        if not len(prompts) == len(durations) == len(seeds):
            raise GeneratorError(f"got {len(prompts)} prompts, {len(durations)} durations and {len(seeds)} seeds; "
                                 "give one of each per event")
        if not prompts:
            return []
        return [self._clip(file, duration) for (file, _), duration in zip(self.match(prompts), durations)]

    def _clip(self, file: str, duration: float) -> np.ndarray:
        try:
            audio, rate = read_audio(self.folder / file)
        except (OSError, RuntimeError) as err:
            raise GeneratorError(f"cannot read library file {self.folder / file}: {err}") from None
        fault = audio_fault(audio)
        if fault is None and not np.abs(audio).max() >= SILENCE_PEAK:
            fault = "it is digital silence (no sample reaches one 16-bit step)"
        if fault:
            raise GeneratorError(f"library file {self.folder / file} cannot be used: {fault}; repair it or remove it")
        mono = resample(audio.mean(axis=0), rate, self.sample_rate)
        return fit_to_duration(mono, clip_length(duration, self.sample_rate), self.sample_rate)
