"""Writing files safely: every file through a temporary beside it and a rename, sets of files committed
together, containers chosen by extension, and new files created with the user's umask (a replaced
file keeps its mode).
"""

from __future__ import annotations

import errno
import os
import re
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import numpy as np
import soundfile as sf

from cascade.audio import resample
from cascade.errors import OutputError

_UMASK = os.umask(0o022)
os.umask(_UMASK)

# extension -> (soundfile format, subtype per bit depth ("16", "24", "32f"); None = a lossy codec, most channels)
FORMATS: dict[str, tuple[str, dict[str, str] | str, int | None]] = {
    ".wav": ("WAV", {"16": "PCM_16", "24": "PCM_24", "32f": "FLOAT"}, None),
    ".flac": ("FLAC", {"16": "PCM_16", "24": "PCM_24"}, 8),
    ".aiff": ("AIFF", {"16": "PCM_16", "24": "PCM_24", "32f": "FLOAT"}, None),
    ".aif": ("AIFF", {"16": "PCM_16", "24": "PCM_24", "32f": "FLOAT"}, None),
    ".caf": ("CAF", {"16": "PCM_16", "24": "PCM_24", "32f": "FLOAT"}, None),
    ".w64": ("W64", {"16": "PCM_16", "24": "PCM_24", "32f": "FLOAT"}, None),
    ".rf64": ("RF64", {"16": "PCM_16", "24": "PCM_24", "32f": "FLOAT"}, None),
    ".ogg": ("OGG", "VORBIS", 255),
    ".opus": ("OGG", "OPUS", 255),
    ".mp3": ("MP3", "MPEG_LAYER_III", 2),
}
# containers whose 4 channels players read as surround (Vorbis and Opus mapping family 1: quad) or that hold 2 at most:
# a render's AmbiX files go beside them as FLAC (WAV for 32-bit floats)
NO_AMBISONICS = (".ogg", ".opus", ".mp3")
DEFAULT_BIT_DEPTH = "24"
OPUS_RATES = (8000, 12000, 16000, 24000, 48000)
OPUS_RATE = 48000  # Hz an .opus file is written at when the audio's rate is none of OPUS_RATES
WRITE_BLOCK = 1 << 16  # samples per channel written at a time


def new_file_mode(path: Path) -> int:
    """Mode for `path`: an existing file's own, else 0666 less the umask."""
    try:
        return os.stat(path).st_mode & 0o7777
    except OSError:
        return 0o666 & ~_UMASK


_TEMPORARY = re.compile(r"^\.(?P<name>.+)\.(?P<pid>\d+)-[a-z0-9_]{8}\.tmp$")


def os_reason(err: OSError, folder: Path | None = None) -> str:
    """Why a write failed, in words: 'the disk is full' for ENOSPC (or a write error on a folder with no space left)."""
    full = err.errno in (errno.ENOSPC, errno.EDQUOT)
    if not full and folder is not None and not err.errno:  # libsndfile reports ENOSPC as "System error."
        with suppress(OSError):
            stats = os.statvfs(folder)
            full = stats.f_bavail * stats.f_frsize < 4 << 20
    if full:
        return "the disk is full (No space left on device); free some space and rerun"
    if err.errno == errno.EBUSY and folder is not None and folder.is_dir():
        return "it is a folder; choose a file name"
    return str(err.strerror or err).splitlines()[0] if str(err.strerror or err) else type(err).__name__


def _temporary(target: Path) -> Path:
    """A new empty file beside `target` (same folder, so the rename is atomic): `.NAME.PID-RANDOM.tmp`, hidden, naming
    the process that writes it (so a later run can tell a dead writer's leftovers from a live one's)."""
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        handle, name = tempfile.mkstemp(prefix=f".{target.name[:200]}.{os.getpid()}-", suffix=".tmp", dir=target.parent)
    except OSError as err:
        raise OutputError(f"cannot write {target}: {os_reason(err, target.parent)}") from None
    os.close(handle)
    return Path(name)


def temporary_target(name: str) -> str | None:
    """The file name a temporary called `name` was written for, or None when `name` is not one of ours."""
    match = _TEMPORARY.match(name)
    return match["name"] if match else None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # another user's process
        return True
    return True


def remove_stale_temporaries(targets: list[Path]) -> None:
    """Delete the temporaries a killed writer left beside `targets` (ours by name, their process gone); others stay."""
    names: dict[Path, set[str]] = {}
    for target in targets:
        names.setdefault(target.parent, set()).add(target.name[:200])
    for folder, wanted in names.items():
        with suppress(OSError):
            for entry in os.scandir(folder):
                match = _TEMPORARY.match(entry.name)
                if match and match["name"] in wanted and entry.is_file(follow_symlinks=False) and not _alive(int(match["pid"])):
                    Path(entry.path).unlink(missing_ok=True)


@contextmanager
def atomic_path(target: str | Path) -> Iterator[Path]:
    """A temporary path to write `target` through; renamed onto `target` on success, removed on any failure."""
    target = Path(target)
    tmp = _temporary(target)
    try:
        yield tmp
        os.chmod(tmp, new_file_mode(target))
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_bytes(path: str | Path, data: bytes) -> Path:
    """Write a file atomically; OutputError (one line) when it cannot be written."""
    path = Path(path)
    try:
        with atomic_path(path) as tmp:
            tmp.write_bytes(data)
    except OutputError:
        raise
    except OSError as err:
        raise OutputError(f"cannot write {path}: {os_reason(err, path.parent)}") from None
    return path


def write_text(path: str | Path, text: str) -> Path:
    """Write a UTF-8 text file atomically; OutputError (one line) when it cannot be written."""
    return write_bytes(path, text.encode("utf-8"))


