"""A diffuse late reverberation tail: decaying noise with a level and decay time per octave band, in AmbiX and binaural.

The tail is synthesised frame by frame (sine-windowed frames, 50 % overlap) from random spectra whose power at
frequency f and time t is D(f)·exp(−13.8 t / T(f)), band values interpolated over log-frequency, with T the
early decay time until the knee and the RT60 after it (see `TailShape`).
D is a power per sample: white noise of variance d has D = d at every frequency. AmbiX gets four
independent channels, W with power D and Y, Z, X with D/3 each (a diffuse field in SN3D). The two ears get
D times the diffuse-field power of the head's HRIRs (flat for a diffuse-field equalised set), mixed from
two independent noises so that their coherence at each frequency is the head's diffuse-field interaural
coherence: a tail that sounds as a diffuse field does at that head.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from renderers import bands
from renderers.diffuse_field import head_statistics
from renderers.hrir import HrirSet

FRAME_SECONDS = 1024 / 44100  # synthesis frame, rounded to a power of two in samples
OVERLAP = 2  # frames per hop
FADE_SECONDS = 0.001  # raised-cosine fade-in at the onset
THIRD = np.float32(np.sqrt(1 / 3))  # amplitude of Y, Z, X relative to W in a diffuse field (SN3D)
DECAY = 6 * np.log(10)  # energy falls as exp(-DECAY · t / RT60): by 60 dB over one RT60


def frame_size(sample_rate: int) -> int:
    return 1 << int(round(np.log2(FRAME_SECONDS * sample_rate)))


@dataclass(frozen=True)
class TailShape:
    """A tail's W power per sample at its onset, `levels` (bands,), decaying with the times `early_rt60` (s, bands)
    until `knee` seconds after the onset and with `rt60` (s, bands) after it; its power is also scaled by `envelope`
    (a broadband factor every `step` seconds from the onset, 1 beyond)."""

    levels: np.ndarray
    early_rt60: np.ndarray
    knee: float
    rt60: np.ndarray
    envelope: np.ndarray = field(default_factory=lambda: np.ones(1))
    step: float = 1.0

    def energy_decay(self, seconds: np.ndarray) -> np.ndarray:
        """(len(seconds), bands) energy factor at `seconds` after the onset."""
        t = np.asarray(seconds, dtype=np.float64)[:, None]
        return np.exp(-DECAY * (np.minimum(t, self.knee) / self.early_rt60 + np.maximum(t - self.knee, 0.0) / self.rt60))


def diffuse_tail(shape: TailShape, length: int, sample_rate: int, hrirs: HrirSet,
                 rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """(binaural (2, length), AmbiX (4, length)) float32 tail of `shape` starting at sample 0; `hrirs` at `sample_rate`."""
    size = frame_size(sample_rate)
    hop = size // OVERLAP
    frequencies = np.fft.rfftfreq(size, 1.0 / sample_rate)
    count = -(-(length + size) // hop)
    centres = np.maximum((np.arange(count) * hop - size / 2) / sample_rate, 0.0)
    power = np.log(np.maximum(shape.levels, 1e-300)) + np.log(np.maximum(shape.energy_decay(centres), 1e-300))
    amplitude = np.sqrt(np.exp(bands.on_grid(power, frequencies)) * size)
    amplitude[:, 0] = 0.0
    ears, coherence = head_statistics(hrirs, size)
    same = np.sqrt(ears * (1 + coherence) / 2).astype(np.float32)
    opposite = np.sqrt(ears * (1 - coherence) / 2).astype(np.float32)
    spectra = rng.random((count, 6, 2 * frequencies.size), dtype=np.float32)  # uniform parts: summed over bins, Gaussian
    spectra -= np.float32(0.5)
    spectra = spectra.view(np.complex64)  # E|·|² = 1/6
    spectra *= (amplitude * np.sqrt(6)).astype(np.float32)[:, None, :]
    left, right = spectra[:, 0].copy(), spectra[:, 1].copy()
    spectra[:, 0] = same * left + opposite * right
    spectra[:, 1] = same * left - opposite * right
    spectra[:, 3:] *= THIRD
    frames = np.fft.irfft(spectra, size, axis=-1)
    frames *= np.sin(np.pi * (np.arange(size) + 0.5) / size).astype(np.float32)  # squares sum to 1 at 50 % overlap
    frames = frames.reshape(count, 6, OVERLAP, hop)
    blocks = np.zeros((count + OVERLAP - 1, 6, hop), dtype=np.float32)
    for part in range(OVERLAP):
        blocks[part : part + count] += frames[:, :, part]
    out = blocks.transpose(1, 0, 2).reshape(6, -1)[:, size : size + length]
    steps = np.arange(shape.envelope.size) * shape.step + shape.step / 2
    reach = min(int(np.ceil(steps[-1] * sample_rate)), length)
    out[:, :reach] *= np.sqrt(np.interp(np.arange(reach) / sample_rate, steps, shape.envelope)).astype(np.float32)
    fade = min(int(FADE_SECONDS * sample_rate), length)
    out[:, :fade] *= (0.5 - 0.5 * np.cos(np.pi * np.arange(fade) / max(fade, 1))).astype(np.float32)
    return out[:2], out[2:]
