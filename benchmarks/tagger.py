"""A small sound-class tagger, trained here on clean mono clips, that judges what a path generated.

Labels: the signal model that makes an event's clip: its taxonomy class's procedural model (classes that share a
model, such as 'doorbell' and 'bell', share a label: their clips cannot differ), or 'espeak-ng' for the speech
class, which the dataset builder sends to espeak-ng.

Features of one clip (resampled to 16 kHz, scaled to unit RMS): log-mel power in 64 HTK bands (Hann STFT of 512,
hop 256); per band its mean, standard deviation and mean absolute frame-to-frame change; and the modulation
spectrum of the frame-energy envelope in 8 octave bands from 1/8 to 32 Hz, as log10 of each band's share:
200 numbers, standardised with the training set's mean and spread. Network: 200 -> 128 (ReLU) -> 32 (tanh, the
embedding that Frechet distances are taken in) -> one logit per label, trained full-batch with Adam on
cross-entropy.

Training clips: `per_label` clips per label, durations uniform in 0.5-4 s, procedural clips with seeds from
their own stream, and espeak-ng speech of the SENTENCES below (their words are outside the speech generator's
word list, so neither path ever speaks them) in the speech generator's voices. Every second clip is heard through
a generic diffuse reverberation (`reverberate`; not the rooms of either path), since the tagger judges sounds in
rooms too (in a trial on the first 90 held-out scenes, trained on dry clips only it named 17 of the truth's 30
single sources in rooms right, with this 29). A second set drawn the same way with other seeds is held out; the tagger's accuracy on it is reported
with every benchmark.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from scipy import linalg
from scipy.signal import fftconvolve
from torch import nn

from cascade.audio import resample
from cascade.cache import cache_root
from cascade.dataset.config import DatasetConfig
from cascade.end_to_end.codec import mel_filters
from cascade.seeds import MAX_SEED, stream
from cascade.taxonomy import BY_NAME

RATE = 16000
N_FFT, HOP, BANDS = 512, 256, 64
MODULATION_EDGES_HZ = 2.0 ** np.arange(-3, 6)  # 1/8 .. 32 Hz: 8 octave bands
EMBEDDING = 32
HIDDEN = 128
EPOCHS = 400
ESPEAK = "espeak-ng"
VERSION = 2  # bump when features, network or training change: the cache key holds it
SENTENCES = (
    "Kangaroos hop across the dusty outback at sunrise.",
    "The librarian catalogued seventeen antique atlases.",
    "Fresh basil and oregano perfume the tiny kitchen.",
    "A submarine surfaced beside the frozen harbour.",
    "Volunteers repainted the lighthouse last autumn.",
    "Jugglers entertained passengers on the ferry deck.",
    "Our telescope revealed craters along the lunar equator.",
    "Pineapples ripen faster beside bananas, apparently.",
    "The orchestra rehearsed a symphony by candlelight.",
    "Tortoises wandered slowly through the botanical greenhouse.",
    "Cyclists pedalled uphill against a blustery headwind.",
    "Grandpa whittled a wooden owl from cedar offcuts.",
)
SPEAKERS = ("a woman", "a man", "a child")


def event_label(class_name: str, backend: str) -> str:
    """The tagger's label of an event of taxonomy class `class_name` made by generator `backend`."""
    return ESPEAK if backend == "speech" else BY_NAME[class_name].synth


def labels_of(config: DatasetConfig) -> list[str]:
    """Every label an item of `config` can carry, sorted."""
    return sorted({event_label(name, config.sounds.backend_of(name)) for name in config.sounds.classes})


