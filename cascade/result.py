"""What a render returns, and how it is written to disk: the files of one render are committed together."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import numpy as np

from cascade.errors import OutputError
from cascade.files import OutputSet, ambix_suffix, audio_format, file_rate, write_audio, write_audio_to
from cascade.mixer import MixReport, Stem, place
from cascade.scene import Scene

if TYPE_CHECKING:
    from matplotlib.figure import Figure

Format = Literal["binaural", "foa", "fuma"]
FORMATS = ("binaural", "foa", "fuma")


def output_paths(path: str | Path, stems: list[str] | None = None, fuma: bool = False, bit_depth: str | None = None) -> dict[str, Path]:
    """What `save_all` writes for `path` (e.g. out.flac): 'binaural' out.flac, 'foa' out_foa.flac, 'fuma' out_fuma.flac,
    'stem:<id>' and 'stem_foa:<id>' in out_stems/, and 'scene' out.json (always last). AmbiX files of a container
    without an ambisonics layout (.ogg, .opus, .mp3) are FLAC beside it (WAV for 32-bit floats)."""
    path = Path(path)
    base, suffix = path.with_suffix(""), path.suffix
    ambix = ambix_suffix(suffix, bit_depth)
    paths = {"binaural": path, "foa": Path(f"{base}_foa{ambix}")}
    if fuma:
        paths["fuma"] = Path(f"{base}_fuma{ambix}")
    for event_id in stems or []:
        folder = Path(f"{base}_stems")
        paths[f"stem:{event_id}"] = folder / f"{event_id}{suffix}"
        paths[f"stem_foa:{event_id}"] = folder / f"{event_id}_foa{ambix}"
    paths["scene"] = Path(f"{base}.json")
    return paths


def check_outputs(paths: dict[str, Path], inputs: list[Path], bit_depth: str | None = None) -> None:
    """OutputError before any work when an output cannot be written: a container that cannot hold it, an input
    it would overwrite, a folder in the way, a folder that cannot be created or written."""
    taken = {p.resolve() for p in inputs}
    for kind, path in paths.items():
        if path.is_dir():
            raise OutputError(f"{path} is a folder; choose an output file name with -o")
        if kind != "scene":
            binaural = kind == "binaural" or kind.startswith("stem:")
            audio_format(path, 2 if binaural else 4, bit_depth, ambisonics=not binaural)
        if path.resolve() in taken:
            raise OutputError(f"{path} is also an input of this render; choose another output name with -o")
        folder = path.parent
        while not folder.exists() and folder != folder.parent:
            folder = folder.parent
        if not folder.is_dir():
            raise OutputError(f"cannot write {path}: {folder} is not a folder")
        if not _writable(folder):
            raise OutputError(f"cannot write {path}: {folder} is not writable")


def container_notes(path: Path, sample_rate: int, bit_depth: str | None = None) -> list[str]:
    """One line for each way the files of a render to `path` differ from its extension and the scene's rate."""
    notes = []
    if ambix_suffix(path.suffix, bit_depth) != path.suffix:
        notes.append(f"AmbiX files are {ambix_suffix(path.suffix, bit_depth)} beside {path.name}: {path.suffix} has no channel layout "
                     "for ambisonics (players would read its 4 channels as surround)")
    if file_rate(path, sample_rate) != sample_rate:
        notes.append(f"{path.name} is resampled to {file_rate(path, sample_rate)} Hz: Opus does not take {sample_rate} Hz")
    return notes


def _writable(folder: Path) -> bool:
    return os.access(folder, os.W_OK | os.X_OK)


@dataclass
class RenderResult:
    """Binaural (2, n) and AmbiX FOA (4, n: W, Y, Z, X, SN3D) float32 audio of a resolved scene."""

    binaural: np.ndarray
    foa: np.ndarray
    sample_rate: int
    scene: Scene
    timings: dict[str, float] = field(default_factory=dict)
    stems: list[Stem] = field(default_factory=list)
    mix_report: MixReport | None = None
    notes: list[str] = field(default_factory=list)
    clips: dict[str, np.ndarray] = field(default_factory=dict)  # event id -> mono clip at the scene rate, before gain and mix level

    @property
    def duration(self) -> float:
        """Length in seconds."""
        return self.binaural.shape[-1] / self.sample_rate

    def audio(self, format: Format = "binaural") -> np.ndarray:
        """Binaural (2, n), AmbiX FOA (4, n) or FuMa FOA (4, n: W/√2, X, Y, Z)."""
        if format == "binaural":
            return self.binaural
        if format == "foa":
            return self.foa
        if format == "fuma":
            from renderers.foa import to_fuma

            return to_fuma(self.foa)
        raise OutputError(f"format must be one of {', '.join(FORMATS)}, got {format!r}")

    def save(self, path: str | Path, format: Format = "binaural", bit_depth: str | None = None) -> Path:
        """Write one file atomically; the container follows the extension (.wav, .flac, .ogg, ...); bit_depth
        "16", "24" (default) or "32f" where the container takes one."""
        audio_format(Path(path), 2 if format == "binaural" else 4, bit_depth, ambisonics=format != "binaural")
        return write_audio(path, self.audio(format), self.sample_rate, bit_depth)

    def stem_audio(self, stem: Stem) -> tuple[np.ndarray, np.ndarray]:
        """One event's binaural and AmbiX at its start, scene length, with the mix gain of each output applied."""
        gains = (self.mix_report.binaural.gain_db, self.mix_report.ambix.gain_db) if self.mix_report else (0.0, 0.0)
        binaural, foa = place([stem], self.sample_rate, self.binaural.shape[-1])
        return 10.0 ** (gains[0] / 20.0) * binaural, 10.0 ** (gains[1] / 20.0) * foa

    def save_all(self, path: str | Path, stems: bool = False, fuma: bool = False, bit_depth: str | None = None) -> list[Path]:
        """Write every file of `output_paths` as one set: all are written to temporaries first and renamed only when
        all succeeded, the scene JSON last; paths inside the JSON's folder are recorded relative to it."""
        paths = output_paths(path, [s.event_id for s in self.stems] if stems else None, fuma, bit_depth)
        check_outputs(paths, [], bit_depth)
        stem_folder = paths["scene"].with_name(paths["scene"].stem + "_stems")
        if stems and stem_folder.exists() and not stem_folder.is_dir():
            raise OutputError(f"{stem_folder} exists and is not a folder; move it or choose another name with -o")
        by_id = {s.event_id: s for s in self.stems}
        try:
            with OutputSet() as outputs:
                for kind, target in paths.items():
                    tmp = outputs.stage(target)
                    if kind == "scene":
                        scene = self.scene.relative_paths(target.parent.resolve())
                        tmp.write_text(scene.to_json() + "\n", encoding="utf-8")
                    elif kind.startswith("stem"):
                        binaural, foa = self.stem_audio(by_id[kind.partition(":")[2]])
                        write_audio_to(tmp, target, foa if kind.startswith("stem_foa") else binaural, self.sample_rate, bit_depth)
                    else:
                        write_audio_to(tmp, target, self.audio(kind), self.sample_rate, bit_depth)  # type: ignore[arg-type]
        except OutputError:
            raise
        except OSError as err:
            raise OutputError(f"cannot write {path}: {err.strerror or err}") from None
        return list(paths.values())

    def plot(self, path: str | Path | None = None) -> Figure:
        """A matplotlib figure: map of the sources, timeline of the events, binaural waveform and spectrogram;
        also written as a PNG to `path` when given."""
        from cascade.plot import result_figure, save_figure

        figure = result_figure(self)
        if path is not None:
            save_figure(figure, path)
        return figure