def audio_format(path: Path, channels: int, bit_depth: str | None = None, ambisonics: bool = False) -> tuple[str, str]:
    """(soundfile format, subtype) for writing `channels` (AmbiX when `ambisonics`) to `path`, by its extension;
    OutputError naming what would work when the container cannot hold it."""
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        named = f"'{path.suffix}'" if path.suffix else "no extension"
        raise OutputError(f"{path.name} has {named}; name the file with one of: {', '.join(FORMATS)}")
    container, subtypes, max_channels = FORMATS[suffix]
    if ambisonics and suffix in NO_AMBISONICS:
        raise OutputError(f"{suffix} has no channel layout for ambisonics (players would read AmbiX as surround); "
                          f"write {path.name} as .flac or .wav")
    if max_channels is not None and channels > max_channels:
        raise OutputError(f"{suffix} holds at most {max_channels} channels and {path.name} needs {channels}; "
                          "use .wav, .flac or .ogg")
    if isinstance(subtypes, str):
        return container, subtypes
    depth = bit_depth or DEFAULT_BIT_DEPTH
    if depth not in subtypes:
        raise OutputError(f"{suffix} files take bit depths {', '.join(subtypes)}, not {depth}")
    return container, subtypes[depth]


def ambix_suffix(suffix: str, bit_depth: str | None = None) -> str:
    """The extension of a render's AmbiX files when its binaural file has `suffix`: the same where that container
    holds ambisonics, else .flac (.wav for 32-bit floats)."""
    if suffix.lower() not in NO_AMBISONICS:
        return suffix
    return ".wav" if bit_depth == "32f" else ".flac"


def file_rate(path: Path, sample_rate: int) -> int:
    """The rate in Hz audio at `sample_rate` is written to `path` at: an .opus file at a rate Opus does not take is
    resampled to OPUS_RATE."""
    return OPUS_RATE if path.suffix.lower() == ".opus" and sample_rate not in OPUS_RATES else sample_rate


def write_audio_to(tmp: Path, target: Path, audio: np.ndarray, sample_rate: int, bit_depth: str | None = None,
                   offset: int = 0, length: int | None = None, convert: Callable[[np.ndarray], np.ndarray] | None = None) -> None:
    """Write (channels, samples) float audio to the file `tmp` in the container `target`'s extension names: `audio` from
    sample `offset` of a file `length` samples long (default: the audio's end), silence around it, each block passed
    through `convert` (a per-sample channel map, e.g. to FuMa) when given, resampled where the container needs another
    rate (see `file_rate`). Written a block at a time, so no copy of the whole file is ever made."""
    audio = np.atleast_2d(audio)
    container, subtype = audio_format(target, audio.shape[0], bit_depth)
    rate = file_rate(target, sample_rate)
    if rate != sample_rate:
        audio = resample(audio, sample_rate, rate)
        offset = int(round(offset * rate / sample_rate))
        length = None if length is None else int(round(length * rate / sample_rate))
    sample_rate = rate
    end = offset + audio.shape[-1] if length is None else length
    try:
        with sf.SoundFile(str(tmp), "w", sample_rate, audio.shape[0], subtype, format=container) as file:
            for start in range(0, end, WRITE_BLOCK):
                stop = min(start + WRITE_BLOCK, end)
                block = np.zeros((audio.shape[0], stop - start), dtype=np.float32)
                low, high = max(start, offset), min(stop, offset + audio.shape[-1])
                if low < high:
                    block[:, low - start : high - start] = audio[:, low - offset : high - offset]
                file.write(np.ascontiguousarray((convert(block) if convert else block).T, dtype=np.float32))
    except OSError as err:
        raise OutputError(f"cannot write {target}: {os_reason(err, target.parent)}") from None
    except (sf.LibsndfileError, RuntimeError) as err:
        reason = str(err).splitlines()[0] if str(err) else type(err).__name__
        if "System error" in reason or "No space" in reason:
            reason = os_reason(OSError(errno.ENOSPC if "No space" in reason else 0, reason), target.parent)
        raise OutputError(f"cannot write {target}: {reason}") from None


def write_audio(path: str | Path, audio: np.ndarray, sample_rate: int, bit_depth: str | None = None) -> Path:
    """Write (channels, samples) atomically in the container its extension names (WAV, FLAC, OGG, ...)."""
    path = Path(path)
    with atomic_path(path) as tmp:
        write_audio_to(tmp, path, audio, sample_rate, bit_depth)
    return path


class OutputSet:
    """Files that belong together (audio and the scene that describes it), committed as one: each is written to a
    temporary beside its target, and only when all are written are they renamed, in the order staged (stage the
    scene JSON last). Used as a context manager, an exception discards every temporary and no target changes."""

    def __init__(self) -> None:
        self._staged: list[tuple[Path, Path]] = []

    def stage(self, target: str | Path) -> Path:
        """A temporary path to write `target` through."""
        target = Path(target)
        tmp = _temporary(target)
        self._staged.append((tmp, target))
        return tmp

    def commit(self) -> list[Path]:
        """Rename every temporary onto its target; returns the targets."""
        for tmp, target in self._staged:
            try:
                os.chmod(tmp, new_file_mode(target))
                os.replace(tmp, target)
            except OSError as err:
                self.discard()
                raise OutputError(f"cannot write {target}: {os_reason(err, target.parent)}") from None
        done = [target for _, target in self._staged]
        self._staged = []
        return done

    def discard(self) -> None:
        """Remove every temporary not yet renamed."""
        for tmp, _ in self._staged:
            tmp.unlink(missing_ok=True)
        self._staged = []

    def __enter__(self) -> OutputSet:
        return self

    def __exit__(self, kind: type[BaseException] | None, *_: object) -> None:
        if kind is None:
            self.commit()
        else:
            self.discard()