def features(clips: Sequence[np.ndarray], sample_rate: int) -> np.ndarray:
    """(clips, 200) feature vectors (see the module docstring); a silent clip gives the features of silence."""
    basis = mel_filters(RATE, N_FFT, BANDS, 0.0)
    window = torch.hann_window(N_FFT)
    rows = []
    for clip in clips:
        mono = resample(np.asarray(clip, dtype=np.float32).reshape(-1), sample_rate, RATE)
        mono = np.pad(mono, (0, max(0, N_FFT - mono.size)))
        mono = mono / max(float(np.sqrt(np.mean(mono.astype(np.float64) ** 2))), 1e-8)
        power = torch.stft(torch.from_numpy(mono), N_FFT, HOP, window=window, return_complex=True).abs() ** 2
        mel = torch.log10(basis @ power + 1e-8).T.numpy()  # (frames, bands)
        change = np.abs(np.diff(mel, axis=0)).mean(axis=0) if mel.shape[0] > 1 else np.zeros(BANDS)
        envelope = power.sum(dim=0).sqrt().numpy()
        spectrum = np.abs(np.fft.rfft(envelope - envelope.mean())) ** 2
        rates = np.fft.rfftfreq(envelope.size, HOP / RATE)
        shares = np.array([spectrum[(rates >= lo) & (rates < hi)].sum() for lo, hi in zip(MODULATION_EDGES_HZ[:-1], MODULATION_EDGES_HZ[1:])])
        rows.append(np.concatenate([mel.mean(axis=0), mel.std(axis=0), change, np.log10(shares / max(shares.sum(), 1e-20) + 1e-6)]))
    return np.stack(rows).astype(np.float32)


class _Net(nn.Module):
    def __init__(self, inputs: int, labels: int) -> None:
        super().__init__()
        self.body = nn.Sequential(nn.Linear(inputs, HIDDEN), nn.ReLU(), nn.Linear(HIDDEN, EMBEDDING), nn.Tanh())
        self.head = nn.Linear(EMBEDDING, labels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.body(x))


@dataclass
class Tagger:
    """A trained tagger: its labels, feature scaling, network and its accuracy on its own held-out clips."""

    labels: list[str]
    mean: np.ndarray
    scale: np.ndarray
    net: _Net
    held_out_accuracy: float
    held_out_clips: int

    def _inputs(self, clips: Sequence[np.ndarray], sample_rate: int) -> torch.Tensor:
        return torch.from_numpy((features(clips, sample_rate) - self.mean) / self.scale)

    @torch.no_grad()
    def embed(self, clips: Sequence[np.ndarray], sample_rate: int) -> np.ndarray:
        """(clips, 32) embeddings: the network's last hidden layer."""
        return self.net.body(self._inputs(clips, sample_rate)).numpy().astype(np.float64)

    @torch.no_grad()
    def predict(self, clips: Sequence[np.ndarray], sample_rate: int) -> list[str]:
        """The most likely label of each clip."""
        return [self.labels[k] for k in self.net(self._inputs(clips, sample_rate)).argmax(dim=1).tolist()]

    def save(self, path: Path) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        torch.save({"labels": self.labels, "mean": self.mean, "scale": self.scale, "state": self.net.state_dict(),
                    "held_out_accuracy": self.held_out_accuracy, "held_out_clips": self.held_out_clips}, path)
        return path

    @classmethod
    def load(cls, path: Path) -> Tagger:
        data = torch.load(path, weights_only=False)
        net = _Net(data["mean"].size, len(data["labels"]))
        net.load_state_dict(data["state"])
        return cls(data["labels"], data["mean"], data["scale"], net.eval(), data["held_out_accuracy"], data["held_out_clips"])


def fit(clips: Sequence[np.ndarray], targets: Sequence[str], sample_rate: int, labels: Sequence[str], seed: int = 0) -> Tagger:
    """A tagger trained on `clips` labelled `targets` (held-out accuracy left at NaN)."""
    x = features(clips, sample_rate)
    mean, scale = x.mean(axis=0), x.std(axis=0) + 1e-6
    inputs = torch.from_numpy((x - mean) / scale)
    index = {label: k for k, label in enumerate(labels)}
    y = torch.tensor([index[t] for t in targets])
    torch.manual_seed(seed)
    net = _Net(x.shape[1], len(labels))
    optimiser = torch.optim.Adam(net.parameters(), lr=3e-3, weight_decay=1e-4)
    for _ in range(EPOCHS):
        optimiser.zero_grad()
        nn.functional.cross_entropy(net(inputs), y).backward()
        optimiser.step()
    return Tagger(list(labels), mean, scale, net.eval(), float("nan"), 0)


