"""A diffuse late reverberation tail: decaying noise with a level and decay time per octave band, in AmbiX and binaural.

The tail is synthesised frame by frame (Hann frames, 75 % overlap) from random spectra whose power at
frequency f and time t is D(f)·exp(−13.8 t / RT60(f)), band values interpolated over log-frequency.
D is a power per sample: white noise of variance d has D = d at every frequency. AmbiX gets four
independent channels, W with power D and Y, Z, X with D/3 each (a diffuse field in SN3D). The two ears get
D times the diffuse-field power of the head's HRIRs (flat for a diffuse-field equalised set), mixed from
two independent noises so that their coherence at each frequency is the head's diffuse-field interaural
coherence: a tail that sounds as a diffuse field does at that head.
"""

from __future__ import annotations

import numpy as np

from renderers import bands
from renderers.diffuse_field import head_statistics
from renderers.hrir import HrirSet

FRAME_SECONDS = 1024 / 44100  # synthesis frame, rounded to a power of two in samples
OVERLAP = 4  # frames per hop
WINDOW_POWER = 1.5  # sum over frames of the squared periodic Hann at 75 % overlap
FADE_SECONDS = 0.001  # raised-cosine fade-in at the onset
THIRD = np.float32(np.sqrt(1 / 3))  # amplitude of Y, Z, X relative to W in a diffuse field (SN3D)
DECAY = 6 * np.log(10)  # energy falls as exp(-DECAY · t / RT60): by 60 dB over one RT60


def frame_size(sample_rate: int) -> int:
    return 1 << int(round(np.log2(FRAME_SECONDS * sample_rate)))


def diffuse_tail(levels: np.ndarray, rt60: np.ndarray, length: int, sample_rate: int, hrirs: HrirSet,
                 rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """(binaural (2, length), AmbiX (4, length)) float32 tail starting at sample 0 with W power `levels` per band
    (per sample, see the module docstring) decaying over `rt60` (s) per band; `hrirs` at `sample_rate`."""
    size = frame_size(sample_rate)
    hop = size // OVERLAP
    frequencies = np.fft.rfftfreq(size, 1.0 / sample_rate)
    level = np.exp(bands.on_grid(np.log(np.maximum(levels, 1e-300)), frequencies))
    rate = bands.on_grid(DECAY / (2 * np.asarray(rt60, dtype=np.float64)), frequencies)
    count = -(-(length + size) // hop)
    centres = np.maximum((np.arange(count) * hop - size / 2) / sample_rate, 0.0)
    amplitude = np.sqrt(level * size / WINDOW_POWER) * np.exp(-np.outer(centres, rate))
    amplitude[:, 0] = 0.0
    power, coherence = head_statistics(hrirs, size)
    same = np.sqrt(power * (1 + coherence) / 2).astype(np.float32)
    opposite = np.sqrt(power * (1 - coherence) / 2).astype(np.float32)
    noise = rng.standard_normal((count, 6, frequencies.size, 2), dtype=np.float32)
    noise = (noise[..., 0] + 1j * noise[..., 1]) * (amplitude[:, None, :] / np.sqrt(2)).astype(np.float32)
    spectra = np.stack([same * noise[:, 0] + opposite * noise[:, 1], same * noise[:, 0] - opposite * noise[:, 1],
                        noise[:, 2], noise[:, 3] * THIRD, noise[:, 4] * THIRD, noise[:, 5] * THIRD], axis=1)
    window = np.hanning(size + 1)[:-1].astype(np.float32)
    frames = (np.fft.irfft(spectra, size, axis=-1) * window).reshape(count, 6, OVERLAP, hop)
    blocks = np.zeros((count + OVERLAP - 1, 6, hop), dtype=np.float32)
    for quarter in range(OVERLAP):
        blocks[quarter : quarter + count] += frames[:, :, quarter]
    out = blocks.transpose(1, 0, 2).reshape(6, -1)[:, size : size + length]
    fade = min(int(FADE_SECONDS * sample_rate), length)
    out[:, :fade] *= (0.5 - 0.5 * np.cos(np.pi * np.arange(fade) / max(fade, 1))).astype(np.float32)
    return out[:2], out[2:]
