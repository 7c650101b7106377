"""What a render returns, and how it is written to disk (every file atomically)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import numpy as np

from cascade.audio import write_text, write_wav
from cascade.mixer import MixReport, Stem, place
from cascade.scene import Scene

if TYPE_CHECKING:
    from matplotlib.figure import Figure

Format = Literal["binaural", "foa", "fuma"]
SUBTYPES = {"16": "PCM_16", "24": "PCM_24", "32f": "FLOAT"}


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

    @property
    def duration(self) -> float:
        """Length in seconds."""
        return self.binaural.shape[-1] / self.sample_rate

    def save(self, path: str | Path, format: Format = "binaural", bit_depth: str = "24") -> Path:
        """Write one file: binaural (2 ch), AmbiX FOA (4 ch) or FuMa FOA (4 ch, W/√2, X, Y, Z)."""
        if format == "binaural":
            audio = self.binaural
        elif format == "foa":
            audio = self.foa
        elif format == "fuma":
            from renderers.foa import to_fuma

            audio = to_fuma(self.foa)
        else:
            raise ValueError(f"format must be binaural, foa or fuma, got {format!r}")
        return write_wav(path, audio, self.sample_rate, subtype=SUBTYPES[bit_depth])

    def save_all(self, path: str | Path, stems: bool = False, fuma: bool = False, bit_depth: str = "24") -> list[Path]:
        """Write `path` (binaural), `<stem>_foa.wav` (AmbiX), `<stem>.json` (resolved scene) and optionally
        `<stem>_stems/<event>.wav` + `<event>_foa.wav` (each at its start, scene length) and `<stem>_fuma.wav`."""
        path = Path(path)
        base = path.with_suffix("")
        written = [self.save(path, "binaural", bit_depth), self.save(f"{base}_foa.wav", "foa", bit_depth)]
        if fuma:
            written.append(self.save(f"{base}_fuma.wav", "fuma", bit_depth))
        if stems:
            folder = Path(f"{base}_stems")
            mix_gain = 10.0 ** ((self.mix_report.gain_db if self.mix_report else 0.0) / 20.0)
            for stem in self.stems:
                binaural, foa = place([stem], self.sample_rate, self.binaural.shape[-1])
                written.append(write_wav(folder / f"{stem.event_id}.wav", mix_gain * binaural, self.sample_rate, SUBTYPES[bit_depth]))
                written.append(write_wav(folder / f"{stem.event_id}_foa.wav", mix_gain * foa, self.sample_rate, SUBTYPES[bit_depth]))
        written.append(write_text(f"{base}.json", self.scene.to_json() + "\n"))
        return written

    def plot(self, path: str | Path | None = None) -> Figure:
        """A matplotlib figure: map of the sources, timeline of the events, binaural waveform and spectrogram;
        also written as a PNG to `path` when given."""
        from cascade.plot import result_figure, save_figure

        figure = result_figure(self)
        if path is not None:
            save_figure(figure, path)
        return figure