def clean_clips(labels: Sequence[str], purpose: str) -> tuple[list[np.ndarray], list[int]]:
    """One clean clip at 16 kHz per entry of `labels`, durations uniform in 0.5-4 s, and the seeds that made them, all
    drawn from the random stream `purpose` (streams of different purposes share no seed in practice: 63-bit draws)."""
    from cascade.generators.procedural import ProceduralGenerator
    from cascade.generators.speech import SpeechGenerator

    rng = stream(VERSION, f"tagger-{purpose}")
    procedural = ProceduralGenerator()
    speech = SpeechGenerator() if ESPEAK in labels else None
    clips, seeds = [], []
    for label in labels:
        seconds, seed = round(float(rng.uniform(0.5, 4.0)), 1), int(rng.integers(0, MAX_SEED - 1))
        if label == ESPEAK:
            assert speech is not None
            prompt = f'{rng.choice(SPEAKERS)} says "{rng.choice(SENTENCES)}"'
            clips.append(resample(speech.generate([prompt], [seconds], [seed])[0], speech.sample_rate, RATE))
        else:
            clips.append(resample(procedural.synthesise(label, seconds, seed), procedural.sample_rate, RATE))
        seeds.append(seed)
    return clips, seeds


def reverberate(clip: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """`clip` (16 kHz) through a unit direct path plus Gaussian noise decaying 60 dB over an RT60 uniform in 0.2-1.2 s,
    the noise's energy -12 to +6 dB re the direct path's; as long as `clip`."""
    rt60 = float(rng.uniform(0.2, 1.2))
    taps = int(rt60 * RATE)
    response = rng.standard_normal(taps) * np.exp(-3.0 * np.log(10.0) * np.arange(taps) / taps)
    response *= 10 ** (float(rng.uniform(-12.0, 6.0)) / 20) / np.sqrt(np.sum(response**2))
    response[0] += 1.0
    return fftconvolve(clip, response)[: clip.size].astype(np.float32)


def _half_reverberant(clips: list[np.ndarray], purpose: str) -> list[np.ndarray]:
    rng = stream(VERSION, f"tagger-reverb-{purpose}")
    return [reverberate(clip, rng) if k % 2 else clip for k, clip in enumerate(clips)]


def _repeated(labels: Sequence[str], count: int) -> list[str]:
    return [label for label in labels for _ in range(count)]


def train(labels: Sequence[str], per_label: int = 40, held_out: int = 12, progress: Callable[[str], None] = print) -> Tagger:
    """A tagger over `labels` trained on `per_label` clips each and scored on `held_out` other clips each."""
    progress(f"tagger: making {len(labels) * (per_label + held_out)} clean clips")
    targets, truth = _repeated(labels, per_label), _repeated(labels, held_out)
    clips = _half_reverberant(clean_clips(targets, "train")[0], "train")
    test = _half_reverberant(clean_clips(truth, "held-out")[0], "held-out")
    progress("tagger: training")
    tagger = fit(clips, targets, RATE, labels)
    tagger.held_out_accuracy = float(np.mean([p == t for p, t in zip(tagger.predict(test, RATE), truth)]))
    tagger.held_out_clips = len(test)
    return tagger


def cached(labels: Sequence[str], per_label: int = 40, held_out: int = 12, folder: Path | None = None,
           progress: Callable[[str], None] = print) -> Tagger:
    """The tagger for these labels and sizes, trained once and kept under `folder` (default $CASCADE_CACHE_DIR/compare)."""
    key = json.dumps([VERSION, sorted(labels), per_label, held_out, SENTENCES])
    path = (folder or cache_root() / "compare") / f"tagger-{hashlib.sha256(key.encode()).hexdigest()[:12]}.pt"
    if path.is_file():
        return Tagger.load(path)
    tagger = train(labels, per_label, held_out, progress)
    tagger.save(path)
    return tagger


def frechet_distance(a: np.ndarray, b: np.ndarray) -> float:
    """Frechet distance between Gaussians fitted to two sets of embeddings (rows): |mu_a - mu_b|² +
    tr(S_a + S_b - 2 (S_a S_b)^1/2), never below 0 (rounding can take an exact 0 a hair under it)."""
    mu_a, mu_b = a.mean(axis=0), b.mean(axis=0)
    cov_a, cov_b = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    root = linalg.sqrtm(cov_a @ cov_b)
    return max(0.0, float(np.sum((mu_a - mu_b) ** 2) + np.trace(cov_a + cov_b - 2.0 * np.real(root))))
